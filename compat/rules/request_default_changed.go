package rules

func requestDefaultChanged() Rule {
	return Rule{
		ID:        "request-default-changed",
		Category:  CatConstraint,
		Severity:  Warning,
		Profile:   Wire,
		Direction: Request,
		Summary:   "The default applied when clients omit a request value changed.",
		Impact: "`limit` defaulted to 10 and now to 100: clients that never sent it get ten times more data per page, " +
			"and `capture` defaulting to false instead of true leaves their payments uncaptured. A warning: the request " +
			"still succeeds, with different behaviour.",
		Mitigation: "Keep the default; introduce the new behaviour through an explicit value.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() {
				return
			}
			bd, hd := d.Base.Default(), d.Head.Default()
			if bd == nil || hd == nil {
				return
			}
			if bk, hk := ValueKey(bd), ValueKey(hd); bk != hk {
				r.Report(Hit{At: []string{"default"}, Before: bk, After: hk,
					Message: "default changed from " + bk + " to " + hk})
			}
		},
	}
}
