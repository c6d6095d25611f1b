package rules

func parameterBecameRequired() Rule {
	return Rule{
		ID:         "parameter-became-required",
		Category:   CatRequirement,
		Severity:   Error,
		Profile:    Wire,
		Direction:  Request,
		Summary:    "An optional parameter became required.",
		Impact:     "Clients that omitted `?limit=` (relying on the default) now get 400 Bad Request on every call.",
		Mitigation: "Keep the parameter optional and apply a default on the server when it is missing.",
		Parameter: func(d *ParameterDiff, r Reporter) {
			if d.Base == nil || d.Head == nil || d.Base.Required || !d.Head.Required {
				return
			}
			r.Report(Hit{
				At:      []string{"required"},
				Before:  "optional",
				After:   "required",
				Message: d.Head.In + " parameter " + d.Head.Name + " became required",
			})
		},
	}
}
