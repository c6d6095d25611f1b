package compat

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

var policyToday = time.Date(2025, 3, 10, 15, 4, 5, 0, time.UTC)

func ops(keys ...string) []Operation {
	out := make([]Operation, len(keys))
	for i, k := range keys {
		out[i] = Operation{Key: k}
	}
	return out
}

func breaking(rule, fp string, affected ...string) Finding {
	return Finding{Rule: rule, Severity: SeverityError, Subject: rule, Fingerprint: fp, Affected: ops(affected...)}
}

func TestApplyPolicyAcceptedEntries(t *testing.T) {
	res := &Result{Findings: []Finding{
		breaking("response-property-removed", "fp-live", "GET /a"),
		breaking("response-property-removed", "fp-expired", "GET /b"),
		breaking("response-property-removed", "fp-today", "GET /c"),
		breaking("operation-removed", "fp-wrong-rule", "GET /d"),
		{Rule: "operation-added", Severity: SeverityInfo, Fingerprint: "fp-info"},
	}}
	p := Policy{Today: policyToday, Accepted: []Acceptance{
		{Fingerprint: "fp-live", Reason: "partners migrated", Expires: "2025-03-11", Source: ".accord-compat.yaml:3"},
		{Fingerprint: "fp-expired", Reason: "old", Expires: "2025-01-31", Source: ".accord-compat.yaml:6"},
		// Expires is the first day the entry no longer applies.
		{Fingerprint: "fp-today", Reason: "ends today", Expires: "2025-03-10"},
		{Fingerprint: "fp-wrong-rule", Rule: "response-property-removed", Reason: "guarded", Expires: "2030-01-01"},
		{Fingerprint: "fp-info", Reason: "not breaking anyway", Expires: "2030-01-01"},
	}}
	out := ApplyPolicy(res, p)

	live := out.Findings[0]
	if live.Severity != SeverityInfo || live.OriginalSeverity != SeverityError {
		t.Fatalf("live entry: severity %s (original %s), want info (original error)", live.Severity, live.OriginalSeverity)
	}
	if want := "accepted until 2025-03-11 (.accord-compat.yaml:3): partners migrated"; live.Accepted != want {
		t.Errorf("Accepted = %q, want %q", live.Accepted, want)
	}
	for _, i := range []int{1, 2} {
		f := out.Findings[i]
		if f.Severity != SeverityError || f.Accepted != "" || f.ExpiredAcceptance == nil {
			t.Errorf("%s: expired entry must fail again and be reported: %+v", f.Fingerprint, f)
		}
	}
	if got := out.Findings[1].ExpiredAcceptance.Expires; got != "2025-01-31" {
		t.Errorf("expired date = %q", got)
	}
	if f := out.Findings[3]; f.Severity != SeverityError || f.ExpiredAcceptance != nil {
		t.Errorf("an entry whose rule guard differs must not apply: %+v", f)
	}
	if f := out.Findings[4]; f.Accepted != "" || f.OriginalSeverity != SeverityInfo {
		t.Errorf("info findings are not accepted, only annotated with their severity: %+v", f)
	}
	if res.Findings[0].Severity != SeverityError || res.Findings[0].OriginalSeverity != "" {
		t.Error("ApplyPolicy modified its input")
	}
	if got := Failing(out, SeverityError); got != 3 {
		t.Errorf("failing = %d, want 3 (expired, expired today, wrong rule)", got)
	}
}

func TestApplyPolicySunset(t *testing.T) {
	res := &Result{Findings: []Finding{
		{Rule: "operation-removed", Severity: SeverityError, Fingerprint: "a", Sunset: "2025-03-09"},
		{Rule: "operation-removed", Severity: SeverityError, Fingerprint: "b", Sunset: "2025-03-10"},
		{Rule: "operation-removed", Severity: SeverityError, Fingerprint: "c", Sunset: "Sun, 09 Mar 2025 00:00:00 GMT"},
		{Rule: "operation-removed", Severity: SeverityError, Fingerprint: "d", Sunset: "next spring"},
		{Rule: "operation-removed", Severity: SeverityError, Fingerprint: "e"},
	}}
	out := ApplyPolicy(res, Policy{Today: policyToday})
	wantSev := []Severity{SeverityInfo, SeverityError, SeverityInfo, SeverityError, SeverityError}
	for i, f := range out.Findings {
		if f.Severity != wantSev[i] {
			t.Errorf("%s (sunset %q): severity %s, want %s", f.Fingerprint, f.Sunset, f.Severity, wantSev[i])
		}
	}
	if got := out.Findings[0].Accepted; got != "removed after its x-sunset date 2025-03-09" {
		t.Errorf("Accepted = %q", got)
	}
	if len(out.Notes) != 1 || !strings.Contains(out.Notes[0], `"next spring"`) {
		t.Errorf("notes = %q, want one about the unreadable x-sunset", out.Notes)
	}
}

