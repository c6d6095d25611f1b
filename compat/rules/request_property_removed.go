package rules

func requestPropertyRemoved() Rule {
	return Rule{
		ID:        "request-property-removed",
		Category:  CatRemoval,
		Severity:  Error,
		Profile:   Wire,
		Direction: Request,
		Summary:   "A property clients send was removed from a request object that rejects unknown properties.",
		Impact: "The object has `additionalProperties: false`, so clients still sending `nickname` now get 400 Bad " +
			"Request. (Removed from an open object, the property would only be ignored, which is not reported.)",
		Mitigation: "Keep the property (deprecated and ignored) until clients stop sending it.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Both(TObject) {
				return
			}
			if kind, _ := d.Head.AdditionalProperties(); kind != APClosed {
				return
			}
			d.Base.OwnProps(func(p Prop) {
				if !p.In(Request) {
					return
				}
				if _, ok := d.Head.Prop(p.Name); ok {
					return
				}
				r.Report(Hit{Prop: p.Name, Side: Base, Before: p.Name, Sunset: p.Sunset(),
					Message: "property " + p.Name + " was removed and unknown properties are rejected"})
			})
		},
	}
}
