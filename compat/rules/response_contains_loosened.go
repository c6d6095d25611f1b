package rules

func responseContainsLoosened() Rule {
	return Rule{
		ID:        "response-contains-loosened",
		Category:  CatConstraint,
		Severity:  Error,
		Profile:   Wire,
		Direction: Response,
		Summary:   "A response array no longer promises its matching items: contains removed, minContains lowered or maxContains raised.",
		Impact: "`roles` lost `contains: {const: owner}`: clients that look up the owner in every team find none and " +
			"fail on the missing element.",
		Mitigation: "Keep the guarantee in responses; return the new shape under a new property.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() || !d.Both(TArray) {
				return
			}
			_, blo, bhi, bok := d.Base.Contains()
			if !bok {
				return
			}
			_, hlo, hhi, hok := d.Head.Contains()
			switch {
			case !hok:
				r.Report(Hit{At: []string{"contains"}, Side: Base, Before: "at least " + fmtCount(blo), After: "none",
					Message: "the array no longer promises an item matching contains"})
			case hlo < blo:
				r.Report(Hit{At: []string{"minContains"}, Before: fmtCount(blo), After: fmtCount(hlo),
					Message: "minContains lowered from " + fmtCount(blo) + " to " + fmtCount(hlo)})
			case maxTighter(bhi, hhi):
				r.Report(Hit{At: []string{"maxContains"}, Before: fmtMax(bhi), After: fmtMax(hhi),
					Message: "maxContains raised from " + fmtMax(bhi) + " to " + fmtMax(hhi)})
			}
		},
	}
}
