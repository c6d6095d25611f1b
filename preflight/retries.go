package preflight

import (
	"fmt"
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

// budgetWithinSLO needs an SLO to compare the budget with; x-accord has no
// slo key yet (contracts.Policy carries none), so the check says so rather
// than guessing one.
func (s *state) budgetWithinSLO() Check {
	longest, where := time.Duration(0), ""
	for _, t := range s.targets {
		for _, o := range t.ops {
			if o.Policy.Budget > longest {
				longest, where = o.Policy.Budget, o.where()
			}
		}
	}
	c := Check{ID: "budget-within-slo", Title: "call budgets fit the declared SLO", Status: No,
		Why: "no slo declared: x-accord has no slo key yet, so budgets cannot be held against one"}
	if where != "" {
		c.Items = []Item{no(fmt.Sprintf("the longest budget is %s", longest), where)}
	}
	return c
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

// retryBudget: retries across calls bounded by a ratio of the calls, so a
// failing provider gets a bounded extra load, not a retry storm.
func (s *state) retryBudget() Check {
	return s.generatedHas("retry-budget", "retry budget across calls", []string{"RetryBudget", "rtRetryBudget"},
		"the generated client limits retries to a share of its calls (a retry budget)",
		"accord does not generate a retry budget yet: every call may retry fully during an outage")
}

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
