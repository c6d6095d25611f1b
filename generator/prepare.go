package generator

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// The fixes below change the kin-openapi model before oapi-codegen sees it,
// each for a class of contract that oapi-codegen alone turns into code that
// does not generate or does not compile. They set oapi-codegen's own
// extensions or normalise references; none changes what the API accepts.

// internalizeRefs copies components that live in other files into the root
// document and points the $refs at the copies: oapi-codegen only names types
// for the root's components and asks for an import mapping otherwise.
func internalizeRefs(t *openapi3.T) bool {
	external := false
	forEachSchemaRef(t, func(r *openapi3.SchemaRef, _ []string) {
		if r.Ref != "" && !strings.HasPrefix(r.Ref, "#") {
			external = true
		}
	})
	if external {
		t.InternalizeRefs(context.Background(), nil)
	}
	return external
}

// inlineDeepRefs turns $refs that point inside another schema
// (#/components/schemas/Bill/allOf/0/properties/x) into inline schemas:
// oapi-codegen names types after #/components/<section>/<name> only and
// fails on deeper pointers. The resolved schema is kept, so nothing changes
// but the generated type's name. Returns how many refs were inlined.
func inlineDeepRefs(t *openapi3.T) int {
	n := 0
	forEachSchemaRef(t, func(r *openapi3.SchemaRef, _ []string) {
		if isDeepLocalRef(r.Ref) {
			r.Ref = ""
			n++
		}
	})
	return n
}

func isDeepLocalRef(ref string) bool {
	if !strings.HasPrefix(ref, "#/") {
		return false
	}
	parts := strings.Split(ref, "/")
	return len(parts) != 4 || parts[1] != "components"
}

// renameInlineEnums gives an inline enum an x-go-type-name when the name
// oapi-codegen would derive from its path (schema, then property names) is
// already taken: GitHub's code-scanning-variant-analysis has an inline
// `status` enum while a component code-scanning-variant-analysis-status
// exists, and both become CodeScanningVariantAnalysisStatus. The component
// keeps its name (other schemas refer to it); the inline enum becomes
// <Name>Enum (then Enum2, ...). taken holds every component's Go name.
func renameInlineEnums(t *openapi3.T, taken map[string]bool) []string {
	var notes []string
	// Inline enums met at the same path (allOf members merged by
	// oapi-codegen) are one type; only a different path is a collision.
	seen := map[string]string{}
	forEachSchemaRef(t, func(r *openapi3.SchemaRef, path []string) {
		s := r.Value
		if r.Ref != "" || s == nil || len(s.Enum) == 0 || len(path) < 2 || path[0] == "" {
			return
		}
		if _, ok := s.Extensions["x-go-type-name"]; ok {
			return
		}
		name := codegen.SchemaNameToTypeName(codegen.PathToTypeName(slices.Clone(path)))
		at := strings.Join(path, "/")
		if prev, ok := seen[name]; !taken[name] && (!ok || prev == at) {
			seen[name] = at
			return
		}
		fresh := name + "Enum"
		for i := 2; taken[fresh] || seen[fresh] != ""; i++ {
			fresh = name + "Enum" + strconv.Itoa(i)
		}
		seen[fresh] = at
		if s.Extensions == nil {
			s.Extensions = map[string]any{}
		}
		s.Extensions["x-go-type-name"] = fresh
		notes = append(notes, fmt.Sprintf("components/schemas/%s: the inline enum's Go type %s is taken by another type; generated as %s",
			strings.Join(path, "/properties/"), name, fresh))
	})
	return notes
}

