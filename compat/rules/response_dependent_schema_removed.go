package rules

func responseDependentSchemaRemoved() Rule {
	return Rule{
		ID:        "response-dependent-schema-removed",
		Category:  CatConstraint,
		Severity:  Error,
		Profile:   Wire,
		Direction: Response,
		Summary:   "A response no longer promises what it did when a property is present (dependentSchemas removed).",
		Impact: "`dependentSchemas: {refund: {required: [reason]}}` was dropped: clients reading the reason of every " +
			"refund meet responses without it.",
		Mitigation: "Keep the guarantee in responses; document the new shape under a new property.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() || !d.Both(TObject) {
				return
			}
			hd := d.Head.DependentSchemas()
			for _, k := range sortedKeysOf(d.Base.DependentSchemas()) {
				if _, ok := hd[k]; ok {
					continue
				}
				if bs := d.Base.DependentSchemas()[k]; bs != nil && bs.Value != nil && emptySchema(bs.Value) {
					continue
				}
				r.Report(Hit{At: []string{"dependentSchemas", k}, Side: Base, Before: k, After: "none",
					Message: "objects with " + k + " no longer promise to match its dependent schema"})
			}
		},
	}
}
