package rules

func requestDependentSchemaAdded() Rule {
	return Rule{
		ID:        "request-dependent-schema-added",
		Category:  CatConstraint,
		Severity:  Error,
		Profile:   Wire,
		Direction: Request,
		Summary:   "A request object must now match a further schema when a property is present (dependentSchemas).",
		Impact: "`dependentSchemas: {coupon: {required: [campaign]}}` was added: clients sending a coupon alone get " +
			"400 Bad Request.",
		Mitigation: "Apply the new constraint only to a new property, or default what it demands on the server.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() || !d.Both(TObject) {
				return
			}
			bd := d.Base.DependentSchemas()
			for _, k := range sortedKeysOf(d.Head.DependentSchemas()) {
				if _, ok := bd[k]; ok {
					continue // both sides: the two schemas are compared as a pair
				}
				if hs := d.Head.DependentSchemas()[k]; hs != nil && hs.Value != nil && emptySchema(hs.Value) {
					continue
				}
				r.Report(Hit{At: []string{"dependentSchemas", k}, Before: "none", After: k,
					Message: "objects sending " + k + " must now match a further schema"})
			}
		},
	}
}
