package rules

import (
	"strings"
	"time"
)

// CatLifecycle groups the governance rules: deprecation, sunset dates,
// stability levels and version numbers. They judge promises made to
// clients about change, not the wire format itself.
const CatLifecycle = "lifecycle"

// Lifecycle is what the deprecation rules need besides the pair: the
// comparison date and the team's minimum grace period.
type Lifecycle struct {
	// Today is the comparison date, YYYY-MM-DD (the engine fills it).
	Today string
	// DeprecationDays is the minimum number of days between a deprecation
	// and its sunset (--deprecation-days); 0 turns the check off.
	DeprecationDays int
}

const dateOnly = "2006-01-02"

// ParseDate reads a lifecycle date (x-sunset, x-deprecated-at): an RFC 3339
// full-date or date-time, as JSON Schema's date and date-time formats
// define them. It returns the calendar date, YYYY-MM-DD, of the value as
// written (a date-time keeps its own offset's date: the author's intent).
// YAML loaders may hand over an unquoted date as a time.Time.
func ParseDate(v any) (string, bool) {
	switch x := v.(type) {
	case time.Time:
		return x.Format(dateOnly), true
	case string:
		s := strings.TrimSpace(x)
		if t, err := time.Parse(dateOnly, s); err == nil {
			return t.Format(dateOnly), true
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.Format(dateOnly), true
		}
	}
	return "", false
}

// RawDate returns a lifecycle extension as written, for messages, and
// whether it is set at all.
func RawDate(ext map[string]any, key string) (string, bool) {
	v, ok := ext[key]
	if !ok || v == nil {
		return "", false
	}
	switch x := v.(type) {
	case string:
		return x, true
	case time.Time:
		return x.Format(dateOnly), true
	}
	return ValueKey(v), true
}

// sunsetDate is an element's valid x-sunset date, "" when it has none or it
// is not a date (sunset-invalid reports that).
func sunsetDate(ext map[string]any) string {
	d, _ := ParseDate(ext["x-sunset"])
	return d
}

// daysBetween counts calendar days from a to b (both YYYY-MM-DD).
func daysBetween(a, b string) int {
	ta, err1 := time.Parse(dateOnly, a)
	tb, err2 := time.Parse(dateOnly, b)
	if err1 != nil || err2 != nil {
		return 0
	}
	return int(tb.Sub(ta).Hours() / 24)
}

// Stability levels in increasing order of the promise they make; the
// x-stability-level convention (draft, alpha, beta, stable).
var stabilityLevels = []string{"draft", "alpha", "beta", "stable"}

// StabilityRank returns the rank of an element's x-stability-level (0 for
// draft ... 3 for stable), the level in lower case, and false when the
// element declares none or an unknown one.
func StabilityRank(ext map[string]any) (int, string, bool) {
	s, _ := ext["x-stability-level"].(string)
	s = strings.ToLower(strings.TrimSpace(s))
	for i, l := range stabilityLevels {
		if s == l {
			return i, l, true
		}
	}
	return 0, s, false
}

// Unstable tells whether a stability level promises nothing: changes to
// draft and alpha elements are reported but never fail the check.
func Unstable(level string) bool {
	return level == "draft" || level == "alpha"
}
