package rules

func sunsetRemoved() Rule {
	return Rule{
		ID:        "sunset-removed",
		Category:  CatLifecycle,
		Severity:  Error,
		Profile:   Wire,
		Direction: None,
		Summary:   "A deprecated operation lost its x-sunset date while staying deprecated.",
		Impact: "Partners were told the operation lives until 2025-12-31; without the date it may now go at any time, " +
			"and the gate can no longer tell whether its removal is on time.",
		Mitigation: "Keep the x-sunset date (postpone it if plans changed), or withdraw the deprecation altogether.",
		Operation: func(d *OperationDiff, r Reporter) {
			if d.Base == nil || d.Head == nil || !d.Base.Deprecated || !d.Head.Deprecated {
				return
			}
			b := sunsetDate(d.Base.Extensions)
			if _, set := d.Head.Extensions["x-sunset"]; b == "" || set {
				return
			}
			r.Report(Hit{Before: b,
				Message: "operation " + d.Key + " is still deprecated but its x-sunset date " + b + " was deleted"})
		},
	}
}
