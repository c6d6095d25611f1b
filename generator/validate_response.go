package generator

// Response validation (issue 8: "optional response validation for tests and
// sandboxes") and the client's body pre-check: both reuse the schema
// methods request validation generates (validate_schema.go).

import (
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/contracts"
)

// ResponseOp is one operation's declared answers, checked by the generated
// ResponseValidatorFor.
type ResponseOp struct {
	ID     string
	Checks []ResponseCheck
}

// ResponseCheck is one declared response: Status is the contract's key
// ("201", "2XX", "default"); Body the schema method of its JSON body, ""
// when it declares none (or only non-JSON media types); Media that body's
// media type.
type ResponseCheck struct {
	Status, Body, Media string
}

// clientBodies gives the client's pre-check the server's body method for
// every operation whose JSON body has a schema: the client refuses to send
// a body the contract forbids.
func (g *validation) clientBodies() {
	for _, vo := range g.out.Ops {
		if vo.Body == "" || vo.Body == "any" {
			continue
		}
		cc := g.out.Client[vo.ID]
		cc.Body = vo.Body
		g.out.Client[vo.ID] = cc
	}
}

// responses generates the checks of every operation's declared responses.
// The request schemas' methods are generated first, so that the numbered
// names of inline schemas do not depend on whether responses are checked.
func (g *validation) responses(t *openapi3.T, pols []contracts.OperationPolicy) {
	for len(g.queue) > 0 {
		s := g.queue[0]
		g.queue = g.queue[1:]
		g.schema(s)
	}
	view := &responseView{g: g, copies: map[*openapi3.Schema]*openapi3.Schema{}}
	for _, p := range pols {
		if p.Webhook || t.Paths == nil {
			continue
		}
		item := t.Paths.Find(p.Path)
		if item == nil {
			continue
		}
		op := item.GetOperation(p.Method)
		if op == nil || op.Responses == nil || op.Responses.Len() == 0 {
			continue
		}
		ro := ResponseOp{ID: p.ID}
		for _, code := range sortedKeys(op.Responses.Map()) {
			r := op.Responses.Value(code)
			if r == nil || r.Value == nil {
				continue
			}
			rc := ResponseCheck{Status: strings.ToUpper(code)}
			if code == "default" {
				rc.Status = code
			}
			for _, ct := range sortedKeys(r.Value.Content) {
				mt := r.Value.Content[ct]
				if mt == nil || !isJSONMedia(ct) {
					continue
				}
				rc.Body, rc.Media = "any", strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0]))
				if mt.Schema != nil && mt.Schema.Value != nil {
					rc.Body = g.ref(view.ref(mt.Schema))
				}
				break
			}
			ro.Checks = append(ro.Checks, rc)
		}
		g.out.Responses = append(g.out.Responses, ro)
	}
}

// responseView is the schemas as a response reads them: the request's
// methods refuse readOnly properties and require writeOnly ones, an answer
// is the other way round. A schema whose tree holds neither keeps its
// request method; one that does gets a copy with readOnly dropped and its
// writeOnly properties refused, and so a method of its own.
type responseView struct {
	g         *validation
	copies    map[*openapi3.Schema]*openapi3.Schema
	sensitive map[*openapi3.Schema]bool
	writeOnly *openapi3.Schema
}

func (rv *responseView) ref(sr *openapi3.SchemaRef) *openapi3.SchemaRef {
	if sr == nil || sr.Value == nil {
		return sr
	}
	if rv.sensitive == nil {
		rv.sensitive = map[*openapi3.Schema]bool{}
	}
	if _, known := rv.sensitive[sr.Value]; !known {
		rv.mark(sr.Value)
	}
	if !rv.sensitive[sr.Value] {
		return sr
	}
	return &openapi3.SchemaRef{Ref: sr.Ref, Value: rv.copyOf(sr.Value)}
}

