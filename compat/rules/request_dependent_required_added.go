package rules

func requestDependentRequiredAdded() Rule {
	return Rule{
		ID:        "request-dependent-required-added",
		Category:  CatRequirement,
		Severity:  Error,
		Profile:   Wire,
		Direction: Request,
		Summary:   "A request property now requires others when it is present (dependentRequired).",
		Impact: "`dependentRequired: {card: [cvc]}` was added: clients sending a card without a cvc, as they always " +
			"could, get 400 Bad Request.",
		Mitigation: "Default the dependent value on the server, or require it only in a new version of the operation.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Both(TObject) {
				return
			}
			bd := d.Base.DependentRequired()
			for _, k := range sortedKeysOf(d.Head.DependentRequired()) {
				for _, n := range d.Head.DependentRequired()[k] {
					if containsString(bd[k], n) || d.Base.Requires(n) {
						continue
					}
					r.Report(Hit{At: []string{"dependentRequired", k}, Before: "optional", After: n + " required with " + k,
						Message: n + " is now required whenever " + k + " is sent"})
				}
			}
		},
	}
}

func sortedKeysOf[V any](m map[string]V) []string {
	if len(m) == 0 {
		return nil
	}
	set := make(map[string]bool, len(m))
	for k := range m {
		set[k] = true
	}
	return sortedKeys(set)
}