func TestApplyPolicyMajorBump(t *testing.T) {
	tests := []struct {
		base, head string
		allow      bool
		accepted   bool
		note       string
	}{
		{"1.4.2", "2.0.0", true, true, ""},
		{"v1", "v2", true, true, ""},
		{"1.9.0", "1.10.0", true, false, ""},
		{"2.0.0", "2.0.0-rc.1", true, false, ""},
		{"1.0.0", "2.0.0", false, false, ""},
		{"2022-11-15", "2023-08-16", true, false, `base info.version "2022-11-15" is not semantic versioning`},
		{"1.0.0", "2026-08-26.dahlia", true, false, `head info.version "2026-08-26.dahlia" is not semantic versioning`},
	}
	for _, tt := range tests {
		res := &Result{Base: DocInfo{Version: tt.base}, Head: DocInfo{Version: tt.head},
			Findings: []Finding{breaking("r", "fp", "GET /x"), {Rule: "w", Severity: SeverityWarning}}}
		out := ApplyPolicy(res, Policy{AllowMajor: tt.allow, Today: policyToday})
		for _, f := range out.Findings {
			if got := f.Severity == SeverityInfo; got != tt.accepted {
				t.Errorf("%s -> %s allow=%v: %s accepted=%v, want %v", tt.base, tt.head, tt.allow, f.Rule, got, tt.accepted)
			}
		}
		if tt.accepted && !strings.Contains(out.Findings[0].Accepted, "major version bumped from") {
			t.Errorf("%s -> %s: Accepted = %q", tt.base, tt.head, out.Findings[0].Accepted)
		}
		joined := strings.Join(out.Notes, "\n")
		if tt.note == "" && joined != "" || tt.note != "" && !strings.Contains(joined, tt.note) {
			t.Errorf("%s -> %s: notes %q, want %q", tt.base, tt.head, joined, tt.note)
		}
	}
}

func TestMajorVersion(t *testing.T) {
	for v, want := range map[string]int{"1.2.3": 1, "v3": 3, "0.1": 0, "10.0.0-beta.1+b7": 10, " 2.0 ": 2} {
		if got, ok := MajorVersion(v); !ok || got != want {
			t.Errorf("MajorVersion(%q) = %d, %v; want %d", v, got, ok, want)
		}
	}
	for _, v := range []string{"2023-08-16", "2026-08-26.dahlia", "latest", "", "1.2.3.4", "01.2.3", "1-beta"} {
		if got, ok := MajorVersion(v); ok {
			t.Errorf("MajorVersion(%q) = %d; want no major", v, got)
		}
	}
}

func TestApplyPolicyVersionMove(t *testing.T) {
	base := []string{"GET /v1/payments", "POST /v1/payments", "GET /v1/payments/{id}", "GET /v1/refunds", "GET /health", "GET /v2/old"}
	head := []string{"GET /v2/payments", "POST /v2/payments", "GET /v2/payments/{payment}", "GET /v1/refunds", "GET /v1/health", "GET /v3/old"}
	tests := []struct {
		name     string
		affected []string
		want     string // "" = not accepted
	}{
		{"all moved", []string{"GET /v1/payments", "POST /v1/payments", "GET /v1/payments/{id}"}, "moved behind the new /v2 prefix (--allow-major)"},
		{"one still served", []string{"GET /v1/payments", "GET /v1/refunds"}, ""},
		{"no counterpart", []string{"DELETE /v1/payments"}, ""},
		{"unversioned gains a prefix", []string{"GET /health"}, "moved behind the new /v1 prefix (--allow-major)"},
		{"no operations", nil, ""},
		{"v2 to v3", []string{"GET /v2/old"}, "moved behind the new /v3 prefix (--allow-major)"},
		{"mixed targets", []string{"GET /v2/old", "GET /v1/payments"}, "moved behind the new /v2, /v3 prefixes (--allow-major)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := &Result{Base: DocInfo{Version: "1.0.0"}, Head: DocInfo{Version: "1.1.0"},
				Findings: []Finding{breaking("operation-removed", "fp", tt.affected...)}}
			out := ApplyPolicy(res, Policy{AllowMajor: true, BaseOperations: base, HeadOperations: head, Today: policyToday})
			if got := out.Findings[0].Accepted; got != tt.want {
				t.Errorf("Accepted = %q, want %q", got, tt.want)
			}
			off := ApplyPolicy(res, Policy{BaseOperations: base, HeadOperations: head, Today: policyToday})
			if off.Findings[0].Accepted != "" {
				t.Error("a /vN move was accepted without --allow-major")
			}
		})
	}
}

