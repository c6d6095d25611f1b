package rules

import (
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

func responseSuccessStatusRemoved() Rule {
	return Rule{
		ID:        "response-success-status-removed",
		Category:  CatMedia,
		Severity:  Error,
		Profile:   Wire,
		Direction: Response,
		Summary:   "A success (2xx) response was removed or replaced by another status.",
		Impact: "POST /v1/orders used to answer 200 with the order; it now answers 201 (or 202 with no body). A client " +
			"that checks `status == 200` treats every success as a failure, and one that parses the 200 body finds none.",
		Mitigation: "Keep answering with the documented status; introduce a new status only for a new behaviour the " +
			"client opts into.",
		Responses: func(d *ResponsesDiff, r Reporter) {
			if d.Base == nil {
				return
			}
			var codes []string
			for code := range d.Base.Map() {
				if IsSuccess(code) && len(MatchStatus(code, d.Head)) == 0 {
					codes = append(codes, code)
				}
			}
			sort.Strings(codes)
			for _, code := range codes {
				r.Report(Hit{
					At:      []string{"responses", code},
					Side:    Base,
					Before:  code,
					After:   successCodes(d.Head),
					Message: "success response " + code + " was removed; head answers " + successCodes(d.Head),
				})
			}
		},
	}
}

// successCodes lists a responses object's 2xx keys, "none" when empty.
func successCodes(rs *openapi3.Responses) string {
	if rs == nil {
		return "none"
	}
	var codes []string
	for code := range rs.Map() {
		if IsSuccess(code) {
			codes = append(codes, code)
		}
	}
	if len(codes) == 0 {
		return "none"
	}
	sort.Strings(codes)
	return strings.Join(codes, ", ")
}
