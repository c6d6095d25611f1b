package rules

func operationDeprecated() Rule {
	return Rule{
		ID:        "operation-deprecated",
		Category:  CatDeprecation,
		Severity:  Info,
		Profile:   Wire,
		Direction: None,
		Summary:   "An operation was marked deprecated (with its x-sunset date, when it has one).",
		Impact:    "Nothing breaks yet: the operation still works, but it will be removed after its sunset date.",
		Mitigation: "Give the deprecation an x-sunset date far enough ahead for partners to move, and name the " +
			"replacement in the description.",
		Operation: func(d *OperationDiff, r Reporter) {
			if d.Base == nil || d.Head == nil || d.Base.Deprecated || !d.Head.Deprecated {
				return
			}
			sunset := SunsetOf(true, d.Head.Extensions)
			msg := "operation " + d.Key + " is deprecated"
			r.Report(Hit{At: []string{"deprecated"}, After: "deprecated", Message: msg, Sunset: sunset})
		},
	}
}
