package contracts

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// refError is a $ref that cannot be followed. missing says the target does
// not exist (as opposed to a refused, cyclic or unreadable one), which some
// callers report as a semantic problem instead of stopping the load.
type refError struct {
	class   Class
	code    string
	pos     Position
	msg     string
	hint    string
	missing bool
	// silent marks the consequence of a problem already reported (the
	// expansion budget ran out): it stops the work without a new problem.
	silent bool
}

func (e *refError) record(p *asyncParser) {
	if e.silent {
		return
	}
	p.errorf(e.class, e.pos, e.code, e.hint, "%s", e.msg)
}

// maxRefHops bounds a chain of references to references.
const maxRefHops = 64

// maxRefFiles bounds how many files one document may pull in.
const maxRefFiles = 512

// reference reports whether c is a Reference Object and returns its $ref
// string and the cursor of the $ref key (where problems point).
func (c cursor) reference() (string, cursor, bool, *refError) {
	if !c.isMap() {
		return "", cursor{}, false, nil
	}
	at := c.get("$ref")
	if !at.ok() {
		return "", cursor{}, false, nil
	}
	s, ok := at.scalar()
	if !ok || at.n.ShortTag() != "!!str" {
		return "", at, true, &refError{class: ClassInvalid, code: "invalid-ref", pos: at.pos(),
			msg:  "$ref must be a string, not " + kindName(at.n),
			hint: "write the reference as a quoted string, e.g. $ref: '#/components/schemas/Name'"}
	}
	return s, at, true, nil
}

// follow resolves a chain of Reference Objects starting at c and returns the
// element it ends at, with the last $ref of the chain (the component the
// element came from). A non-reference c is returned as is.
func (p *asyncParser) follow(c cursor) (cursor, string, *refError) {
	var last string
	var marked []*yaml.Node
	defer func() {
		for _, n := range marked {
			delete(p.resolving, n)
		}
	}()
	for hops := 0; ; hops++ {
		ref, at, isRef, rerr := c.reference()
		if rerr != nil || !isRef {
			return c, last, rerr
		}
		if p.resolving[c.n] || hops > maxRefHops {
			return c, last, &refError{class: ClassInvalid, code: "cyclic-ref", pos: at.pos(),
				msg:  fmt.Sprintf("$ref %q is cyclic: following it leads back to itself", ref),
				hint: "point one of the $refs in the loop at an actual definition instead of another $ref"}
		}
		if !p.charge(1, c.f, at.n) {
			return c, last, &refError{silent: true}
		}
		p.resolving[c.n] = true
		marked = append(marked, c.n)
		t, err := p.locate(c.f, ref, at)
		if err != nil {
			return c, last, err
		}
		c, last = t, ref
	}
}

// deref follows c and records any problem; ok is false when it failed.
func (p *asyncParser) deref(c cursor) (cursor, string, bool) {
	t, last, err := p.follow(c)
	if err != nil {
		err.record(p)
		return t, last, false
	}
	return t, last, true
}

// locate finds the element a $ref string names, relative to the file it is
// written in. It follows references met along the pointer (a pointer into
// `#/channels/a/messages/b` where channel a is itself a $ref), but not the
// element found: the caller decides whether that is a site or a definition.
func (p *asyncParser) locate(base *afile, ref string, at cursor) (cursor, *refError) {
	fileRef, frag, _ := strings.Cut(ref, "#")
	f := base
	if fileRef != "" {
		var err *refError
		if f, err = p.refFile(base, fileRef, ref, at); err != nil {
			return cursor{}, err
		}
	}
	frag, uerr := url.PathUnescape(frag)
	if uerr != nil || (frag != "" && !strings.HasPrefix(frag, "/")) {
		return cursor{}, &refError{class: ClassInvalid, code: "invalid-ref", pos: at.pos(),
			msg:  fmt.Sprintf("$ref %q has a fragment that is not a JSON pointer", ref),
			hint: "write the part after # as a JSON pointer such as #/components/messages/Name"}
	}
	c := p.rootCursor(f)
	if frag == "" {
		if !c.ok() {
			return cursor{}, danglingRef(ref, at, "the file is empty", "")
		}
		return c, nil
	}
	tokens := strings.Split(frag[1:], "/")
	for i, tok := range tokens {
		tok = unescapePointerToken(tok)
		if _, _, isRef, _ := c.reference(); isRef && tok != "$ref" {
			t, _, err := p.follow(c)
			if err != nil {
				return cursor{}, err
			}
			c = t
		}
		var next cursor
		switch {
		case c.isMap():
			next = c.get(tok)
		case c.isSeq():
			if n, err := strconv.Atoi(tok); err == nil {
				next = c.index(n)
			}
		}
		if !next.ok() {
			where := "the top level"
			if i > 0 {
				where = strings.Join(tokens[:i], "/")
			}
			return cursor{}, danglingRef(ref, at, fmt.Sprintf("%s has no %q", where, tok), nearKeys(c, tok))
		}
		c = next
	}
	return c, nil
}

