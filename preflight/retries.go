package preflight

import (
	"fmt"
	"regexp"
	"time"
)

// maxRetries: more retries per call multiply load on a provider that is
// already failing; two absorb a blip.
const maxRetries = 2

// perOp runs judge on every operation; items are the failures, or one
// summary when there are none.
func (s *state) perOp(id, title string, judge func(t *target, o op) (bool, string), yesWhy, noWhy string) Check {
	var items []Item
	n := 0
	for _, t := range s.targets {
		for _, o := range t.ops {
			n++
			if ok, text := judge(t, o); !ok {
				items = append(items, no(o.label()+": "+text, o.where()))
			}
		}
	}
	if n == 0 {
		return Check{ID: id, Title: title, Status: No, Why: "no operations to check"}
	}
	if len(items) == 0 {
		return Check{ID: id, Title: title, Status: Yes, Why: fmt.Sprintf("%s: %s", plural(n, "operation"), yesWhy)}
	}
	return Check{ID: id, Title: title, Status: No, Why: fmt.Sprintf("%d of %d operations: %s", len(items), n, noWhy), Items: items}
}

func (s *state) timeoutBelowBudget() Check {
	return s.perOp("timeout-below-budget", "per-attempt timeout below the call's budget",
		func(_ *target, o op) (bool, string) {
			p := o.Policy
			if p.Timeout < p.Budget {
				return true, ""
			}
			return false, fmt.Sprintf("timeout %s is not below budget %s, so no retry fits", p.Timeout, p.Budget)
		},
		"every attempt's timeout leaves room in the budget for a retry",
		"an attempt's timeout uses the whole budget")
}

// budgetWithinSLO: a call that uses all its retries takes up to its
// budget, so the budget must fit in the objective the contract declares
// (x-accord slo). An operation without an slo cannot be held to one, which
// is a no too: nobody has said how long a call may take.
func (s *state) budgetWithinSLO() Check {
	var items []Item
	n, missing := 0, 0
	for _, t := range s.targets {
		for _, o := range t.ops {
			n++
			p := o.Policy
			switch {
			case p.SLO <= 0:
				missing++
				items = append(items, no(o.label()+": no slo declared (budget "+durationOr(p.Budget, "none")+")", o.where()))
			case p.Budget <= 0:
				items = append(items, no(fmt.Sprintf("%s: no budget, so a call with retries is not bounded by the slo %s", o.label(), p.SLO), o.where()))
			case p.Budget > p.SLO:
				items = append(items, no(fmt.Sprintf("%s: budget %s is longer than the slo %s", o.label(), p.Budget, p.SLO), o.where()))
			}
		}
	}
	c := Check{ID: "budget-within-slo", Title: "call budgets fit the declared SLO"}
	switch {
	case n == 0:
		c.Status, c.Why = No, "no operations to check"
	case len(items) == 0:
		c.Status, c.Why = Yes, fmt.Sprintf("%s: every budget fits in its slo", plural(n, "operation"))
	case missing == n:
		c.Status, c.Items = No, items[:1]
		c.Why = fmt.Sprintf("no slo declared for any of %s: add slo to x-accord so budgets can be held against it", plural(n, "operation"))
	default:
		c.Status, c.Items = No, items
		c.Why = fmt.Sprintf("%d of %d operations: a budget past its slo, or no slo declared", len(items), n)
	}
	return c
}

func durationOr(d time.Duration, none string) string {
	if d <= 0 {
		return none
	}
	return d.String()
}

func (s *state) retriesAtMost2() Check {
	return s.perOp("retries-at-most-2", "at most 2 retries per call",
		func(_ *target, o op) (bool, string) {
			if o.Policy.Retries <= maxRetries {
				return true, ""
			}
			return false, fmt.Sprintf("%d retries: each failing call sends %d requests to a provider that is already failing", o.Policy.Retries, o.Policy.Retries+1)
		},
		"2 retries or fewer",
		"more than 2 retries multiply an outage")
}

// jitter: the generated client's backoff is full jitter by construction
// (the runtime's rtBackoff); the check looks for it in the generated code
// instead of asserting it.
func (s *state) jitter() Check {
	return s.generatedHas("retry-jitter", "backoff with jitter", []string{"full-jitter"},
		"the generated client waits a uniformly random delay in [0, min(cap, base·2ⁿ⁻¹)] before retry n (full jitter)",
		"the generated code has no jittered backoff")
}

var noBudgetRe = regexp.MustCompile(`\bWithSharedRetryBudget\(\s*nil\s*\)`)

// retryBudget: retries across calls bounded by a ratio of the calls, so a
// failing provider gets a bounded extra load, not a retry storm. Generated
// clients have one by default; an application can still take it away.
func (s *state) retryBudget() Check {
	c := s.generatedHas("retry-budget", "retry budget across calls", []string{"RetryBudget", "rtRetryBudget"},
		fmt.Sprintf("the generated client limits retries to a share of its calls (a retry budget, %.0f%% by default)", 100*retryBudgetRatio),
		"accord does not generate a retry budget yet: every call may retry fully during an outage")
	if c.Status != Yes {
		return c
	}
	if where, off := s.findGo(noBudgetRe); off {
		c.Status, c.Why = No, "the application turns the retry budget off (a nil shared retry budget): every call may retry fully during an outage"
		c.Items = []Item{no("retry budget off", where)}
	}
	return c
}

// retryBudgetRatio is the runtime's DefaultRetryBudgetRatio, for the
// report's wording only.
const retryBudgetRatio = 0.2

// generatedHas is a check on what accord generates: yes when the code of
// every generated target contains one of the markers.
func (s *state) generatedHas(id, title string, markers []string, yesWhy, noWhy string) Check {
	gen := s.generatedTargets()
	if len(gen) == 0 {
		return Check{ID: id, Title: title, Status: No, Why: "no OpenAPI contract to generate code for" + s.genErrors()}
	}
	var items []Item
	ok := true
	for _, t := range gen {
		if f, found := t.generated(markers...); found {
			items = append(items, yes(t.Name, t.outputFile(f)))
		} else {
			ok = false
			items = append(items, no(t.Name, ""))
		}
	}
	if ok {
		return Check{ID: id, Title: title, Status: Yes, Why: yesWhy, Items: items}
	}
	return Check{ID: id, Title: title, Status: No, Why: noWhy}
}

func (s *state) genErrors() string {
	for _, t := range s.targets {
		if t.genErr != nil {
			return fmt.Sprintf(" (%s: %v)", t.Name, t.genErr)
		}
	}
	return ""
}
