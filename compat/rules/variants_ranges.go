package rules

import (
	"math"
	"sort"

	"github.com/getkin/kin-openapi/openapi3"
)

// rangesCover reports whether numeric alternatives that differ from x only
// by their bounds together accept every value of the plain numeric schema
// x: `{type: integer}` split into `oneOf: [{maximum: 10}, {minimum: 11}]`
// still accepts every old request, though no single alternative does.
func rangesCover(alts []Variant, x *Variant) bool {
	xv := NewView(x.Ref, nil)
	if xv.Types == 0 || xv.Types&^(TInteger|TNumber) != 0 || xv.Nullable || !boundsOnly(xv.S) {
		return false
	}
	integer := xv.Types == TInteger
	var spans []span
	for k := range alts {
		hv := NewView(alts[k].Ref, nil)
		if len(hv.Variants) > 0 || !hv.Types.Covers(xv.Types) || !FormatAccepts(hv.Format(), xv.Format()) || !boundsOnly(hv.S) {
			continue
		}
		spans = append(spans, toSpan(hv.Lower(), hv.Upper(), integer))
	}
	if len(spans) < 2 {
		return false
	}
	want := toSpan(xv.Lower(), xv.Upper(), integer)
	sort.Slice(spans, func(i, j int) bool {
		a, b := spans[i], spans[j]
		return a.lo < b.lo || a.lo == b.lo && !a.loOpen && b.loOpen
	})
	// Everything below reach is covered, and reach itself when covered
	// (or when want excludes it).
	reach, covered := want.lo, want.loOpen
	for _, s := range spans {
		if s.lo > reach {
			break // sorted: no later span starts lower
		}
		if s.lo == reach && !covered && s.loOpen {
			continue
		}
		switch {
		case s.hi > reach:
			reach, covered = s.hi, !s.hiOpen
		case s.hi == reach && !s.hiOpen:
			covered = true
		}
	}
	return reach > want.hi || reach == want.hi && (covered || want.hiOpen)
}

// span is an interval of the reals; integers [a, b] become [a, b+1).
type span struct {
	lo, hi         float64
	loOpen, hiOpen bool
}

func toSpan(lo, hi Bound, integer bool) span {
	s := span{lo: math.Inf(-1), hi: math.Inf(1), loOpen: true, hiOpen: true}
	if lo.Set {
		s.lo, s.loOpen = lo.Value, lo.Exclusive
	}
	if hi.Set {
		s.hi, s.hiOpen = hi.Value, hi.Exclusive
	}
	if !integer {
		return s
	}
	if lo.Set {
		a := math.Ceil(s.lo)
		if s.loOpen && a == s.lo {
			a++
		}
		s.lo, s.loOpen = a, false
	}
	if hi.Set {
		b := math.Floor(s.hi)
		if s.hiOpen && b == s.hi {
			b--
		}
		s.hi, s.hiOpen = b+1, true
	}
	return s
}

// boundsOnly: a numeric schema restricted by nothing but its type, format
// and minimum/maximum (no enum, multipleOf, composition or negation).
func boundsOnly(s *openapi3.Schema) bool {
	return s != nil && len(s.Enum) == 0 && s.Const == nil && s.MultipleOf == nil && s.Not == nil &&
		s.If == nil && len(s.AllOf) == 0 && len(s.OneOf) == 0 && len(s.AnyOf) == 0 && s.Always == nil
}

