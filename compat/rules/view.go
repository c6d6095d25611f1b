package rules

import (
	"github.com/getkin/kin-openapi/openapi3"
)

// TypeSet is a set of JSON types, without null (nullability is kept apart
// because OpenAPI 3.0 writes it `nullable: true` and 3.1 `type: [x, "null"]`).
// The zero set means "any type".
type TypeSet uint8

// The JSON types.
const (
	TString TypeSet = 1 << iota
	TNumber
	TInteger
	TBoolean
	TArray
	TObject
)

var typeNames = [...]string{"string", "number", "integer", "boolean", "array", "object"}

// String renders the set as "integer" or "[integer string]"; "any" when empty.
func (t TypeSet) String() string {
	if t == 0 {
		return "any"
	}
	var names []string
	for i, n := range typeNames {
		if t&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	if len(names) == 1 {
		return names[0]
	}
	return "[" + join(names, " ") + "]"
}

// Covers reports whether every value of type set u is also of set t: an
// integer is a number, and the empty set is every type.
func (t TypeSet) Covers(u TypeSet) bool {
	if t == 0 {
		return true
	}
	if u == 0 {
		return false
	}
	if t&TNumber != 0 {
		u &^= TInteger
	}
	return u&^t == 0
}

// View is one side of a SchemaDiff: a schema read the way a validator reads
// it, with allOf members folded in. allOf members that are $refs to the same
// component on both sides are kept apart as Members: the engine compares
// them once as that component, so their changes are attributed to it and not
// to every schema that includes it.
type View struct {
	// Ref is the $ref the schema was reached through, "" when inline.
	Ref string
	// S is the schema as written.
	S *openapi3.Schema
	// Types are the non-null types a value may have; 0 is any type, or
	// undecided when the schema is a oneOf/anyOf.
	Types TypeSet
	// ExplicitTypes says Types came from `type` rather than inference.
	ExplicitTypes bool
	// Nullable: null is a valid value.
	Nullable bool
	// Variants are the oneOf (or else anyOf) alternatives, null-only
	// alternatives excluded (they count as Nullable).
	Variants    []Variant
	VariantKind string
	// Members are the allOf members compared as their own components.
	Members []Member
	// Unknown lists `type` names that are not JSON types (`int`): they
	// restrict nothing the comparison can read, and a rule reports them.
	Unknown []string
	// parts are the allOf members folded into this view: inline ones, and
	// $ref'd ones the other side does not share.
	parts []part
}

// Variant is one oneOf/anyOf alternative.
type Variant struct {
	Index int // position in the oneOf/anyOf list
	Ref   *openapi3.SchemaRef
}

// Member is an allOf member shared by both sides as the same component.
type Member struct {
	Name  string // component name
	Index int    // position in the allOf list
	Ref   *openapi3.SchemaRef
}

// part is a folded allOf member and where it is written.
type part struct {
	s *openapi3.Schema
	// tokens lead from the view's schema to the member ("allOf", "2", ...);
	// abs, when set, is the member's own $ref, where pointers restart.
	tokens []string
	abs    string
}

// maxFold bounds allOf nesting, against pathological documents.
const maxFold = 16

// NewView reads ref as one side of a pair. shared names the allOf members
// (by component name) that both sides include: those stay Members.
func NewView(ref *openapi3.SchemaRef, shared func(name string) bool) *View {
	v := &View{Ref: ref.Ref, S: ref.Value}
	s := ref.Value
	if s == nil {
		return v
	}
	if len(s.AllOf) > 0 {
		v.fold(s, nil, "", shared, 0)
	}
	switch {
	case len(s.OneOf) > 0:
		v.VariantKind = "oneOf"
		v.addVariants(s.OneOf)
	case len(s.AnyOf) > 0:
		v.VariantKind = "anyOf"
		v.addVariants(s.AnyOf)
	}
	v.Types, v.ExplicitTypes = v.types()
	v.Nullable = v.Nullable || v.nullable()
	return v
}

func (v *View) fold(s *openapi3.Schema, tokens []string, abs string, shared func(string) bool, depth int) {
	if depth > maxFold {
		return
	}
	for i, m := range s.AllOf {
		if m == nil || m.Value == nil {
			continue
		}
		if m.Ref != "" && depth == 0 && shared != nil && shared(RefName(m.Ref)) {
			v.Members = append(v.Members, Member{Name: RefName(m.Ref), Index: i, Ref: m})
			continue
		}
		p := part{s: m.Value, abs: abs}
		if m.Ref != "" {
			p.abs = m.Ref
		} else {
			p.tokens = append(append(append([]string(nil), tokens...), "allOf"), itoa(i))
		}
		v.parts = append(v.parts, p)
		if len(m.Value.AllOf) > 0 {
			v.fold(m.Value, p.tokens, p.abs, shared, depth+1)
		}
	}
}

func (v *View) addVariants(list openapi3.SchemaRefs) {
	for i, r := range list {
		if r == nil || r.Value == nil {
			continue
		}
		if isNullOnly(r.Value) {
			v.Nullable = true
			continue
		}
		v.Variants = append(v.Variants, Variant{Index: i, Ref: r})
	}
}

// isNullOnly: a schema whose only value is null, `{type: "null"}` or
// `{enum: [null]}`, the 3.1 way of making a oneOf nullable.
func isNullOnly(s *openapi3.Schema) bool {
	if s.Type != nil && len(*s.Type) == 1 && (*s.Type)[0] == openapi3.TypeNull {
		return true
	}
	return len(s.Enum) == 1 && s.Enum[0] == nil
}

// schemas returns the view's own schema followed by its folded parts.
func (v *View) each(fn func(s *openapi3.Schema) bool) {
	if v.S == nil {
		return
	}
	if fn(v.S) {
		return
	}
	for _, p := range v.parts {
		if fn(p.s) {
			return
		}
	}
}

// types reads the non-null types a value may have. allOf is an
// intersection: every member (folded or shared) that declares a type
// narrows the set, so dropping a member never widens it to "any" while the
// remaining members still say object. Names that are not JSON types
// (`type: int`) are kept in Unknown and do not narrow the set: what can be
// compared still is, and a rule reports them.
func (v *View) types() (TypeSet, bool) {
	var t TypeSet
	explicit := false
	narrow := func(u TypeSet) {
		if !explicit {
			t, explicit = u, true
			return
		}
		if x := intersectTypes(t, u); x != 0 {
			t = x
		}
	}
	read := func(s *openapi3.Schema) {
		if s.Type == nil || len(*s.Type) == 0 {
			return
		}
		var u TypeSet
		for _, name := range *s.Type {
			if name == openapi3.TypeNull {
				continue
			}
			found := false
			for i, n := range typeNames {
				if n == name {
					u |= 1 << i
					found = true
				}
			}
			if !found {
				v.Unknown = append(v.Unknown, name)
			}
		}
		if u != 0 {
			narrow(u)
		}
	}
	v.each(func(s *openapi3.Schema) bool { read(s); return false })
	for _, m := range v.Members {
		if u := declaredTypes(m.Ref.Value, 0); u != 0 {
			narrow(u)
		}
	}
	if explicit {
		return t, true
	}
	if len(v.Variants) > 0 {
		return 0, false
	}
	// No `type`: infer it from the keywords, so that adding `type: object`
	// to a schema that only listed properties is not a type change.
	v.each(func(s *openapi3.Schema) bool {
		t |= inferType(s)
		return t != 0
	})
	if t == 0 {
		for _, m := range v.Members {
			if t |= NewView(m.Ref, nil).Types; t != 0 {
				break
			}
		}
	}
	return t, false
}

// declaredTypes is the intersection of the types a schema and its allOf
// members declare (0 when none does).
func declaredTypes(s *openapi3.Schema, depth int) TypeSet {
	if s == nil || depth > maxFold {
		return 0
	}
	var t TypeSet
	if s.Type != nil {
		for _, name := range *s.Type {
			for i, n := range typeNames {
				if n == name {
					t |= 1 << i
				}
			}
		}
	}
	for _, m := range s.AllOf {
		if m == nil {
			continue
		}
		if u := declaredTypes(m.Value, depth+1); u != 0 {
			if t == 0 {
				t = u
			} else if x := intersectTypes(t, u); x != 0 {
				t = x
			}
		}
	}
	return t
}

func inferType(s *openapi3.Schema) TypeSet {
	var t TypeSet
	switch {
	case len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil || s.AdditionalProperties.Has != nil || len(s.Required) > 0:
		t |= TObject
	case s.Items != nil:
		t |= TArray
	case len(s.Enum) > 0:
		for _, e := range s.Enum {
			t |= typeOfValue(e)
		}
	}
	return t
}

// intersectTypes is the set of values of both sets: an integer is a number.
func intersectTypes(a, b TypeSet) TypeSet {
	x := a & b
	if a&TNumber != 0 && b&TInteger != 0 || b&TNumber != 0 && a&TInteger != 0 {
		x |= TInteger
	}
	return x
}

func typeOfValue(x any) TypeSet {
	switch n := x.(type) {
	case string:
		return TString
	case bool:
		return TBoolean
	case float64:
		if n == float64(int64(n)) {
			return TInteger
		}
		return TNumber
	case int, int64, int32, uint64:
		return TInteger
	case []any:
		return TArray
	case map[string]any:
		return TObject
	}
	return 0
}

func (v *View) nullable() bool {
	n := false
	v.each(func(s *openapi3.Schema) bool {
		if s.Nullable || (s.Type != nil && s.Type.IncludesNull()) {
			n = true
			return true
		}
		for _, e := range s.Enum {
			if e == nil {
				n = true
				return true
			}
		}
		return false
	})
	return n
}

// Format is the format of the view, "" when none.
func (v *View) Format() string {
	f := ""
	v.each(func(s *openapi3.Schema) bool { f = s.Format; return f != "" })
	return f
}

// Enum returns the allowed values (`enum`, or `const` as one value), null
// excluded; ok is false when the view does not restrict values.
func (v *View) Enum() (values []any, ok bool) {
	v.each(func(s *openapi3.Schema) bool {
		switch {
		case len(s.Enum) > 0:
			for _, e := range s.Enum {
				if e != nil {
					values = append(values, e)
				}
			}
			ok = true
		case s.Const != nil:
			values, ok = []any{s.Const}, true
		}
		return ok
	})
	return values, ok
}

// Default is the view's default value, nil when none.
func (v *View) Default() any {
	var d any
	v.each(func(s *openapi3.Schema) bool { d = s.Default; return d != nil })
	return d
}

// APKind says what an object does with properties it does not list.
type APKind int

const (
	// APOpen: additionalProperties absent or true.
	APOpen APKind = iota
	// APClosed: additionalProperties (or unevaluatedProperties) false.
	APClosed
	// APSchema: additional properties must match a schema.
	APSchema
)

// AdditionalProperties returns how unlisted properties are treated.
func (v *View) AdditionalProperties() (APKind, *openapi3.SchemaRef) {
	kind, sch := APOpen, (*openapi3.SchemaRef)(nil)
	v.each(func(s *openapi3.Schema) bool {
		ap := s.AdditionalProperties
		switch {
		case ap.Has != nil && !*ap.Has:
			kind = APClosed
		case ap.Schema != nil && ap.Schema.Value != nil && ap.Schema.Value.Always != nil && !*ap.Schema.Value.Always:
			kind = APClosed
		case ap.Schema != nil:
			kind, sch = APSchema, ap.Schema
		case s.UnevaluatedProperties.Has != nil && !*s.UnevaluatedProperties.Has:
			kind = APClosed
		case s.UnevaluatedProperties.Schema != nil && s.UnevaluatedProperties.Schema.Value != nil:
			// Unlisted properties must match it, as additionalProperties says.
			if a := s.UnevaluatedProperties.Schema.Value.Always; a != nil && !*a {
				kind = APClosed
			} else {
				kind, sch = APSchema, s.UnevaluatedProperties.Schema
			}
		}
		return kind != APOpen
	})
	return kind, sch
}

// Items is the schema of the array items past prefixItems, nil when none:
// `items`, or else an unevaluatedItems schema (the items nothing else
// evaluates are then exactly those).
func (v *View) Items() *openapi3.SchemaRef {
	var it *openapi3.SchemaRef
	v.each(func(s *openapi3.Schema) bool {
		it = s.Items
		if it == nil && s.UnevaluatedItems.Schema != nil && s.Contains == nil {
			it = s.UnevaluatedItems.Schema
		}
		if it == nil && s.UnevaluatedItems.Has != nil && !*s.UnevaluatedItems.Has && s.Contains == nil {
			it = &openapi3.SchemaRef{Value: &openapi3.Schema{Always: s.UnevaluatedItems.Has}}
		}
		return it != nil
	})
	return it
}

// Discriminator returns the view's discriminator, nil when none.
func (v *View) Discriminator() *openapi3.Discriminator {
	var d *openapi3.Discriminator
	v.each(func(s *openapi3.Schema) bool { d = s.Discriminator; return d != nil })
	return d
}

// Pattern is the view's pattern, "" when none.
func (v *View) Pattern() string {
	p := ""
	v.each(func(s *openapi3.Schema) bool { p = s.Pattern; return p != "" })
	return p
}
