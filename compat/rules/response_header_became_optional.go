package rules

func responseHeaderBecameOptional() Rule {
	return Rule{
		ID:         "response-header-became-optional",
		Category:   CatRemoval,
		Severity:   Error,
		Profile:    Wire,
		Direction:  Response,
		Summary:    "A required response header became optional: the server may now omit it.",
		Impact:     "A client that always reads `ETag` to make conditional updates gets none on some responses and sends `If-Match: ` with an empty value.",
		Mitigation: "Keep the header required; if it truly cannot always be sent, add a new header and deprecate the old one.",
		Header: func(d *HeaderDiff, r Reporter) {
			if d.Base == nil || d.Head == nil || !d.Base.Required || d.Head.Required {
				return
			}
			r.Report(Hit{
				At:      []string{"required"},
				Before:  "required",
				After:   "optional",
				Message: "response header " + d.Name + " became optional",
			})
		},
	}
}
