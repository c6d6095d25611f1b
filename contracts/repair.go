package contracts

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// RepairForGen fixes, in d's model, the small rule violations that vendors'
// published contracts commit and whose intent is plain, so that gen can
// generate code for a contract its user cannot edit. Each repair is
// returned as a note-severity problem at the element it changed. Validate
// stays strict: it is for the contract's authors, and a repaired document
// is never written back. Call it after Load and before Validate, on a
// document loaded for generation.
func RepairForGen(d *Document) []Problem {
	if d == nil || d.Kind != KindOpenAPI || d.OpenAPI == nil {
		return nil
	}
	d.forGen = true
	r := repairer{d: d, t: d.OpenAPI, seen: map[*openapi3.Schema]bool{}}
	r.info()
	r.externalDocs()
	r.servers()
	r.schemas()
	r.pathParameters()
	return r.notes
}

// SeverityNote marks a repair gen made; it never fails a command.
const SeverityNote Severity = "note"

type repairer struct {
	d     *Document
	t     *openapi3.T
	seen  map[*openapi3.Schema]bool
	notes []Problem
}

func (r *repairer) note(pointer, code, format string, args ...any) {
	r.notes = append(r.notes, Problem{Pos: r.d.Pos(pointer), Severity: SeverityNote, Code: code, Message: fmt.Sprintf(format, args...)})
}

// info: an empty info.version is only a missing label; generated code
// prints it in its documentation and nowhere else.
func (r *repairer) info() {
	if r.t.Info == nil {
		r.t.Info = &openapi3.Info{}
	}
	if r.t.Info.Version == "" {
		r.t.Info.Version = "0.0.0"
		r.note("/info", "repair-empty-version", "info.version is empty; generated as version 0.0.0")
	}
}

// schemas repairs every schema of the document, each once, where it is
// written (a $ref'd schema at its component).
func (r *repairer) schemas() {
	t := r.t
	if c := t.Components; c != nil {
		for _, n := range sortedKeys(c.Schemas) {
			r.schema(c.Schemas[n], Pointer("components", "schemas", n))
		}
		for _, n := range sortedKeys(c.Parameters) {
			r.parameter(c.Parameters[n], Pointer("components", "parameters", n))
		}
		for _, n := range sortedKeys(c.RequestBodies) {
			if b := c.RequestBodies[n]; b != nil && b.Ref == "" && b.Value != nil {
				r.content(b.Value.Content, Pointer("components", "requestBodies", n, "content"))
			}
		}
		for _, n := range sortedKeys(c.Responses) {
			r.response(c.Responses[n], Pointer("components", "responses", n))
		}
		for _, n := range sortedKeys(c.Headers) {
			if h := c.Headers[n]; h != nil && h.Ref == "" && h.Value != nil {
				r.schema(h.Value.Schema, Pointer("components", "headers", n, "schema"))
			}
		}
	}
	if t.Paths == nil {
		return
	}
	for _, path := range sortedKeys(t.Paths.Map()) {
		item := t.Paths.Value(path)
		if item == nil {
			continue
		}
		for i, p := range item.Parameters {
			r.parameter(p, Pointer("paths", path, "parameters", strconv.Itoa(i)))
		}
		for _, m := range sortedKeys(item.Operations()) {
			op := item.Operations()[m]
			at := Pointer("paths", path, strings.ToLower(m))
			for i, p := range op.Parameters {
				r.parameter(p, at+Pointer("parameters", strconv.Itoa(i)))
			}
			if b := op.RequestBody; b != nil && b.Ref == "" && b.Value != nil {
				r.content(b.Value.Content, at+Pointer("requestBody", "content"))
			}
			if op.Responses != nil {
				for _, code := range sortedKeys(op.Responses.Map()) {
					r.response(op.Responses.Value(code), at+Pointer("responses", code))
				}
			}
		}
	}
}

func (r *repairer) parameter(p *openapi3.ParameterRef, at string) {
	if p == nil || p.Ref != "" || p.Value == nil {
		return
	}
	if p.Value.In == openapi3.ParameterInPath && !p.Value.Required {
		p.Value.Required = true
		r.note(at, "repair-path-parameter-required", "path parameter %q is not marked required; a path parameter always is, so it is generated as required", p.Value.Name)
	}
	r.schema(p.Value.Schema, at+"/schema")
	r.content(p.Value.Content, at+"/content")
}

func (r *repairer) content(c openapi3.Content, at string) {
	for _, ct := range sortedKeys(c) {
		if mt := c[ct]; mt != nil {
			r.schema(mt.Schema, at+Pointer(ct, "schema"))
		}
	}
}

func (r *repairer) response(resp *openapi3.ResponseRef, at string) {
	if resp == nil || resp.Ref != "" || resp.Value == nil {
		return
	}
	r.content(resp.Value.Content, at+"/content")
	for _, n := range sortedKeys(resp.Value.Headers) {
		if h := resp.Value.Headers[n]; h != nil && h.Ref == "" && h.Value != nil {
			r.schema(h.Value.Schema, at+Pointer("headers", n, "schema"))
		}
	}
}

