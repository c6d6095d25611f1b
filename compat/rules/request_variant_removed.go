package rules

func requestVariantRemoved() Rule {
	return Rule{
		ID:         "request-variant-removed",
		Category:   CatComposition,
		Severity:   Error,
		Profile:    Wire,
		Direction:  Request,
		Summary:    "A oneOf/anyOf alternative clients may send was removed.",
		Impact:     "`payment_method` no longer accepts the BankTransfer shape: clients paying by bank transfer get 400 Bad Request.",
		Mitigation: "Keep accepting the alternative (deprecated) until clients have moved to another one.",
		Schema: func(d *SchemaDiff, r Reporter) {
			var gone []string
			for _, p := range d.Variants {
				if p.Head != nil || p.Base == nil {
					continue
				}
				gone = append(gone, p.Base.Label())
			}
			if len(gone) == 0 {
				return
			}
			kind := d.variantKind()
			list := join(gone, ", ")
			r.Report(Hit{At: []string{kind}, Side: Base, Before: list,
				Message: kind + " alternatives no longer accepted: " + list})
		},
	}
}
