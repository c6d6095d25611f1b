package rules

import "github.com/getkin/kin-openapi/openapi3"

func requestOneOfAmbiguous() Rule {
	return Rule{
		ID:        "request-oneof-ambiguous",
		Category:  CatComposition,
		Severity:  Error,
		Profile:   Wire,
		Direction: Request,
		Summary:   "Values clients sent now match more than one oneOf alternative, so they match none.",
		Impact: "An object requiring `foo` and `bar` became `oneOf: [{required: [foo]}, {required: [bar]}]`: every " +
			"request clients send has both and matches both alternatives, and oneOf accepts exactly one, so all " +
			"of them get 400 Bad Request.",
		Mitigation: "Use anyOf, make the alternatives exclusive (a discriminator, or a property only one of them allows), or keep the old shape as one alternative.",
		Schema: func(d *SchemaDiff, r Reporter) {
			h := d.Head
			if h.VariantKind != "oneOf" || len(h.Variants) < 2 || h.Discriminator() != nil {
				return
			}
			old := d.Base.Variants
			if len(old) == 0 {
				old = SelfVariant(&openapi3.SchemaRef{Ref: d.Base.Ref, Value: d.Base.S})
			}
			if len(d.Base.Variants) == 0 {
				a, b, ok := rangesOverlap(h.Variants, &old[0])
				if !ok {
					a, b, ok = enumsOverlap(h.Variants, &old[0])
				}
				if ok {
					r.Report(Hit{At: []string{"oneOf"}, Before: "the old schema", After: a + ", " + b,
						Message: "old values both oneOf alternatives " + a + " and " + b + " accept match twice, so they match none"})
					return
				}
			}
			for i := range old {
				x := &old[i]
				matches := matching(h.Variants, x.Ref)
				if len(matches) < 2 {
					continue
				}
				// Already ambiguous in base: those values never validated.
				if d.Base.VariantKind == "oneOf" && len(matching(d.Base.Variants, x.Ref)) >= 2 {
					continue
				}
				name := x.Label()
				if x.Index < 0 {
					name = "the old schema"
				}
				list := join(matches, ", ")
				r.Report(Hit{At: []string{"oneOf"}, Before: name, After: list,
					Message: "every value of " + name + " clients sent matches oneOf alternatives " + list + ", so it matches none"})
				return
			}
		},
	}
}

// matching lists the alternatives that provably accept every value of x.
func matching(alts []Variant, x *openapi3.SchemaRef) []string {
	var out []string
	for k := range alts {
		a := alts[k].Ref
		same := a.Ref != "" && RefName(a.Ref) == RefName(x.Ref)
		if same || Accepts(a, x) && unbounded(a.Value, 0) {
			out = append(out, alts[k].Label())
		}
	}
	return out
}

// unbounded reports whether a schema restricts values only by what Accepts
// reads (types, nullability, enums, formats, required, properties, items,
// alternatives): with any other keyword, Accepts' yes is no proof.
func unbounded(s *openapi3.Schema, depth int) bool {
	if s == nil {
		return true
	}
	if depth > maxAccepts {
		return false
	}
	if s.Min != nil || s.Max != nil || s.ExclusiveMin.Value != nil || s.ExclusiveMin.IsTrue() ||
		s.ExclusiveMax.Value != nil || s.ExclusiveMax.IsTrue() || s.MultipleOf != nil ||
		s.MinLength != 0 || s.MaxLength != nil || s.Pattern != "" || s.MinItems != 0 || s.MaxItems != nil ||
		s.UniqueItems || s.MinProps != 0 || s.MaxProps != nil || s.Not != nil || s.If != nil ||
		s.Contains != nil || len(s.DependentRequired) > 0 || len(s.DependentSchemas) > 0 ||
		len(s.PatternProperties) > 0 || s.PropertyNames != nil || len(s.PrefixItems) > 0 ||
		s.AdditionalProperties.Schema != nil || s.Always != nil {
		return false
	}
	for _, p := range s.Properties {
		if p != nil && !unbounded(p.Value, depth+1) {
			return false
		}
	}
	for _, list := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, m := range list {
			if m != nil && !unbounded(m.Value, depth+1) {
				return false
			}
		}
	}
	if s.Items != nil && !unbounded(s.Items.Value, depth+1) {
		return false
	}
	return true
}