// children are the schemas s's checks call.
func children(s *openapi3.Schema) []*openapi3.SchemaRef {
	out := []*openapi3.SchemaRef{s.Items, s.AdditionalProperties.Schema, s.Not}
	for _, name := range sortedKeys(s.Properties) {
		out = append(out, s.Properties[name])
	}
	out = append(out, s.AllOf...)
	out = append(out, s.AnyOf...)
	return append(out, s.OneOf...)
}

// mark finds which schemas reachable from root hold a readOnly or
// writeOnly flag in their tree: every reachable one first, then a fixed
// point, so that recursive schemas are marked right.
func (rv *responseView) mark(root *openapi3.Schema) {
	var all []*openapi3.Schema
	seen := map[*openapi3.Schema]bool{}
	var walk func(*openapi3.Schema)
	walk = func(s *openapi3.Schema) {
		if s == nil || seen[s] {
			return
		}
		if _, known := rv.sensitive[s]; known {
			return
		}
		seen[s] = true
		all = append(all, s)
		for _, c := range children(s) {
			if c != nil {
				walk(c.Value)
			}
		}
	}
	walk(root)
	for _, s := range all {
		rv.sensitive[s] = s.ReadOnly || s.WriteOnly
	}
	for changed := true; changed; {
		changed = false
		for _, s := range all {
			if rv.sensitive[s] {
				continue
			}
			for _, c := range children(s) {
				if c != nil && c.Value != nil && rv.sensitive[c.Value] {
					rv.sensitive[s], changed = true, true
					break
				}
			}
		}
	}
}

// copyOf is s as an answer reads it (memoised, so recursion terminates and
// a schema reached twice has one method).
func (rv *responseView) copyOf(s *openapi3.Schema) *openapi3.Schema {
	if c, ok := rv.copies[s]; ok {
		return c
	}
	c := new(openapi3.Schema)
	*c = *s
	rv.copies[s] = c
	// Copies are named here: an inline copy marshals like its original
	// (a $ref member prints as the reference), and ref's sharing of
	// methods by shape would hand it the request's method.
	if name := rv.g.comp[s]; name != "" {
		rv.g.comp[c] = rv.g.unique(name + "Response")
	} else {
		rv.g.comp[c] = rv.g.unique("r" + strconv.Itoa(len(rv.copies)))
	}
	c.ReadOnly = false
	c.Items = rv.ref(s.Items)
	c.AdditionalProperties.Schema = rv.ref(s.AdditionalProperties.Schema)
	c.Not = rv.ref(s.Not)
	c.AllOf, c.AnyOf, c.OneOf = rv.refs(s.AllOf), rv.refs(s.AnyOf), rv.refs(s.OneOf)
	if s.Properties != nil {
		c.Properties = make(openapi3.Schemas, len(s.Properties))
		c.Required = nil
		for name, pr := range s.Properties {
			if pr != nil && pr.Value != nil && pr.Value.WriteOnly {
				c.Properties[name] = &openapi3.SchemaRef{Value: rv.refused()}
				continue
			}
			c.Properties[name] = rv.ref(pr)
		}
		for _, name := range s.Required {
			// A required writeOnly property is required of requests only.
			if pr := s.Properties[name]; pr == nil || pr.Value == nil || !pr.Value.WriteOnly {
				c.Required = append(c.Required, name)
			}
		}
	}
	return c
}

func (rv *responseView) refs(in openapi3.SchemaRefs) openapi3.SchemaRefs {
	if in == nil {
		return nil
	}
	out := make(openapi3.SchemaRefs, len(in))
	for i, sr := range in {
		out[i] = rv.ref(sr)
	}
	return out
}

// refused is the schema of a writeOnly property in an answer: no value is
// allowed. It is named, so that no inline schema of the same JSON ({}:
// Always is not marshalled) shares its method.
func (rv *responseView) refused() *openapi3.Schema {
	if rv.writeOnly == nil {
		no := false
		rv.writeOnly = &openapi3.Schema{Always: &no}
		rv.g.comp[rv.writeOnly] = rv.g.unique("sWriteOnly")
	}
	return rv.writeOnly
}
