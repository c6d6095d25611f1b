package report

import (
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/compat"
)

func TestBumpStep(t *testing.T) {
	for _, tt := range []struct{ base, head, want string }{
		{"1.4.0", "1.5.0", "bump `info.version` to 2.0.0 (from 1.4.0)"},
		{"v3", "v3", "to 4.0.0 (from v3)"},
		{"1.4.0", "2.0.0", "head already bumps the major version (1.4.0 → 2.0.0)"},
		{"2023-08-16", "2023-09-12", ""}, // a date has no major: --allow-major cannot help
	} {
		got := bumpStep(tt.base, tt.head)
		if (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("bumpStep(%q, %q) = %q, want %q", tt.base, tt.head, got, tt.want)
		}
	}
}

func TestStepForOnlyFailingFindings(t *testing.T) {
	r := Report{FailOn: compat.SeverityError, Today: time.Date(2025, 1, 31, 23, 0, 0, 0, time.UTC)}
	res := &compat.Result{Base: compat.DocInfo{Version: "2023-01-01"}, Head: compat.DocInfo{Version: "2023-02-01"}}
	failing := compat.Finding{Rule: "operation-removed", Severity: compat.SeverityError, Fingerprint: "0123456789abcdef"}
	s, ok := stepFor(r, res, failing)
	if !ok || s.Bump != "" {
		t.Fatalf("failing finding, non-semver versions: %+v, %v", s, ok)
	}
	want := "- fingerprint: 0123456789abcdef\n  rule: operation-removed\n  reason: \"" + reasonPlaceholder + "\"\n  expires: 2025-03-02\n"
	if s.Entry != want {
		t.Errorf("entry:\n%s\nwant:\n%s", s.Entry, want)
	}
	if got := s.entryFlow(); got != `- {fingerprint: 0123456789abcdef, rule: operation-removed, reason: "`+reasonPlaceholder+`", expires: 2025-03-02}` {
		t.Errorf("flow entry %s", got)
	}
	for name, f := range map[string]compat.Finding{
		"accepted":      {Rule: "operation-removed", Severity: compat.SeverityInfo, Accepted: "x", Fingerprint: "a"},
		"below fail-on": {Rule: "response-enum-widened", Severity: compat.SeverityWarning, Fingerprint: "b"},
		"informational": {Rule: "version-minor-bump-missing", Severity: compat.SeverityInfo, Fingerprint: "c"},
	} {
		if _, ok := stepFor(r, res, f); ok {
			t.Errorf("%s: a next step for a finding that does not fail", name)
		}
	}
	r.Today = time.Time{}
	if s, _ := stepFor(r, res, failing); !strings.Contains(s.Entry, "expires: YYYY-MM-DD") {
		t.Errorf("without a clock the expiry is a placeholder: %s", s.Entry)
	}
}
