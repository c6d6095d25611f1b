package rules

func responseVariantAdded() Rule {
	return Rule{
		ID:        "response-variant-added",
		Category:  CatComposition,
		Severity:  Error,
		Profile:   Wire,
		Direction: Response,
		Summary:   "A response value may now match a new oneOf/anyOf alternative.",
		Impact: "`source` may now be a Wallet besides Card and BankAccount: clients decoding by discriminator fail on " +
			"the unknown type, and code that switches over the known types has no branch for it.",
		Mitigation: "Only return the new alternative to clients that opted in, or document from the start that unknown alternatives must be skipped.",
		Schema: func(d *SchemaDiff, r Reporter) {
			var added []string
			for _, p := range d.Variants {
				if p.Base != nil || p.Head == nil {
					continue
				}
				added = append(added, p.Head.Label())
			}
			if len(added) == 0 {
				return
			}
			kind := d.variantKind()
			list := join(added, ", ")
			r.Report(Hit{At: []string{kind}, After: list,
				Message: "new " + kind + " alternatives may be returned: " + list})
		},
	}
}
