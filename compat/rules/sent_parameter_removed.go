package rules

func sentParameterRemoved() Rule {
	return Rule{
		ID:        "sent-parameter-removed",
		Category:  CatRemoval,
		Severity:  Error,
		Profile:   Wire,
		Direction: Response,
		Summary:   "A parameter the API sends (in a webhook or callback request) was removed.",
		Impact: "The API's order.paid webhook no longer carries the `X-Signature` header: receivers that verify it " +
			"reject every delivery, and receivers that read `?attempt=` lose it.",
		Mitigation: "Keep sending the parameter (deprecated, with an `x-sunset` date) until receivers stop reading it.",
		Parameter: func(d *ParameterDiff, r Reporter) {
			if d.Base == nil || d.Head != nil {
				return
			}
			r.Report(Hit{
				Side:    Base,
				Before:  d.Base.In + " " + d.Base.Name,
				Message: "the API no longer sends " + d.Base.In + " parameter " + d.Base.Name,
				Sunset:  SunsetOf(d.Base.Deprecated, d.Base.Extensions),
			})
		},
	}
}
