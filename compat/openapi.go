package compat

import (
	"strings"

	"github.com/accord-dev/accord/compat/rules"
	"github.com/getkin/kin-openapi/openapi3"
)

// httpMethods is the order operations are visited in.
var httpMethods = [...]string{"GET", "PUT", "POST", "DELETE", "OPTIONS", "HEAD", "PATCH", "TRACE"}

// opCtx is one matched OpenAPI operation (path operation, webhook or
// callback) being compared.
type opCtx struct {
	idx          int32
	key          string
	bPath, hPath string // templates, for path parameter positions
	bItem, hItem *openapi3.PathItem
	bOp, hOp     *openapi3.Operation
	// bItemPtr and hItemPtr locate the path items ("#/paths/~1orders"),
	// where path-level parameters live.
	bItemPtr, hItemPtr string
	root               *path
	// req is the direction of what the operation's caller writes, resp of
	// what it reads: request/response for paths, reversed for webhooks and
	// callbacks, which the API itself calls.
	req, resp rules.Direction
	// api: the API serves this operation (not a webhook or callback), so
	// its security and servers are clients' concern.
	api bool
}

func (e *engine) openAPI() {
	b, h := e.base.OpenAPI, e.head.OpenAPI
	// Paths match exactly, else on the template with parameter names
	// dropped. Some documents hold two templates that differ only in
	// parameter names (/a/{id} for GET, /a/{slug} for DELETE): exact matches
	// are taken first so such twins are not crossed.
	heads := map[string][]string{} // template with names dropped -> head templates
	if h.Paths != nil {
		for _, k := range sortedKeys(h.Paths.Map()) {
			heads[normPath(k)] = append(heads[normPath(k)], k)
		}
	}
	if b.Paths != nil {
		for _, bk := range sortedKeys(b.Paths.Map()) {
			var hi *openapi3.PathItem
			hk := ""
			if h.Paths != nil && h.Paths.Value(bk) != nil {
				hk = bk
			} else {
				for _, cand := range heads[normPath(bk)] {
					if b.Paths.Value(cand) == nil {
						hk = cand // not claimed by a base path of the same name
						break
					}
				}
			}
			if hk != "" {
				hi = h.Paths.Value(hk)
			}
			e.pathItem(bk, hk, b.Paths.Value(bk), hi, false)
		}
	}
	for _, name := range sortedKeys(b.Webhooks) {
		e.pathItem(name, name, b.Webhooks[name], h.Webhooks[name], true)
	}
	e.schemes()
}

