package rules

func requestEnumWidened() Rule {
	return Rule{
		ID:         "request-enum-widened",
		Category:   CatAddition,
		Severity:   Info,
		Profile:    Wire,
		Direction:  Request,
		Summary:    "A request value accepts enum values it did not before (in responses this is response-enum-widened).",
		Impact:     "Nothing breaks: clients may now send `currency: \"CHF\"`; what they sent before is still accepted.",
		Mitigation: "Nothing to mitigate; announce the values so partners can use them.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() {
				return
			}
			bv, bok := d.Base.Enum()
			hv, hok := d.Head.Enum()
			if !bok || !hok {
				return
			}
			if added := Missing(hv, bv); len(added) > 0 {
				r.Report(Hit{At: []string{"enum"}, After: ValueList(added),
					Message: "new enum values " + ValueList(added) + " may be sent"})
			}
		},
	}
}
