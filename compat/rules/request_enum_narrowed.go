package rules

func requestEnumNarrowed() Rule {
	return Rule{
		ID:         "request-enum-narrowed",
		Category:   CatEnum,
		Severity:   Error,
		Profile:    Wire,
		Direction:  Request,
		Summary:    "A request value accepts fewer values: an enum value was removed, or an enum was added.",
		Impact:     "Clients sending `\"interval\": \"weekly\"` get 400 Bad Request because only daily and monthly remain.",
		Mitigation: "Keep accepting the old values (map them to the closest new behaviour on the server).",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() {
				return
			}
			hv, hok := d.Head.Enum()
			if !hok {
				return
			}
			bv, bok := d.Base.Enum()
			if !bok {
				// The values clients were told they may send.
				bv, bok = d.Base.ExtensibleEnum()
			}
			if !bok {
				r.Report(Hit{At: []string{"enum"}, Before: "any", After: ValueList(keys(hv)),
					Message: "the value is now restricted to " + ValueList(keys(hv))})
				return
			}
			if gone := d.Missing(bv, hv); len(gone) > 0 {
				r.Report(Hit{At: []string{"enum"}, Before: ValueList(gone), After: "",
					Message: "enum values " + ValueList(gone) + " are no longer accepted"})
			}
		},
	}
}

func keys(values []any) []string {
	out := make([]string, len(values))
	for i, x := range values {
		out[i] = ValueKey(x)
	}
	return out
}
