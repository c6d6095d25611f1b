package rules

func requestPatternChanged() Rule {
	return Rule{
		ID:        "request-pattern-changed",
		Category:  CatConstraint,
		Severity:  Error,
		Profile:   Wire,
		Direction: Request,
		Summary:   "A request string's pattern was added or changed.",
		Impact: "`sku` must now match ^[A-Z]{3}-[0-9]+$ instead of ^[A-Z0-9-]+$: clients sending ABC123 get 400 Bad " +
			"Request. Whether a new regular expression accepts everything the old one did cannot be decided in " +
			"general, so any change is reported; review it and accept it when it only widens.",
		Mitigation: "Keep the old pattern, or widen it with an alternation that still matches every old value.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() || !d.Both(TString) {
				return
			}
			bp, hp := d.Base.Pattern(), d.Head.Pattern()
			if hp == "" || hp == bp {
				return
			}
			if bp == "" && textPatternCovers(hp, d.Base) {
				return // every old value provably matches (an enum, or digits for an integer parameter)
			}
			r.Report(Hit{At: []string{"pattern"}, Before: quoteOrNone(bp), After: hp,
				Message: "pattern changed from " + quoteOrNone(bp) + " to " + hp})
		},
	}
}
