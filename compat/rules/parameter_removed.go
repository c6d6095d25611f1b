package rules

func parameterRemoved() Rule {
	return Rule{
		ID:        "parameter-removed",
		Category:  CatRemoval,
		Severity:  Warning,
		Profile:   Wire,
		Direction: Request,
		Summary:   "A query, header or cookie parameter was removed from an operation.",
		Impact: "Requests still succeed, but the server ignores what clients send: GET /v1/orders?status=open now " +
			"returns every order, and a client that relied on the filter processes the wrong data. It is a " +
			"warning because nothing fails on the wire.",
		Mitigation: "Keep accepting the parameter (deprecated, with an `x-sunset` date) until clients stop sending it.",
		Parameter: func(d *ParameterDiff, r Reporter) {
			if d.Base == nil || d.Head != nil || d.Base.In == "path" {
				return
			}
			r.Report(Hit{
				Side:    Base,
				Before:  d.Base.In + " " + d.Base.Name,
				Message: d.Base.In + " parameter " + d.Base.Name + " was removed",
				Sunset:  SunsetOf(d.Base.Deprecated, d.Base.Extensions),
			})
		},
	}
}