// hoistParameterUnions moves the schema of a component parameter that is a
// oneOf/anyOf into components/schemas (as <name>-value) and refers to it:
// oapi-codegen names such a union's members after the schema's path, which
// is empty for a component parameter, and declares none of them (GitHub's
// alert-comma-separated-has references N0 and N1).
func hoistParameterUnions(t *openapi3.T) []string {
	c := t.Components
	if c == nil {
		return nil
	}
	var notes []string
	for _, name := range sortedKeys(c.Parameters) {
		p := c.Parameters[name]
		if p == nil || p.Ref != "" || p.Value == nil || p.Value.Schema == nil || p.Value.Schema.Ref != "" {
			continue
		}
		s := p.Value.Schema.Value
		if s == nil || len(s.OneOf)+len(s.AnyOf) == 0 {
			continue
		}
		taken := componentNames(t)
		fresh := name + "-value"
		for i := 2; c.Schemas[fresh] != nil || taken[codegen.SchemaNameToTypeName(fresh)]; i++ {
			fresh = name + "-value" + strconv.Itoa(i)
		}
		if c.Schemas == nil {
			c.Schemas = openapi3.Schemas{}
		}
		c.Schemas[fresh] = &openapi3.SchemaRef{Value: s}
		p.Value.Schema = &openapi3.SchemaRef{Ref: "#/components/schemas/" + fresh, Value: s}
		notes = append(notes, fmt.Sprintf("components/parameters/%s: its union schema became components/schemas/%s so that its members get types", name, fresh))
	}
	return notes
}

// nameUnionArrayItems names the inline enum items of an array that is a
// member of a oneOf/anyOf: oapi-codegen names the member type and the items'
// enum type after the same path, declaring X1 twice (Stripe's
// allowed_updates, GitHub's alert-comma-separated-has). The items become
// X1Item. Under operations, where paths are not ours to predict, the AST
// repair in collide.go does the same after generation.
func nameUnionArrayItems(t *openapi3.T) []string {
	var notes []string
	forEachSchemaRef(t, func(r *openapi3.SchemaRef, path []string) {
		s := r.Value
		if r.Ref != "" || s == nil || path == nil {
			return
		}
		members := append(append(openapi3.SchemaRefs{}, s.OneOf...), s.AnyOf...)
		for i, m := range members {
			if i >= len(s.OneOf) {
				i -= len(s.OneOf)
			}
			if m == nil || m.Ref != "" || m.Value == nil || m.Value.Items == nil || m.Value.Items.Ref != "" {
				continue
			}
			items := m.Value.Items.Value
			if items == nil || len(items.Enum) == 0 || items.Extensions["x-go-type-name"] != nil {
				continue
			}
			name := codegen.SchemaNameToTypeName(codegen.PathToTypeName(append(slices.Clone(path), strconv.Itoa(i)))) + "Item"
			if items.Extensions == nil {
				items.Extensions = map[string]any{}
			}
			items.Extensions["x-go-type-name"] = name
			notes = append(notes, fmt.Sprintf("components/schemas/%s: the enum items of union member %d are generated as %s", strings.Join(path, "/"), i, name))
		}
	})
	return notes
}

// hoistBodyUnions moves inline schemas of component responses and request
// bodies that contain a oneOf/anyOf into components/schemas (as
// <name>-body) and refers to them. oapi-codegen names a union's hoisted
// members after the schema's path, and for such a component the strict
// server refers to them under the component's name while the client
// declares them under each operation's (Spotify's PagingArtistOrTrackObject
// response: PagingArtistOrTrackObjectJSONResponseBody_Items_Item is used,
// never declared). Under components/schemas there is one path, one name.
// Nested inline enums and objects go the same way for the same reason (a
// 400Error response with an inline error object holding an enum code: the
// strict server's N400ErrorJSONResponseBodyErrorCode is never declared).
func hoistBodyUnions(t *openapi3.T) []string {
	c := t.Components
	if c == nil {
		return nil
	}
	var notes []string
	hoist := func(section, name string, content openapi3.Content) {
		for _, ct := range sortedKeys(content) {
			mt := content[ct]
			if mt == nil || mt.Schema == nil || mt.Schema.Ref != "" || !namesInnerTypes(mt.Schema.Value) {
				continue
			}
			taken := componentNames(t)
			fresh := name + "-body"
			for i := 2; c.Schemas[fresh] != nil || taken[codegen.SchemaNameToTypeName(fresh)]; i++ {
				fresh = name + "-body" + strconv.Itoa(i)
			}
			if c.Schemas == nil {
				c.Schemas = openapi3.Schemas{}
			}
			s := mt.Schema.Value
			c.Schemas[fresh] = &openapi3.SchemaRef{Value: s}
			mt.Schema = &openapi3.SchemaRef{Ref: "#/components/schemas/" + fresh, Value: s}
			notes = append(notes, fmt.Sprintf("components/%s/%s: its %s schema holds inline types (a union, enum or object) and became components/schemas/%s", section, name, ct, fresh))
		}
	}
	for _, name := range sortedKeys(c.Responses) {
		if r := c.Responses[name]; r != nil && r.Ref == "" && r.Value != nil {
			hoist("responses", name, r.Value.Content)
		}
	}
	for _, name := range sortedKeys(c.RequestBodies) {
		if r := c.RequestBodies[name]; r != nil && r.Ref == "" && r.Value != nil {
			hoist("requestBodies", name, r.Value.Content)
		}
	}
	return notes
}

