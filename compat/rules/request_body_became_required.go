package rules

func requestBodyBecameRequired() Rule {
	return Rule{
		ID:         "request-body-became-required",
		Category:   CatRequirement,
		Severity:   Error,
		Profile:    Wire,
		Direction:  Request,
		Summary:    "The request body became required (or a required body was added).",
		Impact:     "Clients that POST /v1/orders/{id}/cancel without a body now get 400 Bad Request.",
		Mitigation: "Keep the body optional and treat a missing body as the old behaviour.",
		Body: func(d *BodyDiff, r Reporter) {
			if d.Head == nil || !d.Head.Required || (d.Base != nil && d.Base.Required) {
				return
			}
			before := "optional"
			if d.Base == nil {
				before = "none"
			}
			r.Report(Hit{
				At:      []string{"required"},
				Before:  before,
				After:   "required",
				Message: "the request body became required",
			})
		},
	}
}
