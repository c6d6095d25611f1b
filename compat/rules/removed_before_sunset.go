package rules

func removedBeforeSunset() Rule {
	return Rule{
		ID:        "removed-before-sunset",
		Category:  CatLifecycle,
		Severity:  Error,
		Profile:   Wire,
		Direction: None,
		Summary:   "A deprecated operation was removed before its x-sunset date.",
		Impact: "Partners were promised the operation until 2025-12-31 and scheduled their migration for it; removed " +
			"today, their calls fail months early.",
		Mitigation: "Keep the operation until its x-sunset date has passed; the removal is then accepted on its own.",
		Operation: func(d *OperationDiff, r Reporter) {
			s, ok := sunsetAhead(d)
			if !ok {
				return
			}
			r.Report(Hit{Side: Base, Before: d.Key, Sunset: s,
				Message: "operation " + d.Key + " was removed before its x-sunset date " + s})
		},
	}
}

// sunsetAhead returns the x-sunset of a removed, deprecated operation whose
// date has not passed: removed-before-sunset reports it, so
// operation-removed stays quiet. The sunset day itself is still "before", as
// in the policy pass, which accepts a removal from the next day on: clients
// were promised the operation through that day.
func sunsetAhead(d *OperationDiff) (string, bool) {
	if d.Base == nil || d.Head != nil || !d.Base.Deprecated || d.Life.Today == "" {
		return "", false
	}
	s := sunsetDate(d.Base.Extensions)
	return s, s != "" && d.Life.Today <= s
}
