package rules

func parameterDeprecated() Rule {
	return Rule{
		ID:         "parameter-deprecated",
		Category:   CatDeprecation,
		Severity:   Info,
		Profile:    Wire,
		Direction:  None,
		Summary:    "A parameter was marked deprecated (with its x-sunset date, when it has one).",
		Impact:     "Nothing breaks yet: `?legacy_mode` is still honoured, but clients should stop sending it.",
		Mitigation: "Give the deprecation an x-sunset date and say in the description what replaces the parameter.",
		Parameter: func(d *ParameterDiff, r Reporter) {
			if d.Base == nil || d.Head == nil || d.Base.Deprecated || !d.Head.Deprecated {
				return
			}
			sunset := SunsetOf(true, d.Head.Extensions)
			msg := d.Head.In + " parameter " + d.Head.Name + " is deprecated"
			r.Report(Hit{At: []string{"deprecated"}, After: "deprecated", Message: msg, Sunset: sunset})
		},
	}
}
