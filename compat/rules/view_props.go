package rules

import (
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
)

// Prop is a property of an object view.
type Prop struct {
	Name string
	Ref  *openapi3.SchemaRef
	// Member names the shared allOf member the property comes from; the
	// engine compares it there, not at this level.
	Member string
	// part is -1 for the view's own schema, else an index into parts.
	part int
}

// Schema is the property's schema (never nil for a found property).
func (p Prop) Schema() *openapi3.Schema {
	if p.Ref == nil || p.Ref.Value == nil {
		return &openapi3.Schema{}
	}
	return p.Ref.Value
}

// In reports whether the property travels in dir: readOnly properties are
// not part of requests, writeOnly ones not part of responses.
func (p Prop) In(dir Direction) bool {
	s := p.Schema()
	switch dir {
	case Request:
		return !s.ReadOnly
	case Response:
		return !s.WriteOnly
	}
	return true
}

// Sunset returns the property's x-sunset date when it is deprecated.
func (p Prop) Sunset() string {
	s := p.Schema()
	return SunsetOf(s.Deprecated, s.Extensions)
}

// Prop looks a property up: in the view's own schema, its folded allOf
// members, then its shared members.
func (v *View) Prop(name string) (Prop, bool) {
	if v.S == nil {
		return Prop{}, false
	}
	if r, ok := v.S.Properties[name]; ok {
		return Prop{Name: name, Ref: r, part: -1}, true
	}
	for i, p := range v.parts {
		if r, ok := p.s.Properties[name]; ok {
			return Prop{Name: name, Ref: r, part: i}, true
		}
	}
	for _, m := range v.Members {
		if r := memberProp(m.Ref.Value, name, 0); r != nil {
			return Prop{Name: name, Ref: r, Member: m.Name, part: -1}, true
		}
	}
	return Prop{}, false
}

func memberProp(s *openapi3.Schema, name string, depth int) *openapi3.SchemaRef {
	if s == nil || depth > maxFold {
		return nil
	}
	if r, ok := s.Properties[name]; ok {
		return r
	}
	for _, m := range s.AllOf {
		if m != nil {
			if r := memberProp(m.Value, name, depth+1); r != nil {
				return r
			}
		}
	}
	return nil
}

// OwnProps calls fn for each property of the view's own schema and folded
// members (not shared members), once per name.
func (v *View) OwnProps(fn func(Prop)) {
	if v.S == nil {
		return
	}
	for name, r := range v.S.Properties {
		fn(Prop{Name: name, Ref: r, part: -1})
	}
	if len(v.parts) == 0 {
		return
	}
	seen := map[string]bool{}
	for name := range v.S.Properties {
		seen[name] = true
	}
	for i, p := range v.parts {
		for name, r := range p.s.Properties {
			if !seen[name] {
				seen[name] = true
				fn(Prop{Name: name, Ref: r, part: i})
			}
		}
	}
}

// PropLocation says where a property is written: pointer tokens below the
// view's schema, or below abs (a $ref) when abs is set.
func (v *View) PropLocation(p Prop) (abs string, tokens []string) {
	if p.part < 0 || p.part >= len(v.parts) {
		return "", []string{"properties", p.Name}
	}
	pt := v.parts[p.part]
	return pt.abs, append(append(append([]string(nil), pt.tokens...), "properties"), p.Name)
}

// OwnRequired calls fn for each name the view's own schema and folded
// members require.
func (v *View) OwnRequired(fn func(name string)) {
	v.each(func(s *openapi3.Schema) bool {
		for _, n := range s.Required {
			fn(n)
		}
		return false
	})
}

// OwnRequires reports whether the view's own schema or a folded member
// requires name.
func (v *View) OwnRequires(name string) bool {
	found := false
	v.each(func(s *openapi3.Schema) bool {
		found = containsString(s.Required, name)
		return found
	})
	return found
}

// Requires reports whether name is required anywhere in the view, shared
// members included.
func (v *View) Requires(name string) bool {
	if v.OwnRequires(name) {
		return true
	}
	for _, m := range v.Members {
		if memberRequires(m.Ref.Value, name, 0) {
			return true
		}
	}
	return false
}

func memberRequires(s *openapi3.Schema, name string, depth int) bool {
	if s == nil || depth > maxFold {
		return false
	}
	if containsString(s.Required, name) {
		return true
	}
	for _, m := range s.AllOf {
		if m != nil && memberRequires(m.Value, name, depth+1) {
			return true
		}
	}
	return false
}

func containsString(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// Bound is a numeric lower or upper limit.
type Bound struct {
	Set       bool
	Value     float64
	Exclusive bool
}

func (b Bound) String() string {
	if !b.Set {
		return "none"
	}
	return strconv.FormatFloat(b.Value, 'g', -1, 64)
}

// Lower is the view's minimum, reading both the 3.0 (boolean) and the 3.1
// (numeric) form of exclusiveMinimum.
func (v *View) Lower() Bound {
	var b Bound
	v.each(func(s *openapi3.Schema) bool {
		if s.Min != nil {
			b = Bound{Set: true, Value: *s.Min, Exclusive: s.ExclusiveMin.IsTrue()}
		}
		if x := s.ExclusiveMin.Value; x != nil && (!b.Set || *x >= b.Value) {
			b = Bound{Set: true, Value: *x, Exclusive: true}
		}
		return b.Set
	})
	return b
}

// Upper is the view's maximum; see Lower.
func (v *View) Upper() Bound {
	var b Bound
	v.each(func(s *openapi3.Schema) bool {
		if s.Max != nil {
			b = Bound{Set: true, Value: *s.Max, Exclusive: s.ExclusiveMax.IsTrue()}
		}
		if x := s.ExclusiveMax.Value; x != nil && (!b.Set || *x <= b.Value) {
			b = Bound{Set: true, Value: *x, Exclusive: true}
		}
		return b.Set
	})
	return b
}

// LowerTighter reports whether lower bound a admits fewer values than b.
func LowerTighter(a, b Bound) bool {
	switch {
	case !a.Set:
		return false
	case !b.Set:
		return true
	}
	return a.Value > b.Value || (a.Value == b.Value && a.Exclusive && !b.Exclusive)
}

// UpperTighter reports whether upper bound a admits fewer values than b.
func UpperTighter(a, b Bound) bool {
	switch {
	case !a.Set:
		return false
	case !b.Set:
		return true
	}
	return a.Value < b.Value || (a.Value == b.Value && a.Exclusive && !b.Exclusive)
}

// Limits are the counting constraints of a view; a nil pointer or zero
// minimum is no constraint.
type Limits struct {
	MinLength, MinItems, MinProps uint64
	MaxLength, MaxItems, MaxProps *uint64
	UniqueItems                   bool
	MultipleOf                    *float64
}

// Limits collects the view's counting constraints, first writer wins.
func (v *View) Limits() Limits {
	var l Limits
	v.each(func(s *openapi3.Schema) bool {
		if l.MinLength == 0 {
			l.MinLength = s.MinLength
		}
		if l.MinItems == 0 {
			l.MinItems = s.MinItems
		}
		if l.MinProps == 0 {
			l.MinProps = s.MinProps
		}
		if l.MaxLength == nil {
			l.MaxLength = s.MaxLength
		}
		if l.MaxItems == nil {
			l.MaxItems = s.MaxItems
		}
		if l.MaxProps == nil {
			l.MaxProps = s.MaxProps
		}
		if l.MultipleOf == nil {
			l.MultipleOf = s.MultipleOf
		}
		l.UniqueItems = l.UniqueItems || s.UniqueItems
		return false
	})
	return l
}
