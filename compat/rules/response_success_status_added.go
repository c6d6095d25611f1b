package rules

import "sort"

func responseSuccessStatusAdded() Rule {
	return Rule{
		ID:        "response-success-status-added",
		Category:  CatMedia,
		Severity:  Warning,
		Profile:   Wire,
		Direction: Response,
		Summary:   "An operation may now answer with a new success (2xx) status.",
		Impact: "GET /v1/exports/{id} may now answer 202 Accepted while the export runs; a client written as " +
			"`if status != 200 { fail }` reports an error for a success. A warning: clients that accept any 2xx are fine.",
		Mitigation: "Only return the new status to clients that ask for the new behaviour (a header or parameter), " +
			"or document that any 2xx is a success from the first version on.",
		Responses: func(d *ResponsesDiff, r Reporter) {
			if d.Base == nil || d.Head == nil || successCodes(d.Base) == "none" {
				return
			}
			var codes []string
			for code := range d.Head.Map() {
				if IsSuccess(code) && len(MatchStatus(code, d.Base)) == 0 {
					codes = append(codes, code)
				}
			}
			sort.Strings(codes)
			for _, code := range codes {
				r.Report(Hit{
					At:      []string{"responses", code},
					Before:  successCodes(d.Base),
					After:   code,
					Message: "new success response " + code + " next to " + successCodes(d.Base),
				})
			}
		},
	}
}
