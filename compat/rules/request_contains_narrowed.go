package rules

func requestContainsNarrowed() Rule {
	return Rule{
		ID:        "request-contains-narrowed",
		Category:  CatConstraint,
		Severity:  Error,
		Profile:   Wire,
		Direction: Request,
		Summary:   "A request array must now contain more (or fewer) matching items: contains added, minContains raised or maxContains lowered.",
		Impact: "`roles` gained `contains: {const: owner}`: clients sending a list of members without an owner get " +
			"400 Bad Request.",
		Mitigation: "Keep the old contains bounds; enforce the new rule only on a new property or a new version of the operation.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() || !d.Both(TArray) {
				return
			}
			_, hlo, hhi, hok := d.Head.Contains()
			if !hok {
				return
			}
			_, blo, bhi, bok := d.Base.Contains()
			switch {
			case !bok:
				if hlo > 0 {
					r.Report(Hit{At: []string{"contains"}, Before: "none", After: "at least " + fmtCount(hlo),
						Message: "the array must now contain at least " + fmtCount(hlo) + " matching item(s)"})
				} else if hhi != nil {
					r.Report(Hit{At: []string{"maxContains"}, Before: "none", After: fmtMax(hhi),
						Message: "the array may now contain at most " + fmtMax(hhi) + " matching item(s)"})
				}
			case hlo > blo:
				r.Report(Hit{At: []string{"minContains"}, Before: fmtCount(blo), After: fmtCount(hlo),
					Message: "minContains raised from " + fmtCount(blo) + " to " + fmtCount(hlo)})
			case maxTighter(hhi, bhi):
				r.Report(Hit{At: []string{"maxContains"}, Before: fmtMax(bhi), After: fmtMax(hhi),
					Message: "maxContains lowered from " + fmtMax(bhi) + " to " + fmtMax(hhi)})
			}
		},
	}
}
