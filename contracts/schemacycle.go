package contracts

import (
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// SchemaCycles reports schemas that contain themselves with no way out, so
// that no finite value (and no Go type) can be one: A: {allOf: [{$ref: A}]},
// A: {oneOf: [{$ref: A}]} with no other member, a required, non-nullable
// property that leads back to its own object. Recursion through an optional
// property, an array or a map is fine (the recursion can stop) and is not
// reported. kin-openapi's validation accepts all of these; generating code
// from them overflowed the stack or produced `type A = B; type B = A`.
//
// A schema is finite when it is nullable, or when every allOf member and
// every required property's schema is finite and, if it is a union, at least
// one member is. That is a least fixed point, computed by propagation in
// time linear in the size of the document; what it leaves are the schemas
// that cannot be finite.
func (d *Document) SchemaCycles() []Problem {
	if d.Kind != KindOpenAPI || d.OpenAPI == nil {
		return nil
	}
	g := collectSchemas(d)
	const (
		needAll = iota
		needAny
	)
	type dependent struct {
		s    *openapi3.Schema
		kind int
	}
	pending := map[*openapi3.Schema]int{}
	unionMet := map[*openapi3.Schema]bool{}
	users := map[*openapi3.Schema][]dependent{}
	finite := map[*openapi3.Schema]bool{}
	var queue []*openapi3.Schema
	for _, s := range g.order {
		n := 0
		if !nullable(s) {
			all := map[*openapi3.Schema]bool{}
			for _, c := range mandatoryParts(s) {
				if !all[c] {
					all[c] = true
					n++
					users[c] = append(users[c], dependent{s, needAll})
				}
			}
			if members := unionMembers(s); len(members) > 0 {
				n++
				for _, c := range members {
					if c == nil {
						unionMet[s] = true
						continue
					}
					users[c] = append(users[c], dependent{s, needAny})
				}
				if unionMet[s] {
					n--
				}
			}
		}
		pending[s] = n
		if n == 0 {
			finite[s] = true
			queue = append(queue, s)
		}
	}
	for len(queue) > 0 {
		c := queue[0]
		queue = queue[1:]
		for _, u := range users[c] {
			if finite[u.s] {
				continue
			}
			if u.kind == needAny {
				if unionMet[u.s] {
					continue
				}
				unionMet[u.s] = true
			}
			pending[u.s]--
			if pending[u.s] == 0 {
				finite[u.s] = true
				queue = append(queue, u.s)
			}
		}
	}

	// Report each cycle once, where the chain of blocking parts from an
	// infinite schema first comes back to a schema already on it.
	var problems []Problem
	reported := map[*openapi3.Schema]bool{}
	for _, s := range g.order {
		if finite[s] || reported[s] {
			continue
		}
		var chain []*openapi3.Schema
		var how []string
		at := map[*openapi3.Schema]int{}
		cur := s
		for {
			if i, ok := at[cur]; ok {
				chain, how = chain[i:], how[i:]
				break
			}
			at[cur] = len(chain)
			next, label := blockingPart(cur, finite)
			chain = append(chain, cur)
			how = append(how, label)
			cur = next
		}
		if reported[chain[0]] {
			continue
		}
		var b strings.Builder
		for i, c := range chain {
			reported[c] = true
			b.WriteString(g.name[c])
			b.WriteString(" " + how[i] + " → ")
		}
		b.WriteString(g.name[chain[0]])
		problems = append(problems, Problem{
			Pos:      g.pos(d, chain[0]),
			Severity: SeverityError,
			Code:     "cyclic-schema",
			Message:  "schema " + g.name[chain[0]] + " contains itself with no way out, so no finite value matches it: " + b.String(),
			Hint:     "let the recursion stop: make the property optional or nullable, move it under an array or a map, or give the union a member that does not refer back",
		})
	}
	return sortProblems(problems)
}

// mandatoryParts are the subschemas every value of s must also match in
// full: allOf members and required properties.
func mandatoryParts(s *openapi3.Schema) []*openapi3.Schema {
	var out []*openapi3.Schema
	for _, m := range s.AllOf {
		if m != nil && m.Value != nil {
			out = append(out, m.Value)
		}
	}
	for _, name := range s.Required {
		if p := s.Properties[name]; p != nil && p.Value != nil {
			out = append(out, p.Value)
		}
	}
	return out
}

// unionMembers are the oneOf and anyOf members; nil stands for a member
// with no schema, which any value matches.
func unionMembers(s *openapi3.Schema) []*openapi3.Schema {
	var out []*openapi3.Schema
	for _, list := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		for _, m := range list {
			if m == nil || m.Value == nil {
				out = append(out, nil)
				continue
			}
			out = append(out, m.Value)
		}
	}
	return out
}

func nullable(s *openapi3.Schema) bool {
	return s.Nullable || (s.Type != nil && s.Type.Includes(openapi3.TypeNull))
}

// blockingPart names a part of an infinite schema that is itself infinite,
// and how s includes it.
func blockingPart(s *openapi3.Schema, finite map[*openapi3.Schema]bool) (*openapi3.Schema, string) {
	for i, m := range s.AllOf {
		if m != nil && m.Value != nil && !finite[m.Value] {
			return m.Value, "allOf/" + strconv.Itoa(i)
		}
	}
	for _, name := range s.Required {
		if p := s.Properties[name]; p != nil && p.Value != nil && !finite[p.Value] {
			return p.Value, "requires " + name
		}
	}
	for i, m := range s.OneOf {
		if m != nil && m.Value != nil {
			return m.Value, "oneOf/" + strconv.Itoa(i)
		}
	}
	for i, m := range s.AnyOf {
		if m != nil && m.Value != nil {
			return m.Value, "anyOf/" + strconv.Itoa(i)
		}
	}
	return s, "?" // unreachable: an infinite schema has an infinite part
}

