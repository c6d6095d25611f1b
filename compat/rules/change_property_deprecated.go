package rules

func propertyDeprecated() Rule {
	return Rule{
		ID:         "property-deprecated",
		Category:   CatDeprecation,
		Severity:   Info,
		Profile:    Wire,
		Direction:  Both,
		Summary:    "A property was marked deprecated (with its x-sunset date, when it has one).",
		Impact:     "Nothing breaks yet: `legacy_id` is still sent and accepted, but it will go after its sunset date.",
		Mitigation: "Give the deprecation an x-sunset date and say in the description what replaces the property.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Both(TObject) {
				return
			}
			d.Head.OwnProps(func(p Prop) {
				bp, had := d.Base.Prop(p.Name)
				if !had || bp.Schema().Deprecated || !p.Schema().Deprecated {
					return
				}
				sunset := SunsetOf(true, p.Schema().Extensions)
				msg := "property " + p.Name + " is deprecated"
				r.Report(Hit{Prop: p.Name, After: "deprecated", Message: msg, Sunset: sunset})
			})
		},
	}
}
