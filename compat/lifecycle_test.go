package compat

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/compat/rules"
	"github.com/accord-dev/accord/contracts"
)

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"2025-09-30":                    "2025-09-30",
		" 2025-09-30 ":                  "2025-09-30",
		"2025-09-30T00:00:00Z":          "2025-09-30",
		"2025-09-30T23:30:00-05:00":     "2025-09-30", // the author's calendar day
		"2025-09-30T10:00:00.5Z":        "2025-09-30",
		"2025-02-30":                    "",
		"next quarter":                  "",
		"Tue, 30 Sep 2025 00:00:00 GMT": "", // an HTTP-date is the header's form, not the contract's
		"":                              "",
	} {
		got, ok := rules.ParseDate(in)
		if got != want || ok != (want != "") {
			t.Errorf("ParseDate(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if got, ok := rules.ParseDate(time.Date(2025, 9, 30, 0, 0, 0, 0, time.UTC)); !ok || got != "2025-09-30" {
		t.Errorf("a YAML timestamp: %q, %v", got, ok)
	}
}

// TestRemovedBeforeSunsetFollowsTheClock: the same removal is
// removed-before-sunset up to and on the sunset day, then operation-removed
// (which the policy pass accepts) from the next day on.
func TestRemovedBeforeSunsetFollowsTheClock(t *testing.T) {
	base := loadSide(t, casesDir+"/operation-removed", "base")
	head := loadSide(t, casesDir+"/operation-removed", "head")
	for day, want := range map[string]string{
		"2024-12-31": "removed-before-sunset",
		"2025-01-01": "removed-before-sunset",
		"2025-01-02": "operation-removed",
	} {
		today, _ := time.Parse(dateLayout, day)
		res, err := Compare(base, head, Options{Today: today})
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Findings) != 1 || res.Findings[0].Rule != want {
			t.Errorf("on %s: findings %+v, want one %s", day, res.Findings, want)
			continue
		}
		pol := ApplyPolicy(res, Policy{Today: today})
		if accepted := pol.Findings[0].Accepted != ""; accepted != (want == "operation-removed") {
			t.Errorf("on %s: accepted=%v (%q)", day, accepted, pol.Findings[0].Accepted)
		}
	}
}

// TestSunsetTooSoonUsesTheComparisonDate: without x-deprecated-at the grace
// period counts from the day of the comparison; a deprecation already
// published with the same sunset is not judged again.
func TestSunsetTooSoonUsesTheComparisonDate(t *testing.T) {
	doc := func(deprecation string) *contracts.Document {
		src := "openapi: 3.0.3\ninfo: {title: t, version: 1.0.0}\npaths:\n  /x:\n    get:\n" + deprecation +
			"      responses: {\"200\": {description: ok}}\n"
		d, err := contracts.LoadBytes(context.Background(), "x.yaml", []byte(src), contracts.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	plain := doc("")
	deprecated := doc("      deprecated: true\n      x-sunset: \"2025-04-01\"\n")
	count := func(base *contracts.Document, today string, days int) int {
		tm, _ := time.Parse(dateLayout, today)
		res, err := Compare(base, deprecated, Options{Today: tm, DeprecationDays: days})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, f := range res.Findings {
			if f.Rule == "sunset-too-soon" {
				n++
				if !strings.Contains(f.Message, "less than the minimum") {
					t.Errorf("message %q", f.Message)
				}
			}
		}
		return n
	}
	if n := count(plain, "2025-03-01", 90); n != 1 {
		t.Errorf("31 days of a 90-day minimum: %d findings, want 1", n)
	}
	if n := count(plain, "2025-01-01", 90); n != 0 {
		t.Errorf("90 days of a 90-day minimum: %d findings, want 0", n)
	}
	if n := count(plain, "2025-03-01", 0); n != 0 {
		t.Errorf("--deprecation-days 0: %d findings, want 0", n)
	}
	if n := count(deprecated, "2025-03-31", 90); n != 0 {
		t.Errorf("an unchanged, already published sunset: %d findings, want 0", n)
	}
}

func TestApplyPolicyUnstableOperations(t *testing.T) {
	res := &Result{Findings: []Finding{
		{Rule: "operation-removed", Severity: SeverityError, Fingerprint: "a", Affected: ops("DELETE /beta/{id}")},
		{Rule: "type-changed", Severity: SeverityError, Fingerprint: "b", Affected: ops("GET /beta/{id}", "GET /draft")},
		{Rule: "type-changed", Severity: SeverityError, Fingerprint: "c", Affected: ops("GET /draft", "GET /stable")},
		{Rule: "type-changed", Severity: SeverityError, Fingerprint: "d", Affected: ops("GET /beta")},
	}}
	levels := map[string]string{
		stabilityKey("DELETE /beta/{item}"): "alpha", stabilityKey("GET /beta/{item}"): "alpha",
		stabilityKey("GET /draft"): "draft", stabilityKey("GET /stable"): "stable", stabilityKey("GET /beta"): "beta",
	}
	out := ApplyPolicy(res, Policy{Today: policyToday, Stability: levels})
	want := []bool{true, true, false, false}
	for i, f := range out.Findings {
		if got := f.Accepted != ""; got != want[i] {
			t.Errorf("%s: accepted=%v (%q), want %v", f.Fingerprint, got, f.Accepted, want[i])
		}
	}
	if got := out.Findings[1].Accepted; !strings.Contains(got, "x-stability-level draft/alpha") {
		t.Errorf("reason %q does not name the levels", got)
	}
}

func TestStabilityLevels(t *testing.T) {
	src := `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a/{id}:
    get: {x-stability-level: Alpha, responses: {"200": {description: ok}}}
    put: {x-stability-level: experimental, responses: {"200": {description: ok}}}
    post: {responses: {"200": {description: ok}}}
`
	d, err := contracts.LoadBytes(context.Background(), "a.yaml", []byte(src), contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := StabilityLevels(d)
	if len(got) != 1 || got[stabilityKey("GET /a/{other}")] != "alpha" {
		t.Errorf("levels = %v, want only GET /a/{} alpha", got)
	}
}
