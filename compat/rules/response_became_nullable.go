package rules

func responseBecameNullable() Rule {
	return Rule{
		ID:         "response-became-nullable",
		Category:   CatType,
		Severity:   Error,
		Profile:    Wire,
		Direction:  Response,
		Summary:    "A response value (property, item or whole body) may now be null.",
		Impact:     "Clients do `order.customer.name` and crash on `\"customer\": null`; typed decoders reject null for a non-pointer field.",
		Mitigation: "Keep the value non-null (omit the property, or add a new nullable one); make it nullable only in a new version.",
		Schema: func(d *SchemaDiff, r Reporter) {
			b := d.Base
			if b.Nullable || !d.Head.Nullable || (b.Types == 0 && len(b.Variants) == 0) {
				return
			}
			r.Report(Hit{
				At:      []string{"nullable"},
				Before:  "not nullable",
				After:   "nullable",
				Message: "the value may now be null",
			})
		},
	}
}