// namesInnerTypes reports a body schema for which oapi-codegen declares
// types of its own beyond the body's: a union anywhere, or an inline enum
// or object below the top level.
func namesInnerTypes(s *openapi3.Schema) bool {
	if containsUnion(s, map[*openapi3.Schema]bool{}) {
		return true
	}
	return nestedNamed(s, 0, map[*openapi3.Schema]bool{})
}

func nestedNamed(s *openapi3.Schema, depth int, seen map[*openapi3.Schema]bool) bool {
	if s == nil || seen[s] {
		return false
	}
	seen[s] = true
	// Below the top, an allOf is merged into a type of its own too, with
	// the enums of its $ref'd members copied in.
	if depth > 0 && (len(s.Enum) > 0 || len(s.Properties) > 0 || len(s.AllOf) > 0) {
		return true
	}
	sub := func(r *openapi3.SchemaRef, d int) bool {
		return r != nil && r.Ref == "" && nestedNamed(r.Value, d, seen)
	}
	for _, r := range s.Properties {
		if sub(r, depth+1) {
			return true
		}
	}
	for _, r := range s.AllOf {
		if r != nil && nestedNamed(r.Value, depth, seen) {
			return true
		}
	}
	return sub(s.Items, depth+1) || sub(s.AdditionalProperties.Schema, depth+1)
}

// containsUnion reports a oneOf/anyOf in s or its inline subschemas.
func containsUnion(s *openapi3.Schema, seen map[*openapi3.Schema]bool) bool {
	if s == nil || seen[s] {
		return false
	}
	seen[s] = true
	if len(s.OneOf)+len(s.AnyOf) > 0 {
		return true
	}
	sub := func(r *openapi3.SchemaRef) bool { return r != nil && r.Ref == "" && containsUnion(r.Value, seen) }
	for _, r := range s.Properties {
		if sub(r) {
			return true
		}
	}
	for _, r := range s.AllOf {
		if sub(r) {
			return true
		}
	}
	return sub(s.Items) || sub(s.AdditionalProperties.Schema)
}

// componentNames are the Go type names oapi-codegen gives components.
func componentNames(t *openapi3.T) map[string]bool {
	names := map[string]bool{}
	c := t.Components
	if c == nil {
		return names
	}
	add := func(name string, ext map[string]any) {
		if s, ok := ext[extGoName].(string); ok && s != "" {
			names[s] = true
			return
		}
		names[codegen.SchemaNameToTypeName(name)] = true
	}
	for n, r := range c.Schemas {
		if r != nil && r.Value != nil && r.Ref == "" {
			add(n, r.Value.Extensions)
		} else {
			add(n, nil)
		}
	}
	for n := range c.Parameters {
		add(n, nil)
	}
	for n := range c.Responses {
		add(n, nil)
	}
	for n := range c.RequestBodies {
		add(n, nil)
	}
	return names
}

