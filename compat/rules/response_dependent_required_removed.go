package rules

func responseDependentRequiredRemoved() Rule {
	return Rule{
		ID:        "response-dependent-required-removed",
		Category:  CatRemoval,
		Severity:  Error,
		Profile:   Wire,
		Direction: Response,
		Summary:   "A response no longer promises properties that came with another one (dependentRequired).",
		Impact: "`dependentRequired: {refund: [refunded_at]}` was dropped: clients that read refunded_at whenever a " +
			"refund is present meet responses without it.",
		Mitigation: "Keep sending the dependent properties; add new optional ones instead.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Both(TObject) {
				return
			}
			hd := d.Head.DependentRequired()
			for _, k := range sortedKeysOf(d.Base.DependentRequired()) {
				for _, n := range d.Base.DependentRequired()[k] {
					if containsString(hd[k], n) || d.Head.Requires(n) {
						continue
					}
					r.Report(Hit{At: []string{"dependentRequired", k}, Before: n + " required with " + k, After: "optional",
						Message: n + " is no longer promised whenever " + k + " is present"})
				}
			}
		},
	}
}
