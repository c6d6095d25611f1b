package rules

func responseHeaderRemoved() Rule {
	return Rule{
		ID:        "response-header-removed",
		Category:  CatRemoval,
		Severity:  Error,
		Profile:   Wire,
		Direction: Response,
		Summary:   "A response header was removed.",
		Impact: "Clients read `Location` after POST /v1/orders (or `X-RateLimit-Remaining` to pace themselves); " +
			"it is no longer sent, so they follow an empty URL or stop throttling.",
		Mitigation: "Keep sending the header, deprecated, until clients have stopped reading it.",
		Header: func(d *HeaderDiff, r Reporter) {
			if d.Base == nil || d.Head != nil {
				return
			}
			r.Report(Hit{
				Side:    Base,
				Before:  d.Name,
				Message: "response header " + d.Name + " was removed",
				Sunset:  SunsetOf(d.Base.Deprecated, d.Base.Extensions),
			})
		},
	}
}
