package compat

import (
	"strings"

	"github.com/accord-dev/accord/compat/rules"
	"github.com/getkin/kin-openapi/openapi3"
)

// paramInfo is one effective parameter of an operation and where it is
// written.
type paramInfo struct {
	p   *openapi3.Parameter
	ref string // the component $ref, "" when inline
	at  string // the path item or operation holding it
	i   int    // its index there
}

// effectiveParams merges path-level parameters with the operation's (which
// override them by location and name), keyed for matching: path parameters
// by their position in the template, so renaming {id} to {orderId} still
// pairs them; header names case-insensitively.
func effectiveParams(item *openapi3.PathItem, op *openapi3.Operation, itemPtr, opPtr, template string) map[string]paramInfo {
	var names []string
	if strings.Contains(template, "{") {
		names = templateParams(template)
	}
	out := map[string]paramInfo{}
	add := func(list openapi3.Parameters, at string) {
		for i, pr := range list {
			if pr == nil || pr.Value == nil {
				continue
			}
			out[paramKey(pr.Value, names)] = paramInfo{p: pr.Value, ref: pr.Ref, at: at, i: i}
		}
	}
	if item != nil {
		add(item.Parameters, itemPtr)
	}
	add(op.Parameters, opPtr)
	return out
}

func templateParams(template string) []string {
	var names []string
	for rest := template; ; {
		i := strings.IndexByte(rest, '{')
		if i < 0 {
			return names
		}
		j := strings.IndexByte(rest[i:], '}')
		if j < 0 {
			return names
		}
		names = append(names, rest[i+1:i+j])
		rest = rest[i+j+1:]
	}
}

func paramKey(p *openapi3.Parameter, pathNames []string) string {
	switch p.In {
	case "path":
		for i, n := range pathNames {
			if n == p.Name {
				return "path:#" + itoa(i)
			}
		}
	case "header":
		return "header:" + strings.ToLower(p.Name)
	}
	return p.In + ":" + p.Name
}

func (e *engine) params(c *opCtx) {
	bOpPtr, hOpPtr := c.root.pointer(false), c.root.pointer(true)
	bps := effectiveParams(c.bItem, c.bOp, c.bItemPtr, bOpPtr, c.bPath)
	hps := effectiveParams(c.hItem, c.hOp, c.hItemPtr, hOpPtr, c.hPath)
	if len(bps) == 0 && len(hps) == 0 {
		return
	}
	keys := make(map[string]bool, len(bps)+len(hps))
	for k := range bps {
		keys[k] = true
	}
	for k := range hps {
		keys[k] = true
	}
	for _, k := range sortedKeys(keys) {
		bp, hp := bps[k], hps[k]
		at := refRoot(bp.ref, hp.ref)
		if at == nil {
			named := hp.p
			if named == nil {
				named = bp.p
			}
			var hAbs, bAbs string
			var hToks, bToks []string
			if hp.p != nil {
				hAbs, hToks = hp.at, []string{"parameters", itoa(hp.i)}
			}
			if bp.p != nil {
				bAbs, bToks = bp.at, []string{"parameters", itoa(bp.i)}
			}
			parent := c.root
			if (bp.p == nil || bp.at == c.bItemPtr) && (hp.p == nil || hp.at == c.hItemPtr) {
				// Declared once for every operation of the path: one subject
				// for all of them.
				parent = rootPath(c.hPath, " ", c.hItemPtr, c.bItemPtr)
			}
			at = parent.jump("parameters."+named.In+"."+named.Name, hAbs, hToks, bAbs, bToks)
		}
		d := &rules.ParameterDiff{Base: bp.p, Head: hp.p, BaseSchema: valueOf(schemaOf(bp.p)), HeadSchema: valueOf(schemaOf(hp.p))}
		e.run(e.checks.parameter, opScope(c.idx), at, c.req, func(r *rules.Rule, rep rules.Reporter) { r.Parameter(d, rep) })
		if bp.p != nil && hp.p != nil {
			bw, bText := rules.WireOf(bp.p)
			hw, hText := rules.WireOf(hp.p)
			if bText && hText {
				e.textSchema(opScope(c.idx), c.req, bw, hw, schemaOf(bp.p), schemaOf(hp.p), at.child("schema"))
			} else {
				e.schema(opScope(c.idx), c.req, schemaOf(bp.p), schemaOf(hp.p), at.child("schema"), 0)
			}
		}
	}
}
