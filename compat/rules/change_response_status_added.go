package rules

import "sort"

func responseStatusAdded() Rule {
	return Rule{
		ID:        "response-status-added",
		Category:  CatAddition,
		Severity:  Info,
		Profile:   Wire,
		Direction: Response,
		Summary:   "An operation documents a response status it did not before (a new success next to others is response-success-status-added).",
		Impact: "Nothing breaks on the wire: GET /v1/orders/{id} now documents 410 Gone, which clients can " +
			"handle specifically instead of as a generic error.",
		Mitigation: "Nothing to mitigate; announce what the status means and when it is returned.",
		Responses: func(d *ResponsesDiff, r Reporter) {
			if d.Base == nil || d.Head == nil {
				return
			}
			noSuccess := successCodes(d.Base) == "none"
			var codes []string
			for code := range d.Head.Map() {
				if len(MatchStatus(code, d.Base)) > 0 || (IsSuccess(code) && !noSuccess) {
					continue
				}
				codes = append(codes, code)
			}
			sort.Strings(codes)
			for _, code := range codes {
				r.Report(Hit{At: []string{"responses", code}, After: code, Message: "new response " + code})
			}
		},
	}
}