func TestApplyPolicyVersionMoveNeedsNewPrefix(t *testing.T) {
	// /v2/payments was already there in base: removing /v1/payments is not a
	// move, v1 clients simply lose an endpoint.
	base := []string{"GET /v1/payments", "GET /v2/payments"}
	head := []string{"GET /v2/payments"}
	res := &Result{Findings: []Finding{breaking("operation-removed", "fp", "GET /v1/payments")}}
	out := ApplyPolicy(res, Policy{AllowMajor: true, BaseOperations: base, HeadOperations: head, Today: policyToday})
	if out.Findings[0].Accepted != "" {
		t.Errorf("accepted although /v2 is not new: %q", out.Findings[0].Accepted)
	}
}

func TestAcceptedEntryWinsOverOtherReasons(t *testing.T) {
	res := &Result{Base: DocInfo{Version: "1.0.0"}, Head: DocInfo{Version: "2.0.0"},
		Findings: []Finding{{Rule: "operation-removed", Severity: SeverityError, Fingerprint: "fp", Sunset: "2020-01-01"}}}
	out := ApplyPolicy(res, Policy{AllowMajor: true, Today: policyToday,
		Accepted: []Acceptance{{Fingerprint: "fp", Reason: "agreed with partners", Expires: "2026-01-01"}}})
	if got := out.Findings[0].Accepted; !strings.HasSuffix(got, "agreed with partners") {
		t.Errorf("Accepted = %q, want the entry's reason", got)
	}
	// Expired entry: the finding is still accepted on other grounds, and the
	// expiry is still recorded.
	out = ApplyPolicy(res, Policy{Today: policyToday,
		Accepted: []Acceptance{{Fingerprint: "fp", Reason: "old", Expires: "2024-01-01"}}})
	if f := out.Findings[0]; f.Severity != SeverityInfo || f.ExpiredAcceptance == nil {
		t.Errorf("want accepted by sunset with the expiry recorded: %+v", f)
	}
}

func TestUnusedAcceptances(t *testing.T) {
	r1 := &Result{Findings: []Finding{{Rule: "a", Fingerprint: "1"}}}
	r2 := &Result{Findings: []Finding{{Rule: "b", Fingerprint: "2"}}}
	entries := []Acceptance{{Fingerprint: "1"}, {Fingerprint: "2", Rule: "b"}, {Fingerprint: "2", Rule: "c"}, {Fingerprint: "3"}}
	got := UnusedAcceptances(entries, r1, r2)
	want := []Acceptance{{Fingerprint: "2", Rule: "c"}, {Fingerprint: "3"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("unused = %+v, want %+v", got, want)
	}
}

func TestExplode(t *testing.T) {
	res := &Result{Findings: []Finding{
		breaking("r", "fp1", "GET /a", "GET /b", "POST /c"),
		breaking("s", "fp2"),
	}}
	out := Explode(res)
	var got []string
	for _, f := range out.Findings {
		keys := []string{}
		for _, op := range f.Affected {
			keys = append(keys, op.Key)
		}
		got = append(got, f.Fingerprint+":"+strings.Join(keys, ","))
	}
	want := []string{"fp1:GET /a", "fp1:GET /b", "fp1:POST /c", "fp2:"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("exploded = %q, want %q", got, want)
	}
	if len(res.Findings[0].Affected) != 3 {
		t.Error("Explode modified its input")
	}
}

func TestFailsThresholds(t *testing.T) {
	w := Finding{Severity: SeverityWarning}
	i := Finding{Severity: SeverityInfo}
	acc := Finding{Severity: SeverityInfo, Accepted: "because"}
	cases := []struct {
		f      Finding
		failOn Severity
		want   bool
	}{
		{w, SeverityError, false}, {w, SeverityWarning, true}, {w, SeverityInfo, true},
		{i, SeverityWarning, false}, {i, SeverityInfo, true},
		{acc, SeverityInfo, false},
	}
	for _, c := range cases {
		if got := Fails(c.f, c.failOn); got != c.want {
			t.Errorf("Fails(%s accepted=%q, %s) = %v", c.f.Severity, c.f.Accepted, c.failOn, got)
		}
	}
	if _, err := ParseSeverity("fatal"); err == nil {
		t.Error("ParseSeverity accepted fatal")
	}
	if s, err := ParseSeverity("warning"); err != nil || s != SeverityWarning {
		t.Errorf("ParseSeverity(warning) = %v, %v", s, err)
	}
}
