package rules

func requestPropertyBecameRequired() Rule {
	return Rule{
		ID:         "request-property-became-required",
		Category:   CatRequirement,
		Severity:   Error,
		Profile:    Wire,
		Direction:  Request,
		Summary:    "An optional request property became required.",
		Impact:     "Clients that omitted `description` when creating a product now get 400 Bad Request.",
		Mitigation: "Keep the property optional and default it on the server.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Both(TObject) {
				return
			}
			newlyRequired(d, func(name string, existed bool) {
				if existed {
					r.Report(Hit{Prop: name, Before: "optional", After: "required",
						Message: "property " + name + " became required"})
				}
			})
		},
	}
}
