package rules

func parameterRequiredAdded() Rule {
	return Rule{
		ID:        "parameter-required-added",
		Category:  CatRequirement,
		Severity:  Error,
		Profile:   Wire,
		Direction: Request,
		Summary:   "A new required parameter was added to an operation.",
		Impact:    "Existing clients do not send the new `X-Tenant-Id` header (or `region` query parameter), so every call they make is now rejected with 400 Bad Request.",
		Mitigation: "Add the parameter as optional with a server-side default that keeps the old behaviour; make it " +
			"required only in a new major version.",
		Parameter: func(d *ParameterDiff, r Reporter) {
			if d.Base != nil || d.Head == nil || !d.Head.Required {
				return
			}
			r.Report(Hit{
				After:   d.Head.In + " " + d.Head.Name,
				Message: "new required " + d.Head.In + " parameter " + d.Head.Name,
			})
		},
	}
}
