package rules

func propertyAdded() Rule {
	return Rule{
		ID:        "property-added",
		Category:  CatAddition,
		Severity:  Info,
		Profile:   Wire,
		Direction: Both,
		Summary:   "An object gained an optional property (in a request) or a property (in a response).",
		Impact: "Nothing breaks for tolerant readers: clients may now send `metadata`, or will find `receipt_url` " +
			"in responses. Clients that reject unknown fields should update their models first.",
		Mitigation: "Nothing to mitigate for tolerant readers; announce response properties before they appear.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Both(TObject) {
				return
			}
			d.Head.OwnProps(func(p Prop) {
				if _, had := d.Base.Prop(p.Name); had || !p.In(d.Dir) {
					return
				}
				if d.Dir == Request && d.Head.Requires(p.Name) {
					return // request-property-required-added is the breaking kind
				}
				msg := "new property " + p.Name + " may be returned"
				if d.Dir == Request {
					msg = "new optional property " + p.Name + " may be sent"
				}
				r.Report(Hit{Prop: p.Name, After: p.Name, Message: msg})
			})
		},
	}
}
