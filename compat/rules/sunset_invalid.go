package rules

import "strconv"

func sunsetInvalid() Rule {
	return Rule{
		ID:        "sunset-invalid",
		Category:  CatLifecycle,
		Severity:  Error,
		Profile:   Wire,
		Direction: None,
		Summary:   "An operation's x-sunset or x-deprecated-at is not a date (RFC 3339 full-date or date-time).",
		Impact: "`x-sunset: next quarter` promises clients nothing they can plan on, and the gate cannot tell whether " +
			"removing the operation is on time, so every removal would be judged without its sunset.",
		Mitigation: "Write the date as YYYY-MM-DD (2025-09-30) or as an RFC 3339 date-time (2025-09-30T00:00:00Z).",
		Operation: func(d *OperationDiff, r Reporter) {
			if d.Head == nil {
				return
			}
			for _, key := range []string{"x-sunset", "x-deprecated-at"} {
				raw, set := RawDate(d.Head.Extensions, key)
				if !set {
					continue
				}
				if _, ok := ParseDate(d.Head.Extensions[key]); ok {
					continue
				}
				r.Report(Hit{At: []string{key}, After: raw,
					Message: "operation " + d.Key + " has " + key + " " + strconv.Quote(raw) + ", which is not a date (write YYYY-MM-DD or an RFC 3339 date-time)"})
			}
		},
	}
}
