package compat

import (
	"strings"
)

// path is where the walk is: a linked list from the root cause (a component
// or an operation) down to the element being compared. Nothing is rendered
// while walking; a path becomes a readable subject and two JSON pointers
// (one per document) only when a finding is built, because almost every
// compared element turns out unchanged.
type path struct {
	parent *path
	// sub is the readable token ("properties", "amount"); "" adds nothing.
	sub string
	// pre, when set, is a token written before sub in both the subject and
	// the pointers (it saves a node for "properties" + name).
	pre string
	// tok is the pointer token for both sides, unless h or b overrides it
	// (a non-nil empty slice adds no token on that side).
	tok  string
	h, b []string
	// hAbs and bAbs restart that side's pointer at a $ref ("#/components/
	// schemas/X", "common.yaml#/X"): roots, and jumps into other components.
	hAbs, bAbs string
	// sep joins a root's label to the rest of the subject: "." under a
	// component ("components.schemas.X.properties.a"), " " under an
	// operation ("GET /x requestBody...").
	sep  string
	root bool
}

// rootPath starts a subject at a component or operation.
func rootPath(label, sep, hAbs, bAbs string) *path {
	if hAbs == "" {
		hAbs = bAbs
	}
	if bAbs == "" {
		bAbs = hAbs
	}
	return &path{sub: label, sep: sep, hAbs: hAbs, bAbs: bAbs, root: true}
}

// child descends by one token, the same in the subject and both pointers.
func (p *path) child(tok string) *path {
	return &path{parent: p, sub: tok, tok: tok}
}

// prop descends into a property written in place on both sides.
func (p *path) prop(name string) *path {
	return &path{parent: p, pre: "properties", sub: name, tok: name}
}

// sides descends by a token that differs between the documents: sub for the
// subject, h and b for the pointers (nil: no token on that side).
func (p *path) sides(sub string, h, b []string) *path {
	if h == nil {
		h = []string{}
	}
	if b == nil {
		b = []string{}
	}
	return &path{parent: p, sub: sub, h: h, b: b}
}

// jump descends to an element written elsewhere (a property in an allOf
// member's component, a parameter defined at path level): abs restarts the
// pointer of each side whose abs is set, tokens follow it.
func (p *path) jump(sub string, hAbs string, h []string, bAbs string, b []string) *path {
	n := p.sides(sub, h, b)
	n.hAbs, n.bAbs = hAbs, bAbs
	return n
}

// subject renders the readable form.
func (p *path) subject() string {
	var toks []string
	n := p
	for ; !n.root && n.parent != nil; n = n.parent {
		if n.sub != "" {
			toks = append(toks, n.sub)
		}
		if n.pre != "" {
			toks = append(toks, n.pre)
		}
	}
	if len(toks) == 0 {
		return n.sub
	}
	for i, j := 0, len(toks)-1; i < j; i, j = i+1, j-1 {
		toks[i], toks[j] = toks[j], toks[i]
	}
	return n.sub + n.sep + strings.Join(toks, ".")
}

// pointer renders one side's location as a $ref-style string: "#/a/b" in
// the root file, "file.yaml#/a/b" elsewhere.
func (p *path) pointer(head bool) string {
	var toks []string
	abs := ""
	for n := p; n != nil; n = n.parent {
		side := n.b
		a := n.bAbs
		if head {
			side, a = n.h, n.hAbs
		}
		if side != nil {
			for i := len(side) - 1; i >= 0; i-- {
				toks = append(toks, side[i])
			}
		} else if n.tok != "" {
			toks = append(toks, n.tok)
		}
		if n.pre != "" {
			toks = append(toks, n.pre)
		}
		if a != "" {
			abs = a
			break
		}
	}
	if abs == "" {
		abs = "#"
	}
	var b strings.Builder
	b.WriteString(abs)
	for i := len(toks) - 1; i >= 0; i-- {
		b.WriteByte('/')
		b.WriteString(escapeToken(toks[i]))
	}
	return b.String()
}

func escapeToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// refLabel turns a $ref into a subject root: "#/components/schemas/Pet" is
// "components.schemas.Pet", "common.yaml#/Pet" is "common.yaml#Pet".
func refLabel(ref string) string {
	file, frag, _ := strings.Cut(ref, "#")
	frag = strings.TrimPrefix(frag, "/")
	toks := strings.Split(frag, "/")
	for i, t := range toks {
		toks[i] = strings.ReplaceAll(strings.ReplaceAll(t, "~1", "/"), "~0", "~")
	}
	label := strings.Join(toks, ".")
	if file != "" {
		return file + "#" + label
	}
	return label
}

// refPointer is a pointer for the root-file document: "#/a" stays, a ref
// into another file stays as written.
func docPointer(p string) string {
	if strings.HasPrefix(p, "#") {
		return p[1:]
	}
	return p
}
