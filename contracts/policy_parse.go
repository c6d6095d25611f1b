package contracts

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// policyParser reads one x-accord layer, collecting each problem with
// its position.
type policyParser struct {
	pointer  string
	pos      func(string) Position
	problems []Problem
}

func (pp *policyParser) errorf(at, code, format string, args ...any) {
	pp.problems = append(pp.problems, Problem{
		Pos: pp.pos(at), Severity: SeverityError, Code: code,
		Message: "x-accord: " + fmt.Sprintf(format, args...),
		Hint:    "see the x-accord reference in README.md",
	})
}

func (pp *policyParser) unknown(at, key string, known []string) {
	hint := "known keys: " + strings.Join(known, ", ")
	if near := closest(key, known); near != "" {
		hint = "did you mean " + near + "? " + hint
	}
	pp.problems = append(pp.problems, Problem{
		Pos: pp.pos(at), Severity: SeverityError, Code: "policy-unknown-key",
		Message: fmt.Sprintf("x-accord: unknown key %q", key), Hint: hint,
	})
}

func (pp *policyParser) duration(v any, at, name string, allowZero bool) *time.Duration {
	str, ok := v.(string)
	if !ok {
		pp.errorf(at, "policy-bad-duration", "%s must be a duration such as 300ms, 2s or 24h, not %s", name, describe(v))
		return nil
	}
	d, err := time.ParseDuration(str)
	if err != nil {
		pp.errorf(at, "policy-bad-duration", "%s: %q is not a duration (use a number with a unit: 300ms, 2s, 1m, 24h)", name, str)
		return nil
	}
	if d < 0 || (d == 0 && !allowZero) {
		pp.errorf(at, "policy-bad-duration", "%s must be positive, not %s", name, str)
		return nil
	}
	return &d
}

func (pp *policyParser) count(v any, at, name string, max int) *int {
	n, ok := asInt(v)
	if !ok || n < 0 || n > max {
		pp.errorf(at, "policy-bad-value", "%s must be a whole number from 0 to %d, not %s", name, max, describe(v))
		return nil
	}
	return &n
}

func (pp *policyParser) statuses(v any, at string) []int {
	list, ok := v.([]any)
	if !ok {
		pp.errorf(at, "policy-bad-value", "retryOn must be a list of HTTP statuses like [429, 503], not %s", describe(v))
		return nil
	}
	out := make([]int, 0, len(list))
	for i, item := range list {
		n, ok := asInt(item)
		if !ok || n < 100 || n > 599 {
			pp.errorf(fmt.Sprintf("%s/%d", at, i), "policy-bad-value", "retryOn: %s is not an HTTP status (100-599)", describe(item))
			continue
		}
		out = append(out, n)
	}
	return out
}

func (pp *policyParser) breaker(v any, at string) BreakerSpec {
	var b BreakerSpec
	m, ok := v.(map[string]any)
	if !ok {
		pp.errorf(at, "policy-bad-value", "circuitBreaker must be a mapping like {failures: 5, window: 10s, cooldown: 30s}, not %s", describe(v))
		return b
	}
	for _, k := range sortedKeys(m) {
		kat := at + "/" + escapePointerToken(k)
		switch k {
		case "failures":
			b.Failures = pp.count(m[k], kat, "circuitBreaker.failures", 1000)
		case "window":
			b.Window = pp.duration(m[k], kat, "circuitBreaker.window", false)
		case "cooldown":
			b.Cooldown = pp.duration(m[k], kat, "circuitBreaker.cooldown", false)
		default:
			pp.unknown(kat, "circuitBreaker."+k, []string{"failures", "window", "cooldown"})
		}
	}
	return b
}

// asInt accepts the numeric types JSON and YAML decoders produce.
func asInt(v any) (int, bool) {
	switch n := v.(type) {
	case int:
		return n, true
	case int64:
		return int(n), true
	case float64:
		if n == float64(int(n)) {
			return int(n), true
		}
	}
	return 0, false
}

func describe(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("%q", x)
	case map[string]any:
		return "a mapping"
	case []any:
		return "a list"
	}
	return fmt.Sprint(v)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// closest suggests the known word within edit distance 2 of s, if any.
func closest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(s), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