// rangesOverlap returns two numeric alternatives (as labels) that both
// accept some value of x, when they differ from it only by bounds: under a
// oneOf those values match twice and are rejected.
func rangesOverlap(alts []Variant, x *Variant) (string, string, bool) {
	xv := NewView(x.Ref, nil)
	if xv.Types == 0 || xv.Types&^(TInteger|TNumber) != 0 || !boundsOnly(xv.S) {
		return "", "", false
	}
	integer := xv.Types == TInteger
	want := toSpan(xv.Lower(), xv.Upper(), integer)
	var spans []span
	var labels []string
	for k := range alts {
		hv := NewView(alts[k].Ref, nil)
		if len(hv.Variants) > 0 || !hv.Types.Covers(xv.Types) || !FormatAccepts(hv.Format(), xv.Format()) || !boundsOnly(hv.S) {
			continue
		}
		spans = append(spans, intersect(want, toSpan(hv.Lower(), hv.Upper(), integer)))
		labels = append(labels, alts[k].Label())
	}
	for i := range spans {
		for j := i + 1; j < len(spans); j++ {
			if nonEmpty(intersect(spans[i], spans[j])) {
				return labels[i], labels[j], true
			}
		}
	}
	return "", "", false
}

func intersect(a, b span) span {
	s := a
	if b.lo > s.lo || b.lo == s.lo && b.loOpen {
		s.lo, s.loOpen = b.lo, b.loOpen
	}
	if b.hi < s.hi || b.hi == s.hi && b.hiOpen {
		s.hi, s.hiOpen = b.hi, b.hiOpen
	}
	return s
}

func nonEmpty(s span) bool {
	return s.lo < s.hi || s.lo == s.hi && !s.loOpen && !s.hiOpen
}

// enumsCover reports whether alternatives that differ from the enum schema
// x only by their enums together list every value of x: `enum: [a, b]`
// split into `oneOf: [{enum: [a]}, {enum: [b]}]`.
func enumsCover(alts []Variant, x *Variant) bool {
	xv := NewView(x.Ref, nil)
	xs, ok := xv.Enum()
	if !ok || len(xv.Variants) > 0 || xv.Nullable {
		return false
	}
	var union []any
	n := 0
	for k := range alts {
		hv := NewView(alts[k].Ref, nil)
		hs, ok := hv.Enum()
		if !ok || len(hv.Variants) > 0 || !hv.Types.Covers(xv.Types) || !FormatAccepts(hv.Format(), xv.Format()) ||
			Canon(&openapi3.SchemaRef{Value: withoutEnum(hv.S)}) != Canon(&openapi3.SchemaRef{Value: withoutEnum(xv.S)}) {
			continue
		}
		union = append(union, hs...)
		n++
	}
	return n >= 2 && len(Missing(xs, union)) == 0
}

// withoutEnum is a copy of s with its enum, const and annotations' effect
// dropped, to compare what else two enum schemas constrain.
func withoutEnum(s *openapi3.Schema) *openapi3.Schema {
	c := *s
	c.Enum, c.Const, c.Type = nil, nil, nil
	return &c
}

// enumsOverlap returns two alternatives whose enums share a value x
// accepted (alternatives that differ from x only by their enums).
func enumsOverlap(alts []Variant, x *Variant) (string, string, bool) {
	xv := NewView(x.Ref, nil)
	xs, xok := xv.Enum()
	if len(xv.Variants) > 0 {
		return "", "", false
	}
	type alt struct {
		label string
		vals  map[string]bool
	}
	var list []alt
	for k := range alts {
		hv := NewView(alts[k].Ref, nil)
		hs, ok := hv.Enum()
		if !ok || len(hv.Variants) > 0 || !hv.Types.Covers(xv.Types) ||
			Canon(&openapi3.SchemaRef{Value: withoutEnum(hv.S)}) != Canon(&openapi3.SchemaRef{Value: withoutEnum(xv.S)}) {
			continue
		}
		vals := valueSet(hs)
		if xok {
			in := valueSet(xs)
			for v := range vals {
				if !in[v] {
					delete(vals, v)
				}
			}
		}
		list = append(list, alt{alts[k].Label(), vals})
	}
	for i := range list {
		for j := i + 1; j < len(list); j++ {
			for v := range list[i].vals {
				if list[j].vals[v] {
					return list[i].label, list[j].label, true
				}
			}
		}
	}
	return "", "", false
}
