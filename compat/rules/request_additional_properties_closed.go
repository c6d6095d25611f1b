package rules

func requestAdditionalPropertiesClosed() Rule {
	return Rule{
		ID:         "request-additional-properties-closed",
		Category:   CatConstraint,
		Severity:   Error,
		Profile:    Wire,
		Direction:  Request,
		Summary:    "A request object now rejects properties it does not list (additionalProperties or unevaluatedProperties set to false).",
		Impact:     "Clients that send `metadata.source` or any extra field (often added by generic serializers) now get 400 Bad Request.",
		Mitigation: "Leave request objects open; ignore unknown properties on the server instead of rejecting them.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Both(TObject) {
				return
			}
			bk, _ := d.Base.AdditionalProperties()
			hk, _ := d.Head.AdditionalProperties()
			if hk != APClosed || bk == APClosed {
				return
			}
			before := "open"
			if bk == APSchema {
				before = "schema"
			}
			r.Report(Hit{At: []string{"additionalProperties"}, Before: before, After: "false",
				Message: "unknown properties are now rejected"})
		},
	}
}
