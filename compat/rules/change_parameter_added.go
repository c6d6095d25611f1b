package rules

func parameterAdded() Rule {
	return Rule{
		ID:        "parameter-added",
		Category:  CatAddition,
		Severity:  Info,
		Profile:   Wire,
		Direction: None,
		Summary:   "A new optional parameter was added to an operation (a new required one is parameter-required-added).",
		Impact:    "Nothing breaks: clients may now send `?expand=customer`; those that do not get the old behaviour.",
		Mitigation: "Nothing to mitigate; keep the default behaviour identical to what clients got before the " +
			"parameter existed.",
		Parameter: func(d *ParameterDiff, r Reporter) {
			if d.Base != nil || d.Head == nil || d.Head.Required || d.Head.In == "path" {
				return
			}
			name := d.Head.In + " parameter " + d.Head.Name
			r.Report(Hit{After: d.Head.Name, Message: "new optional " + name})
		},
	}
}
