package rules

func sunsetMovedEarlier() Rule {
	return Rule{
		ID:        "sunset-moved-earlier",
		Category:  CatLifecycle,
		Severity:  Error,
		Profile:   Wire,
		Direction: None,
		Summary:   "A deprecated operation's x-sunset date moved earlier.",
		Impact: "Partners planned their migration for the announced 2025-12-31; with the sunset now 2025-09-30 " +
			"their integration stops working three months before they were told it would.",
		Mitigation: "Keep the announced date, or move it later; a sunset may only be postponed.",
		Operation: func(d *OperationDiff, r Reporter) {
			if d.Base == nil || d.Head == nil {
				return
			}
			b, h := sunsetDate(d.Base.Extensions), sunsetDate(d.Head.Extensions)
			if b == "" || h == "" || h >= b {
				return
			}
			r.Report(Hit{At: []string{"x-sunset"}, Before: b, After: h,
				Message: "operation " + d.Key + " x-sunset moved earlier, from " + b + " to " + h})
		},
	}
}
