package rules

func pathRemoved() Rule {
	return Rule{
		ID:        "path-removed",
		Category:  CatRemoval,
		Severity:  Error,
		Profile:   Wire,
		Direction: None,
		Summary:   "A path was removed with all its operations.",
		Impact:    "A client calling GET /v1/orders/{id} now gets 404 Not Found for every request it used to make there.",
		Mitigation: "Keep the path and mark its operations `deprecated: true` with an `x-sunset` date; remove it only " +
			"after that date, or serve it under a new major version prefix.",
		Path: func(d *PathDiff, r Reporter) {
			if d.Base == nil || d.Head != nil {
				return
			}
			r.Report(Hit{
				Side:    Base,
				Before:  d.BasePath,
				Message: "path " + d.BasePath + " was removed with all its operations",
				Sunset:  pathSunset(d.Base),
			})
		},
	}
}