// schemaGraph is every schema of a document, each once, with a name and a
// position for messages.
type schemaGraph struct {
	order []*openapi3.Schema
	name  map[*openapi3.Schema]string
	// at is the JSON pointer ("/components/schemas/A") or the $ref
	// ("common.yaml#/X") where the schema is written; positions are looked
	// up only for the schemas reported.
	at map[*openapi3.Schema]string
}

func (g schemaGraph) pos(d *Document, s *openapi3.Schema) Position {
	at := g.at[s]
	if strings.HasPrefix(at, "/") {
		return d.Pos(at)
	}
	return d.RefPos(at)
}

// collectSchemas walks the document's schemas without recursion (an
// explicit stack), components first so that a schema is named after its
// component rather than after a place that refers to it.
func collectSchemas(d *Document) schemaGraph {
	g := schemaGraph{name: map[*openapi3.Schema]string{}, at: map[*openapi3.Schema]string{}}
	type site struct {
		r       *openapi3.SchemaRef
		pointer string
	}
	var stack []site
	push := func(r *openapi3.SchemaRef, pointer string) {
		if r != nil && r.Value != nil {
			stack = append(stack, site{r, pointer})
		}
	}
	drain := func() {
		for len(stack) > 0 {
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			s := top.r.Value
			if _, seen := g.name[s]; seen {
				continue
			}
			switch ref := top.r.Ref; {
			case strings.HasPrefix(ref, "#/components/schemas/") && strings.Count(ref, "/") == 3:
				g.name[s] = unescapePointerToken(strings.TrimPrefix(ref, "#/components/schemas/"))
				g.at[s] = ref[1:]
			case ref != "":
				g.name[s] = ref
				g.at[s] = ref
			default:
				g.name[s] = strings.TrimPrefix(top.pointer, "/components/schemas/")
				g.at[s] = top.pointer
			}
			g.order = append(g.order, s)
			p := top.pointer
			if top.r.Ref != "" && strings.HasPrefix(top.r.Ref, "#/") {
				p = top.r.Ref[1:]
			}
			// Pushed in reverse so that the first child is visited first.
			for i := len(s.OneOf) - 1; i >= 0; i-- {
				push(s.OneOf[i], p+"/oneOf/"+strconv.Itoa(i))
			}
			for i := len(s.AnyOf) - 1; i >= 0; i-- {
				push(s.AnyOf[i], p+"/anyOf/"+strconv.Itoa(i))
			}
			push(s.Not, p+"/not")
			push(s.AdditionalProperties.Schema, p+"/additionalProperties")
			push(s.Items, p+"/items")
			keys := sortedKeys(s.Properties)
			for i := len(keys) - 1; i >= 0; i-- {
				push(s.Properties[keys[i]], p+Pointer("properties", keys[i]))
			}
			for i := len(s.AllOf) - 1; i >= 0; i-- {
				push(s.AllOf[i], p+"/allOf/"+strconv.Itoa(i))
			}
		}
	}
	t := d.OpenAPI
	if t.Components != nil {
		names := sortedKeys(t.Components.Schemas)
		for i := len(names) - 1; i >= 0; i-- {
			push(t.Components.Schemas[names[i]], Pointer("components", "schemas", names[i]))
		}
		drain()
	}
	// Schemas used only inline under paths, webhooks and other components.
	visitContent := func(c openapi3.Content, pointer string) {
		for _, ct := range sortedKeys(c) {
			if mt := c[ct]; mt != nil {
				push(mt.Schema, pointer+Pointer("content", ct, "schema"))
			}
		}
	}
	visitParams := func(ps openapi3.Parameters, pointer string) {
		for i, p := range ps {
			if p != nil && p.Value != nil {
				pp := pointer + "/parameters/" + strconv.Itoa(i)
				push(p.Value.Schema, pp+"/schema")
				visitContent(p.Value.Content, pp)
			}
		}
	}
	visitItem := func(item *openapi3.PathItem, pointer string) {
		if item == nil {
			return
		}
		visitParams(item.Parameters, pointer)
		for _, m := range sortedKeys(item.Operations()) {
			op := item.Operations()[m]
			opPtr := pointer + Pointer(strings.ToLower(m))
			visitParams(op.Parameters, opPtr)
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				visitContent(op.RequestBody.Value.Content, opPtr+"/requestBody")
			}
			if op.Responses != nil {
				for _, code := range sortedKeys(op.Responses.Map()) {
					if r := op.Responses.Value(code); r != nil && r.Value != nil {
						visitContent(r.Value.Content, opPtr+Pointer("responses", code))
					}
				}
			}
			drain()
		}
	}
	if t.Paths != nil {
		for _, p := range sortedKeys(t.Paths.Map()) {
			visitItem(t.Paths.Value(p), Pointer("paths", p))
		}
	}
	for _, n := range sortedKeys(t.Webhooks) {
		visitItem(t.Webhooks[n], Pointer("webhooks", n))
	}
	if c := t.Components; c != nil {
		for _, n := range sortedKeys(c.Parameters) {
			if p := c.Parameters[n]; p != nil && p.Value != nil {
				push(p.Value.Schema, Pointer("components", "parameters", n, "schema"))
			}
		}
		for _, n := range sortedKeys(c.RequestBodies) {
			if b := c.RequestBodies[n]; b != nil && b.Value != nil {
				visitContent(b.Value.Content, Pointer("components", "requestBodies", n))
			}
		}
		for _, n := range sortedKeys(c.Responses) {
			if r := c.Responses[n]; r != nil && r.Value != nil {
				visitContent(r.Value.Content, Pointer("components", "responses", n))
			}
		}
		drain()
	}
	return g
}
