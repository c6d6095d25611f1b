package rules

func responseEnumWidened() Rule {
	return Rule{
		ID:        "response-enum-widened",
		Category:  CatEnum,
		Severity:  Error,
		Profile:   Wire,
		Direction: Response,
		Summary:   "A response value may take values it could not before: an enum value was added, or the enum was dropped.",
		Impact: "`status` may now be \"disputed\": generated Java, Kotlin, Swift and Rust clients fail to decode the " +
			"whole response on an unknown enum constant, and exhaustive switches elsewhere fall through. It is an " +
			"error because strict decoders fail on the wire data itself, not just on code style.",
		Mitigation: "Document from the start that enums are open (and have clients map unknown values to a fallback); " +
			"otherwise only send the new value to clients that opted in (a version header).",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() {
				return
			}
			bv, bok := d.Base.Enum()
			if !bok {
				return
			}
			hv, hok := d.Head.Enum()
			if !hok {
				r.Report(Hit{At: []string{"enum"}, Before: ValueList(keys(bv)), After: "any",
					Message: "the value is no longer restricted to " + ValueList(keys(bv))})
				return
			}
			if added := d.Missing(hv, bv); len(added) > 0 {
				r.Report(Hit{At: []string{"enum"}, Before: "", After: ValueList(added),
					Message: "new enum values " + ValueList(added) + " may be returned"})
			}
		},
	}
}
