package rules

import "strconv"

func sunsetTooSoon() Rule {
	return Rule{
		ID:        "sunset-too-soon",
		Category:  CatLifecycle,
		Severity:  Error,
		Profile:   Wire,
		Direction: None,
		Summary:   "A deprecation's x-sunset is closer to the deprecation than the minimum grace period (--deprecation-days).",
		Impact: "With a 90-day policy, deprecating an operation today with a sunset in three weeks leaves partners " +
			"three weeks to migrate instead of the three months they were promised.",
		Mitigation: "Set x-sunset at least --deprecation-days after the deprecation (x-deprecated-at, or the day of the change).",
		Operation: func(d *OperationDiff, r Reporter) {
			if d.Base == nil || d.Head == nil || !d.Head.Deprecated || d.Life.DeprecationDays <= 0 {
				return
			}
			h := sunsetDate(d.Head.Extensions)
			if h == "" {
				return
			}
			// Only a deprecation or sunset this change introduces is judged:
			// one that was already published was judged when it was, and
			// re-judging it against a moving "today" would fail unrelated
			// changes as the date approaches.
			if d.Base.Deprecated && sunsetDate(d.Base.Extensions) == h {
				return
			}
			// The deprecation date is x-deprecated-at when written, else the
			// day of the comparison: the day the change is reviewed is the
			// earliest day partners can learn about it.
			from, ok := ParseDate(d.Head.Extensions["x-deprecated-at"])
			if !ok {
				from = d.Life.Today
			}
			days := daysBetween(from, h)
			if days >= d.Life.DeprecationDays {
				return
			}
			r.Report(Hit{At: []string{"x-sunset"}, Before: from, After: h,
				Message: "operation " + d.Key + " x-sunset " + h + " is " + strconv.Itoa(days) + " days after its deprecation (" + from +
					"), less than the minimum " + strconv.Itoa(d.Life.DeprecationDays) + " days"})
		},
	}
}
