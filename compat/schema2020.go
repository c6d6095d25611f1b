package compat

import (
	"sort"

	"github.com/accord-dev/accord/compat/rules"
	"github.com/getkin/kin-openapi/openapi3"
)

// never is the schema no value matches, standing in for a closed object's
// unlisted properties. Each call gets its own flag: a shared one would be
// package-level state that any writer through the pointer could flip.
func never() *openapi3.SchemaRef {
	always := false
	return &openapi3.SchemaRef{Value: &openapi3.Schema{Always: &always}}
}

// keywords2020 descends into the subschemas JSON Schema 2020-12 adds:
// positions of prefixItems, contains, patternProperties, propertyNames,
// dependentSchemas, then/else under the same if, and contentSchema. Each
// constrains values the way the enclosing schema does, so the pair is
// compared in the same direction.
func (e *engine) keywords2020(sc scope, f flow, bv, hv *rules.View, at *path, depth int) {
	if bv.Allows(rules.TArray) && hv.Allows(rules.TArray) {
		e.positions(sc, f, bv, hv, at, depth)
		if bc, _, _, ok := bv.Contains(); ok {
			if hc, _, _, ok := hv.Contains(); ok {
				e.schemaIn(sc, f, bc, hc, at.child("contains"), depth+1)
			}
		}
	}
	if !bv.Allows(rules.TObject) || !hv.Allows(rules.TObject) {
		e.content2020(sc, f, bv, hv, at, depth)
		return
	}
	bpp, hpp := bv.PatternProperties(), hv.PatternProperties()
	if len(bpp) > 0 || len(hpp) > 0 {
		keys := map[string]bool{}
		for k := range bpp {
			keys[k] = true
		}
		for k := range hpp {
			keys[k] = true
		}
		for _, k := range sortedKeys(keys) {
			e.schemaIn(sc, f, patternSchema(bv, bpp, k), patternSchema(hv, hpp, k), at.child("patternProperties").child(k), depth+1)
		}
	}
	if bn, hn := bv.PropertyNames(), hv.PropertyNames(); bn != nil || hn != nil {
		e.schemaIn(sc, f, orAny(bn), orAny(hn), at.child("propertyNames"), depth+1)
	}
	bds, hds := bv.DependentSchemas(), hv.DependentSchemas()
	for _, k := range sortedSchemaKeys(bds) {
		if hs, ok := hds[k]; ok {
			e.schemaIn(sc, f, bds[k], hs, at.child("dependentSchemas").child(k), depth+1)
		}
	}
	if bc, ok := bv.Conditional(); ok {
		if hc, ok := hv.Conditional(); ok && rules.Canon(bc.If) == rules.Canon(hc.If) {
			if bc.Then != nil && hc.Then != nil {
				e.schemaIn(sc, f, bc.Then, hc.Then, at.child("then"), depth+1)
			}
			if bc.Else != nil && hc.Else != nil {
				e.schemaIn(sc, f, bc.Else, hc.Else, at.child("else"), depth+1)
			}
		}
	}
	e.content2020(sc, f, bv, hv, at, depth)
}

func (e *engine) content2020(sc scope, f flow, bv, hv *rules.View, at *path, depth int) {
	if bc, hc := bv.ContentSchema(), hv.ContentSchema(); bc != nil && hc != nil {
		e.schemaIn(sc, f, bc, hc, at.child("contentSchema"), depth+1)
	}
}

// positions compares array positions that prefixItems names on either
// side: each side's schema for position i is its prefixItems[i], or past
// them its items (anything when there are none).
func (e *engine) positions(sc scope, f flow, bv, hv *rules.View, at *path, depth int) {
	bp, hp := bv.PrefixItems(), hv.PrefixItems()
	n := max(len(bp), len(hp))
	pos := func(list openapi3.SchemaRefs, v *rules.View, i int) (*openapi3.SchemaRef, []string) {
		if i < len(list) {
			return list[i], []string{"prefixItems", itoa(i)}
		}
		if it := v.Items(); it != nil {
			return it, []string{"items"}
		}
		return orAny(nil), nil
	}
	for i := 0; i < n; i++ {
		bs, bt := pos(bp, bv, i)
		hs, ht := pos(hp, hv, i)
		e.schemaIn(sc, f, bs, hs, at.sides("prefixItems."+itoa(i), ht, bt), depth+1)
	}
}

// patternSchema is what a side says of property names matching pattern k:
// its own patternProperties entry, else what it does with unlisted
// properties.
func patternSchema(v *rules.View, pp openapi3.Schemas, k string) *openapi3.SchemaRef {
	if s, ok := pp[k]; ok && s != nil {
		return s
	}
	switch kind, ap := v.AdditionalProperties(); kind {
	case rules.APClosed:
		return never()
	case rules.APSchema:
		return orAny(ap)
	}
	return orAny(nil)
}

func sortedSchemaKeys(m openapi3.Schemas) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
