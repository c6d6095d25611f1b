package rules

func requestNullableRemoved() Rule {
	return Rule{
		ID:         "request-nullable-removed",
		Category:   CatType,
		Severity:   Error,
		Profile:    Wire,
		Direction:  Request,
		Summary:    "A request value that could be null no longer can.",
		Impact:     "Clients that send `\"coupon\": null` to clear a coupon now get 400 Bad Request.",
		Mitigation: "Keep accepting null (and treat it as before).",
		Schema: func(d *SchemaDiff, r Reporter) {
			h := d.Head
			if !d.Base.Nullable || h.Nullable || (h.Types == 0 && len(h.Variants) == 0) {
				return
			}
			r.Report(Hit{
				At:      []string{"nullable"},
				Before:  "nullable",
				After:   "not nullable",
				Message: "null is no longer accepted",
			})
		},
	}
}
