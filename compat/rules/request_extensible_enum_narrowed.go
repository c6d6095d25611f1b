package rules

import "github.com/getkin/kin-openapi/openapi3"

func requestExtensibleEnumNarrowed() Rule {
	return Rule{
		ID:        "request-extensible-enum-narrowed",
		Category:  CatEnum,
		Severity:  Error,
		Profile:   Wire,
		Direction: Request,
		Summary:   "A value listed in a request's x-extensible-enum was removed.",
		Impact: "`x-extensible-enum: [standard, express, overnight]` lost overnight: the list is open for what the " +
			"server returns, but it is what clients were told they may send, and clients sending overnight are now " +
			"rejected or misread.",
		Mitigation: "Keep listing (and accepting) the value; mark it deprecated in its description until clients have moved.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() {
				return
			}
			bv, ok := d.Base.ExtensibleEnum()
			if !ok {
				return
			}
			// Without a list in head, any value is accepted again, or a
			// closed enum now decides (request-enum-narrowed judges it).
			hv, hok := d.Head.ExtensibleEnum()
			if !hok {
				return
			}
			if he, eok := d.Head.Enum(); eok {
				hv = append(append([]any(nil), hv...), he...)
			}
			if gone := d.Missing(bv, hv); len(gone) > 0 {
				r.Report(Hit{At: []string{"x-extensible-enum"}, Before: ValueList(gone),
					Message: "x-extensible-enum values " + ValueList(gone) + " are no longer listed"})
			}
		},
	}
}

// ExtensibleEnum returns the values of the view's x-extensible-enum (a
// vendor extension: the values clients may send, a list servers may grow).
func (v *View) ExtensibleEnum() (values []any, ok bool) {
	v.each(func(s *openapi3.Schema) bool {
		list, isList := s.Extensions["x-extensible-enum"].([]any)
		if isList {
			values, ok = list, true
		}
		return ok
	})
	return values, ok
}