// forEachSchemaRef calls fn for every schema reference site in the document,
// in a fixed order (sorted keys), descending into inline schemas only: a
// $ref'd schema is visited where its component is declared. path is the
// oapi-codegen naming path for schemas under components/schemas
// ([schema, property, ...], union members adding their index) and nil
// elsewhere. fn may clear r.Ref; the walk then descends into r.Value.
func forEachSchemaRef(t *openapi3.T, fn func(r *openapi3.SchemaRef, path []string)) {
	w := schemaWalker{fn: fn, done: map[*openapi3.Schema]bool{}}
	if c := t.Components; c != nil {
		for _, n := range sortedKeys(c.Schemas) {
			w.schema(c.Schemas[n], []string{n})
		}
		for _, n := range sortedKeys(c.Parameters) {
			w.parameter(c.Parameters[n])
		}
		for _, n := range sortedKeys(c.Headers) {
			if h := c.Headers[n]; h != nil && h.Value != nil {
				w.parameter(&openapi3.ParameterRef{Value: &h.Value.Parameter})
			}
		}
		for _, n := range sortedKeys(c.RequestBodies) {
			if b := c.RequestBodies[n]; b != nil && b.Value != nil {
				w.content(b.Value.Content)
			}
		}
		for _, n := range sortedKeys(c.Responses) {
			w.response(c.Responses[n])
		}
	}
	visitItem := func(item *openapi3.PathItem) {
		if item == nil {
			return
		}
		for _, p := range item.Parameters {
			w.parameter(p)
		}
		for _, m := range sortedKeys(item.Operations()) {
			op := item.Operations()[m]
			for _, p := range op.Parameters {
				w.parameter(p)
			}
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				w.content(op.RequestBody.Value.Content)
			}
			if op.Responses != nil {
				for _, code := range sortedKeys(op.Responses.Map()) {
					w.response(op.Responses.Value(code))
				}
			}
		}
	}
	if t.Paths != nil {
		for _, p := range sortedKeys(t.Paths.Map()) {
			visitItem(t.Paths.Value(p))
		}
	}
	for _, n := range sortedKeys(t.Webhooks) {
		visitItem(t.Webhooks[n])
	}
}

type schemaWalker struct {
	fn   func(*openapi3.SchemaRef, []string)
	done map[*openapi3.Schema]bool
}

func (w *schemaWalker) schema(r *openapi3.SchemaRef, path []string) {
	if r == nil {
		return
	}
	w.fn(r, path)
	s := r.Value
	if r.Ref != "" || s == nil || w.done[s] {
		return
	}
	w.done[s] = true
	sub := func(elem ...string) []string {
		if path == nil {
			return nil
		}
		return append(slices.Clone(path), elem...)
	}
	for _, n := range sortedKeys(s.Properties) {
		w.schema(s.Properties[n], sub(n))
	}
	w.schema(s.Items, path)
	for _, m := range s.AllOf {
		w.schema(m, path)
	}
	for i, m := range s.AnyOf {
		w.schema(m, sub(strconv.Itoa(i)))
	}
	for i, m := range s.OneOf {
		w.schema(m, sub(strconv.Itoa(i)))
	}
	w.schema(s.Not, nil)
	w.schema(s.AdditionalProperties.Schema, nil)
}

func (w *schemaWalker) parameter(p *openapi3.ParameterRef) {
	if p == nil || p.Value == nil || p.Ref != "" {
		return
	}
	w.schema(p.Value.Schema, nil)
	w.content(p.Value.Content)
}

func (w *schemaWalker) content(c openapi3.Content) {
	for _, ct := range sortedKeys(c) {
		if mt := c[ct]; mt != nil {
			w.schema(mt.Schema, nil)
		}
	}
}

func (w *schemaWalker) response(r *openapi3.ResponseRef) {
	if r == nil || r.Value == nil || r.Ref != "" {
		return
	}
	w.content(r.Value.Content)
	for _, n := range sortedKeys(r.Value.Headers) {
		if h := r.Value.Headers[n]; h != nil && h.Value != nil && h.Ref == "" {
			w.parameter(&openapi3.ParameterRef{Value: &h.Value.Parameter})
		}
	}
}
