package rules

func sentParameterBecameOptional() Rule {
	return Rule{
		ID:        "sent-parameter-became-optional",
		Category:  CatRemoval,
		Severity:  Error,
		Profile:   Wire,
		Direction: Response,
		Summary:   "A required parameter the API sends (in a webhook or callback request) became optional.",
		Impact: "The webhook's `X-Event-Id` header may now be missing: receivers that deduplicate deliveries by it " +
			"process some events twice.",
		Mitigation: "Keep sending the parameter on every request; add a new optional one if it cannot always be set.",
		Parameter: func(d *ParameterDiff, r Reporter) {
			if d.Base == nil || d.Head == nil || !d.Base.Required || d.Head.Required {
				return
			}
			r.Report(Hit{
				At:      []string{"required"},
				Before:  "required",
				After:   "optional",
				Message: d.Head.In + " parameter " + d.Head.Name + " the API sends became optional",
			})
		},
	}
}