func (r *repairer) schema(ref *openapi3.SchemaRef, at string) {
	if ref == nil || ref.Ref != "" || ref.Value == nil || r.seen[ref.Value] {
		return
	}
	s := ref.Value
	r.seen[s] = true
	r.dropDocs(&s.ExternalDocs, at+"/externalDocs")
	if s.Type.Is(openapi3.TypeArray) && s.Items == nil {
		s.Items = &openapi3.SchemaRef{Value: &openapi3.Schema{}}
		r.note(at, "repair-array-items", "array schema without items; generated as an array of any JSON value")
	}
	if dupes := dedupe(&s.Required); len(dupes) > 0 {
		r.note(at+"/required", "repair-duplicate-required", "required lists %s more than once; each is required once", strings.Join(dupes, ", "))
	}
	if r.t.IsOpenAPI31OrLater() {
		r.exclusive(&s.ExclusiveMin, &s.Min, at, "exclusiveMinimum", "minimum")
		r.exclusive(&s.ExclusiveMax, &s.Max, at, "exclusiveMaximum", "maximum")
	}
	for _, n := range sortedKeys(s.Properties) {
		r.schema(s.Properties[n], at+Pointer("properties", n))
	}
	r.schema(s.Items, at+"/items")
	for i, m := range s.AllOf {
		r.schema(m, at+Pointer("allOf", strconv.Itoa(i)))
	}
	for i, m := range s.AnyOf {
		r.schema(m, at+Pointer("anyOf", strconv.Itoa(i)))
	}
	for i, m := range s.OneOf {
		r.schema(m, at+Pointer("oneOf", strconv.Itoa(i)))
	}
	r.schema(s.Not, at+"/not")
	r.schema(s.AdditionalProperties.Schema, at+"/additionalProperties")
}

// exclusive turns OpenAPI 3.0's boolean exclusiveMinimum (a flag on
// minimum) into 3.1's numeric form, which is what the author meant.
func (r *repairer) exclusive(b *openapi3.ExclusiveBound, bound **float64, at, key, boundKey string) {
	if b.Bool == nil {
		return
	}
	switch {
	case *b.Bool && *bound != nil:
		v := **bound
		*b = openapi3.ExclusiveBound{Value: &v}
		*bound = nil
		r.note(at+"/"+key, "repair-boolean-exclusive", "%s: true is OpenAPI 3.0's form; generated as OpenAPI 3.1's %s: %v", key, key, v)
	default:
		*b = openapi3.ExclusiveBound{}
		r.note(at+"/"+key, "repair-boolean-exclusive", "%s is a boolean in an OpenAPI 3.1 document and bounds nothing here (no %s); ignored", key, boundKey)
	}
}

// dedupe removes repeated entries from *list in place, keeping the first,
// and returns the repeated values.
func dedupe(list *[]string) []string {
	if len(*list) < 2 {
		return nil
	}
	seen := map[string]int{}
	var dupes []string
	out := (*list)[:0]
	for _, v := range *list {
		if seen[v]++; seen[v] > 1 {
			if seen[v] == 2 {
				dupes = append(dupes, strconv.Quote(v))
			}
			continue
		}
		out = append(out, v)
	}
	*list = out
	return dupes
}

var pathTemplateParam = regexp.MustCompile(`\{([^{}/]+)\}`)

// pathParameters makes every operation declare exactly the parameters of
// its path: a parameter in the template that no one declares is added as a
// required string, and a declared path parameter that the template does not
// have (it could never be sent) is dropped from the operation.
func (r *repairer) pathParameters() {
	if r.t.Paths == nil {
		return
	}
	for _, path := range sortedKeys(r.t.Paths.Map()) {
		item := r.t.Paths.Value(path)
		if item == nil {
			continue
		}
		inTemplate := map[string]bool{}
		var names []string
		for _, m := range pathTemplateParam.FindAllStringSubmatch(path, -1) {
			// {name:pattern} (and a stray {name:}) names name, as
			// kin-openapi reads it.
			name, _, _ := strings.Cut(m[1], ":")
			if !inTemplate[name] {
				inTemplate[name] = true
				names = append(names, name)
			}
		}
		itemDeclared := map[string]bool{}
		for _, p := range item.Parameters {
			if p != nil && p.Value != nil && p.Value.In == openapi3.ParameterInPath {
				itemDeclared[p.Value.Name] = true
			}
		}
		for _, m := range sortedKeys(item.Operations()) {
			op := item.Operations()[m]
			at := Pointer("paths", path, strings.ToLower(m))
			declared := map[string]bool{}
			for n := range itemDeclared {
				declared[n] = true
			}
			kept := op.Parameters[:0:0]
			for i, p := range op.Parameters {
				if p != nil && p.Value != nil && p.Value.In == openapi3.ParameterInPath {
					if !inTemplate[p.Value.Name] {
						r.note(at+Pointer("parameters", strconv.Itoa(i)), "repair-path-parameter-unused", "path parameter %q is not in the path %s; dropped (it could never be sent)", p.Value.Name, path)
						continue
					}
					declared[p.Value.Name] = true
				}
				kept = append(kept, p)
			}
			op.Parameters = kept
			for _, n := range names {
				if declared[n] {
					continue
				}
				op.Parameters = append(op.Parameters, &openapi3.ParameterRef{Value: &openapi3.Parameter{
					Name: n, In: openapi3.ParameterInPath, Required: true,
					Schema: &openapi3.SchemaRef{Value: openapi3.NewStringSchema()},
				}})
				r.note(at, "repair-path-parameter-undeclared", "the operation does not declare the path parameter %q of %s; generated as a required string", n, path)
			}
		}
		// A path-level parameter the template lacks is dropped too.
		kept := item.Parameters[:0:0]
		for i, p := range item.Parameters {
			if p != nil && p.Value != nil && p.Value.In == openapi3.ParameterInPath && !inTemplate[p.Value.Name] {
				r.note(Pointer("paths", path, "parameters", strconv.Itoa(i)), "repair-path-parameter-unused", "path parameter %q is not in the path %s; dropped (it could never be sent)", p.Value.Name, path)
				continue
			}
			kept = append(kept, p)
		}
		item.Parameters = kept
	}
}
