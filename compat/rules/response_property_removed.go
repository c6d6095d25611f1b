package rules

func responsePropertyRemoved() Rule {
	return Rule{
		ID:         "response-property-removed",
		Category:   CatRemoval,
		Severity:   Error,
		Profile:    Wire,
		Direction:  Response,
		Summary:    "A property was removed from a response object (or became writeOnly).",
		Impact:     "Clients reading `invoice.due_date` now get nothing: typed decoders leave it zero, others crash on undefined.",
		Mitigation: "Keep returning the property, deprecated with an `x-sunset` date, until clients stop reading it.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Both(TObject) {
				return
			}
			d.Base.OwnProps(func(p Prop) {
				if !p.In(Response) {
					return
				}
				if hp, ok := d.Head.Prop(p.Name); ok && hp.In(Response) {
					return
				}
				r.Report(Hit{Prop: p.Name, Side: Base, Before: p.Name, Sunset: p.Sunset(),
					Message: "property " + p.Name + " was removed from the response"})
			})
		},
	}
}