func danglingRef(ref string, at cursor, why, near string) *refError {
	hint := "point the $ref at an existing element, e.g. #/components/messages/Name"
	if near != "" {
		hint = near
	}
	return &refError{class: ClassInvalid, code: "dangling-ref", pos: at.pos(), missing: true,
		msg: fmt.Sprintf("$ref %q points at nothing: %s", ref, why), hint: hint}
}

// nearKeys suggests the keys next to the missing one.
func nearKeys(c cursor, tok string) string {
	var keys []string
	for _, e := range c.entries() {
		keys = append(keys, e.name())
	}
	if len(keys) == 0 {
		return ""
	}
	return closeNames(tok, keys)
}

// refFile reads (once) the file a $ref names. Remote documents are fetched
// only when the caller allowed it: a contract must not make CI reach out to
// the network by surprise.
func (p *asyncParser) refFile(base *afile, fileRef, ref string, at cursor) (*afile, *refError) {
	lower := strings.ToLower(fileRef)
	remote := strings.HasPrefix(lower, "http://") || strings.HasPrefix(lower, "https://") || strings.HasPrefix(fileRef, "//")
	if remote && !p.opts.AllowRemoteRefs {
		return nil, &refError{class: ClassInvalid, code: "remote-ref", pos: at.pos(),
			msg:  fmt.Sprintf("remote $ref %q refused", ref),
			hint: "vendor the referenced document next to the contract and use a relative $ref, or pass --allow-remote-refs"}
	}
	var key string
	switch {
	case base.url != "" || remote:
		baseURL := base.url
		if baseURL == "" {
			baseURL = "https:"
		}
		b, err1 := url.Parse(baseURL)
		r, err2 := url.Parse(fileRef)
		if err1 != nil || err2 != nil {
			return nil, &refError{class: ClassInvalid, code: "invalid-ref", pos: at.pos(),
				msg: fmt.Sprintf("$ref %q is not a valid URL", ref), hint: "fix the URL"}
		}
		key = b.ResolveReference(r).String()
	default:
		if u, err := url.Parse(fileRef); err == nil && len(u.Scheme) > 1 {
			return nil, &refError{class: ClassInvalid, code: "unsupported-ref", pos: at.pos(),
				msg:  fmt.Sprintf("$ref %q uses the %s: scheme, which accord does not read", ref, u.Scheme),
				hint: "use a path relative to the file that holds the $ref"}
		}
		rel := fileRef
		if unq, err := url.PathUnescape(rel); err == nil {
			rel = unq
		}
		if p.org.rev != "" {
			key = path.Clean(path.Join(path.Dir(base.src.key), rel))
			if strings.HasPrefix(key, "../") || key == ".." {
				return nil, &refError{class: ClassInvalid, code: "dangling-ref", pos: at.pos(), missing: true,
					msg:  fmt.Sprintf("$ref %q leaves the repository", ref),
					hint: "keep referenced files inside the repository"}
			}
		} else if filepath.IsAbs(rel) || strings.HasPrefix(strings.ToLower(fileRef), "file:") {
			return nil, &refError{class: ClassInvalid, code: "absolute-ref", pos: at.pos(),
				msg:  fmt.Sprintf("$ref %q is an absolute path; accord reads $refs relative to the file that holds them", ref),
				hint: "write the path relative to this file (e.g. ./schemas/common.yaml) and keep the file inside the contract's directory"}
		} else {
			key = filepath.Join(filepath.Dir(base.src.key), filepath.FromSlash(rel))
		}
	}
	if f, ok := p.files[key]; ok {
		return f, nil
	}
	if len(p.files) >= maxRefFiles {
		return nil, &refError{class: ClassInvalid, code: "too-large", pos: at.pos(),
			msg:  fmt.Sprintf("$ref %q would read more than %d files", ref, maxRefFiles),
			hint: "merge small referenced files"}
	}
	data, name, err := p.readRefFile(key, remote || base.url != "")
	var outside *refOutside
	if errors.As(err, &outside) {
		return nil, &refError{class: ClassInvalid, code: "ref-outside", pos: at.pos(),
			msg:  fmt.Sprintf("$ref %q reads a file outside the contract's directory tree; it was not read", ref),
			hint: "move the file into the contract's directory (or below it) and $ref it from there; to read it where it is, pass --allow-refs-in with its directory"}
	}
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) || strings.Contains(err.Error(), "does not exist") || strings.Contains(err.Error(), "exists on disk, but not in") {
			return nil, &refError{class: ClassInvalid, code: "dangling-ref", pos: at.pos(), missing: true,
				msg:  fmt.Sprintf("$ref %q points at a file that does not exist", ref),
				hint: "fix the path (it is relative to the file that holds the $ref) or add the missing file"}
		}
		return nil, &refError{class: ClassRead, code: "read-failed", pos: at.pos(),
			msg:  fmt.Sprintf("cannot read the file $ref %q points at: %v", ref, err),
			hint: "check that the file is readable"}
	}
	src := &sourceFile{name: name, key: key, data: data}
	var doc yaml.Node
	if yerr := yaml.Unmarshal(data, &doc); yerr != nil {
		var v any
		if !looksJSON(data) || json.Unmarshal(data, &v) != nil {
			e := yamlSyntaxError(src, yerr).(*Error)
			return nil, &refError{class: ClassSyntax, code: e.Problems[0].Code, pos: e.Problems[0].Pos,
				msg: e.Problems[0].Message + " (in the file $ref " + strconv.Quote(ref) + " points at)", hint: e.Problems[0].Hint}
		}
		n, _ := jsonFallbackNode(v)
		doc.Content = []*yaml.Node{n}
	}
	f := &afile{src: src}
	if remote || base.url != "" {
		f.url = key
	}
	if len(doc.Content) > 0 {
		f.root = doc.Content[0]
		p.budget += 16 * countNodes(f.root, 0)
	}
	p.files[key] = f
	p.order = append(p.order, src)
	return f, nil
}

// readRefFile reads a referenced file from where the root came from (the
// same directory, the same git revision), or over http(s).
func (p *asyncParser) readRefFile(key string, remote bool) ([]byte, string, error) {
	if !remote {
		data, err := p.org.readRef(p.ctx, key)
		return data, p.org.displayName(key), err
	}
	req, err := http.NewRequestWithContext(p.ctx, http.MethodGet, key, nil)
	if err != nil {
		return nil, key, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, key, err
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil, key, fmt.Errorf("%s: %w", key, fs.ErrNotExist)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, key, fmt.Errorf("GET %s: %s", key, resp.Status)
	}
	data, err := readBounded(io.Reader(resp.Body))
	return data, key, err
}

// lastToken is the final token of a $ref's pointer: the component name.
func lastToken(ref string) string {
	_, frag, _ := strings.Cut(ref, "#")
	if i := strings.LastIndexByte(frag, '/'); i >= 0 {
		frag = frag[i+1:]
	}
	if s, err := url.PathUnescape(frag); err == nil {
		frag = s
	}
	return unescapePointerToken(frag)
}