// normPath drops parameter names from a path template: /orders/{id} and
// /orders/{orderId} are the same path.
func normPath(p string) string {
	if !strings.Contains(p, "{") {
		return p
	}
	var b strings.Builder
	in := false
	for _, r := range p {
		switch {
		case r == '{':
			in = true
			b.WriteString("{}")
		case r == '}':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (e *engine) pathItem(bk, hk string, bi, hi *openapi3.PathItem, webhook bool) {
	if bi == nil {
		return
	}
	section, label := "paths", bk
	if webhook {
		section, label = "webhooks", "webhook:"+bk
	}
	bPtr := "#/" + section + "/" + escapeToken(bk)
	hPtr := "#/" + section + "/" + escapeToken(hk)
	if hi == nil {
		var ops []int32
		for _, m := range httpMethods {
			if op := bi.GetOperation(m); op != nil {
				ops = append(ops, e.addOp(m+" "+label, op.OperationID))
			}
		}
		if len(ops) == 0 {
			return
		}
		d := &rules.PathDiff{BasePath: label, Base: bi}
		at := rootPath(label, " ", "#/"+section, bPtr)
		e.run(e.checks.path, scope{node: -1, ops: ops}, at, rules.None, func(r *rules.Rule, rep rules.Reporter) { r.Path(d, rep) })
		return
	}
	hLabel := hk
	if webhook {
		hLabel = "webhook:" + hk
	}
	for _, m := range httpMethods {
		bop := bi.GetOperation(m)
		if bop == nil {
			continue
		}
		c := &opCtx{
			bPath: bk, hPath: hk, bItem: bi, hItem: hi, bOp: bop, hOp: hi.GetOperation(m),
			bItemPtr: bPtr, hItemPtr: hPtr,
			req: rules.Request, resp: rules.Response, api: !webhook,
		}
		if webhook {
			c.req, c.resp = rules.Response, rules.Request
		}
		lower := strings.ToLower(m)
		c.key = m + " " + hLabel
		c.root = rootPath(c.key, " ", hPtr+"/"+lower, bPtr+"/"+lower)
		if c.hOp == nil {
			c.key = m + " " + label
			c.root = rootPath(c.key, " ", hPtr, bPtr+"/"+lower)
		}
		e.operation(c)
	}
}

// operation compares one operation pair (or reports it removed).
func (e *engine) operation(c *opCtx) {
	info := func(op *openapi3.Operation) *rules.Operation {
		if op == nil {
			return nil
		}
		return &rules.Operation{ID: op.OperationID, Deprecated: op.Deprecated, Extensions: op.Extensions}
	}
	id := c.bOp.OperationID
	if c.hOp != nil && c.hOp.OperationID != "" {
		id = c.hOp.OperationID
	}
	c.idx = e.addOp(c.key, id)
	d := &rules.OperationDiff{Key: c.key, Base: info(c.bOp), Head: info(c.hOp), Life: e.life}
	e.run(e.checks.operation, opScope(c.idx), c.root, rules.None, func(r *rules.Rule, rep rules.Reporter) { r.Operation(d, rep) })
	if c.hOp == nil {
		return
	}
	if c.api {
		e.opSecurity(c)
		e.opServers(c)
	}
	e.params(c)
	e.body(c)
	e.responses(c)
	e.callbacks(c)
}

// refRoot returns a component root when both sides use the same $ref, so
// that a change to a shared parameter, body, response or header is one
// finding for every operation using it.
func refRoot(b, h string) *path {
	if b != "" && b == h {
		return rootPath(refLabel(h), ".", h, b)
	}
	return nil
}

func (e *engine) body(c *opCtx) {
	bb, hb := c.bOp.RequestBody, c.hOp.RequestBody
	var bv, hv *openapi3.RequestBody
	var bRef, hRef string
	if bb != nil {
		bv, bRef = bb.Value, bb.Ref
	}
	if hb != nil {
		hv, hRef = hb.Value, hb.Ref
	}
	if bv == nil && hv == nil {
		return
	}
	at := refRoot(bRef, hRef)
	if at == nil {
		at = c.root.child("requestBody")
	}
	d := &rules.BodyDiff{Base: bv, Head: hv}
	e.run(e.checks.body, opScope(c.idx), at, c.req, func(r *rules.Rule, rep rules.Reporter) { r.Body(d, rep) })
	if bv != nil && hv != nil {
		e.content(c, at, c.req, bv.Content, hv.Content)
	}
}

// content compares the media types of a body or response, then the schema
// of each media type both sides serve.
func (e *engine) content(c *opCtx, at *path, dir rules.Direction, b, h openapi3.Content) {
	if len(b) == 0 {
		return
	}
	d := &rules.ContentDiff{Dir: dir, Base: b, Head: h}
	e.run(e.checks.content, opScope(c.idx), at, dir, func(r *rules.Rule, rep rules.Reporter) { r.Content(d, rep) })
	for _, mt := range sortedKeys(b) {
		hmt, ok := rules.MatchMedia(mt, h)
		bm, hm := b[mt], h[hmt]
		if !ok || bm == nil || hm == nil {
			continue
		}
		p := at.child("content")
		if hmt == mt {
			p = p.child(mt)
		} else {
			p = p.sides(hmt, []string{hmt}, []string{mt})
		}
		e.schema(opScope(c.idx), dir, bm.Schema, hm.Schema, p.child("schema"), 0)
	}
}

func (e *engine) responses(c *opCtx) {
	br, hr := c.bOp.Responses, c.hOp.Responses
	d := &rules.ResponsesDiff{Dir: c.resp, Base: br, Head: hr}
	e.run(e.checks.responses, opScope(c.idx), c.root, c.resp, func(r *rules.Rule, rep rules.Reporter) { r.Responses(d, rep) })
	if br == nil || hr == nil {
		return
	}
	for _, code := range sortedKeys(br.Map()) {
		for _, hcode := range rules.MatchStatus(code, hr) {
			b, h := br.Value(code), hr.Value(hcode)
			if b == nil || h == nil || b.Value == nil || h.Value == nil {
				continue
			}
			at := refRoot(b.Ref, h.Ref)
			if at == nil {
				at = c.root.child("responses")
				if hcode == code {
					at = at.child(code)
				} else {
					at = at.sides(hcode, []string{hcode}, []string{code})
				}
			}
			e.headers(c, at, b.Value.Headers, h.Value.Headers)
			e.content(c, at, c.resp, b.Value.Content, h.Value.Content)
		}
	}
}

func (e *engine) headers(c *opCtx, at *path, b, h openapi3.Headers) {
	if len(b) == 0 {
		return
	}
	byLower := make(map[string]string, len(h))
	for name := range h {
		byLower[strings.ToLower(name)] = name
	}
	for _, name := range sortedKeys(b) {
		bh := b[name]
		if bh == nil || bh.Value == nil || strings.EqualFold(name, "content-type") {
			continue // Content-Type is described by content, not here
		}
		var hh *openapi3.HeaderRef
		if hn, ok := byLower[strings.ToLower(name)]; ok {
			hh = h[hn]
		}
		d := &rules.HeaderDiff{Name: name, Base: bh.Value}
		hRef := ""
		if hh != nil && hh.Value != nil {
			d.Head, hRef = hh.Value, hh.Ref
		}
		hp := refRoot(bh.Ref, hRef)
		if hp == nil {
			hp = at.child("headers").child(name)
		}
		e.run(e.checks.header, opScope(c.idx), hp, c.resp, func(r *rules.Rule, rep rules.Reporter) { r.Header(d, rep) })
		if d.Head != nil {
			// A header with a schema is text (style simple); one with
			// content carries that media type.
			if d.Base.Schema != nil && d.Head.Schema != nil {
				w := rules.ParamWire{In: "header", Style: "simple"}
				e.textSchema(opScope(c.idx), c.resp, w, w, d.Base.Schema, d.Head.Schema, hp.child("schema"))
			} else {
				e.schema(opScope(c.idx), c.resp, schemaOf(&d.Base.Parameter), schemaOf(&d.Head.Parameter), hp.child("schema"), 0)
			}
		}
	}
}

// callbacks compares the requests the API makes back to the caller: their
// directions are reversed, since the API writes them and the client reads.
func (e *engine) callbacks(c *opCtx) {
	for _, name := range sortedKeys(c.bOp.Callbacks) {
		bcb, hcb := c.bOp.Callbacks[name], c.hOp.Callbacks[name]
		if bcb == nil || bcb.Value == nil {
			continue
		}
		for _, expr := range sortedKeys(bcb.Value.Map()) {
			bi := bcb.Value.Value(expr)
			var hi *openapi3.PathItem
			if hcb != nil && hcb.Value != nil {
				hi = hcb.Value.Value(expr)
			}
			if bi == nil {
				continue
			}
			for _, m := range httpMethods {
				bop := bi.GetOperation(m)
				if bop == nil {
					continue
				}
				lower := strings.ToLower(m)
				sub := &opCtx{
					key: m + " " + expr + " (callback " + name + " of " + c.key + ")",
					bOp: bop, bItem: bi, hItem: hi, bPath: expr, hPath: expr,
					req: c.resp, resp: c.req,
				}
				ptr := func(root *path, head bool) string {
					return root.pointer(head) + "/callbacks/" + escapeToken(name) + "/" + escapeToken(expr)
				}
				sub.bItemPtr, sub.hItemPtr = ptr(c.root, false), ptr(c.root, true)
				if hi != nil {
					sub.hOp = hi.GetOperation(m)
				}
				sub.root = rootPath(sub.key, " ", sub.hItemPtr+"/"+lower, sub.bItemPtr+"/"+lower)
				e.operation(sub)
			}
		}
	}
}
