package rules

func responsePropertyBecameOptional() Rule {
	return Rule{
		ID:         "response-property-became-optional",
		Category:   CatRemoval,
		Severity:   Error,
		Profile:    Wire,
		Direction:  Response,
		Summary:    "A required response property became optional: the server may now omit it.",
		Impact:     "Clients that always read `order.total` now sometimes get nothing and compute with zero or crash.",
		Mitigation: "Keep the property required; if it cannot always be filled, add a new optional property instead.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Both(TObject) {
				return
			}
			seen := map[string]bool{}
			d.Base.OwnRequired(func(name string) {
				if seen[name] || d.Head.Requires(name) {
					return
				}
				seen[name] = true
				bp, bok := d.Base.Prop(name)
				if bok && !bp.In(Response) {
					return
				}
				hp, hok := d.Head.Prop(name)
				if bok && (!hok || !hp.In(Response)) {
					return // removed: response-property-removed says so
				}
				r.Report(Hit{Prop: name, Before: "required", After: "optional",
					Message: "property " + name + " is no longer required in the response"})
			})
		},
	}
}
