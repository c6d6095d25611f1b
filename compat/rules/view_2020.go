package rules

import "github.com/getkin/kin-openapi/openapi3"

// Accessors for the JSON Schema 2020-12 keywords OpenAPI 3.1 allows. Each
// reads the view's own schema first, then its folded allOf members.

// Never reports whether no value is valid: `false`, or `not: {}`.
func (v *View) Never() bool {
	never := false
	v.each(func(s *openapi3.Schema) bool {
		never = s.Always != nil && !*s.Always || s.Not != nil && s.Not.Value != nil && emptySchema(s.Not.Value)
		return never
	})
	return never
}

// emptySchema: a schema that accepts everything ({} or true).
func emptySchema(s *openapi3.Schema) bool {
	if s.Always != nil {
		return *s.Always
	}
	return Canon(&openapi3.SchemaRef{Value: s}) == "{}"
}

// Not is the view's `not` schema, nil when none (or when it is {}, which
// Never reports).
func (v *View) Not() *openapi3.SchemaRef {
	var n *openapi3.SchemaRef
	v.each(func(s *openapi3.Schema) bool {
		if s.Not != nil && s.Not.Value != nil && !emptySchema(s.Not.Value) {
			n = s.Not
		}
		return n != nil
	})
	return n
}

// Contains is the view's `contains` with its effective bounds: minContains
// defaults to 1, maxContains to none. ok is false without `contains`.
func (v *View) Contains() (schema *openapi3.SchemaRef, lo uint64, hi *uint64, ok bool) {
	v.each(func(s *openapi3.Schema) bool {
		if s.Contains == nil {
			return false
		}
		schema, lo, hi, ok = s.Contains, 1, s.MaxContains, true
		if s.MinContains != nil {
			lo = *s.MinContains
		}
		return true
	})
	return schema, lo, hi, ok
}

// DependentRequired merges the views' dependentRequired lists.
func (v *View) DependentRequired() map[string][]string {
	var out map[string][]string
	v.each(func(s *openapi3.Schema) bool {
		for k, names := range s.DependentRequired {
			if out == nil {
				out = map[string][]string{}
			}
			out[k] = append(out[k], names...)
		}
		return false
	})
	return out
}

// DependentSchemas returns the dependentSchemas of the view's first schema
// that has some.
func (v *View) DependentSchemas() openapi3.Schemas {
	var out openapi3.Schemas
	v.each(func(s *openapi3.Schema) bool { out = s.DependentSchemas; return len(out) > 0 })
	return out
}

// Conditional is an if/then/else of the view (the first one written).
type Conditional struct {
	If, Then, Else *openapi3.SchemaRef
}

// Conditional returns the view's if/then/else; ok is false without `if`
// (then and else alone do nothing).
func (v *View) Conditional() (c Conditional, ok bool) {
	v.each(func(s *openapi3.Schema) bool {
		if s.If == nil || s.If.Value == nil {
			return false
		}
		c, ok = Conditional{If: s.If, Then: s.Then, Else: s.Else}, true
		return true
	})
	return c, ok
}

// Vacuous reports whether the `if` passes for objects that lack all of its
// properties: it constrains properties but requires none of them.
func (c Conditional) Vacuous() bool {
	s := c.If.Value
	return len(s.Properties) > 0 && len(s.Required) == 0 && s.Not == nil && len(s.AllOf) == 0 &&
		len(s.OneOf) == 0 && len(s.AnyOf) == 0 && s.MinProps == 0
}

// requiredOf is what a branch schema requires ("" side absent: nil).
func requiredOf(r *openapi3.SchemaRef) []string {
	if r == nil || r.Value == nil {
		return nil
	}
	var out []string
	NewView(r, nil).OwnRequired(func(n string) { out = append(out, n) })
	return out
}

// ContentEncoding is the view's contentEncoding ("" when none).
func (v *View) ContentEncoding() string {
	e := ""
	v.each(func(s *openapi3.Schema) bool { e = s.ContentEncoding; return e != "" })
	return e
}

// ContentMediaType is the view's contentMediaType ("" when none).
func (v *View) ContentMediaType() string {
	m := ""
	v.each(func(s *openapi3.Schema) bool { m = s.ContentMediaType; return m != "" })
	return m
}

// ContentSchema is the schema of the decoded content, nil when none.
func (v *View) ContentSchema() *openapi3.SchemaRef {
	var c *openapi3.SchemaRef
	v.each(func(s *openapi3.Schema) bool { c = s.ContentSchema; return c != nil })
	return c
}

// PatternProperties returns the patternProperties of the first schema of
// the view that has some.
func (v *View) PatternProperties() openapi3.Schemas {
	var out openapi3.Schemas
	v.each(func(s *openapi3.Schema) bool { out = s.PatternProperties; return len(out) > 0 })
	return out
}

// PropertyNames is the schema every property name must match, nil when none.
func (v *View) PropertyNames() *openapi3.SchemaRef {
	var p *openapi3.SchemaRef
	v.each(func(s *openapi3.Schema) bool { p = s.PropertyNames; return p != nil })
	return p
}

// PrefixItems are the positional item schemas, nil when none.
func (v *View) PrefixItems() openapi3.SchemaRefs {
	var p openapi3.SchemaRefs
	v.each(func(s *openapi3.Schema) bool { p = s.PrefixItems; return len(p) > 0 })
	return p
}

// disjoint reports whether no value can be valid for both views, when
// their types or enums show it.
func disjoint(a, b *View) bool {
	if a.Types != 0 && b.Types != 0 && intersectTypes(a.Types, b.Types) == 0 && !(a.Nullable && b.Nullable) {
		return true
	}
	av, aok := a.Enum()
	bv, bok := b.Enum()
	if aok && bok && len(Missing(av, bv)) == len(valueSet(av)) {
		return !(a.Nullable && b.Nullable)
	}
	return false
}
