package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/accord-dev/accord/compat"
)

func TestParseAcceptances(t *testing.T) {
	good := `# accepted breaks
accepted:
  - fingerprint: 9c1f2e7a55d0b3c4
    reason: v1 refunds retired with partners (PAY-412)
    expires: 2025-09-30
    rule: operation-removed
  - fingerprint: "0011"
    reason: "enum value dropped: never emitted"
    expires: "2026-01-01"
`
	got, err := parseAcceptances(".accord-compat.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	want := []compat.Acceptance{
		{Fingerprint: "9c1f2e7a55d0b3c4", Rule: "operation-removed", Reason: "v1 refunds retired with partners (PAY-412)", Expires: "2025-09-30", Source: ".accord-compat.yaml:3"},
		{Fingerprint: "0011", Reason: "enum value dropped: never emitted", Expires: "2026-01-01", Source: ".accord-compat.yaml:7"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("entries = %+v\nwant %+v", got, want)
	}
	for _, empty := range []string{"", "# nothing yet\n", "accepted:\n", "accepted: []\n"} {
		if got, err := parseAcceptances("f.yaml", []byte(empty)); err != nil || len(got) != 0 {
			t.Errorf("%q: %v, %v; want no entries and no error", empty, got, err)
		}
	}
}

func TestParseAcceptancesErrors(t *testing.T) {
	cases := []struct {
		name, data string
		want       []string // every problem, with file:line:col
	}{
		{"syntax", "accepted:\n  - fingerprint: [\n", []string{"f.yaml: "}},
		{"not a mapping", "- a\n", []string{"f.yaml:1:1: the file must be a mapping"}},
		{"unknown top key", "accept:\n  - {}\n", []string{`f.yaml:1:1: unknown key "accept"`}},
		{"not a list", "accepted: yes\n", []string{"f.yaml:1:11: accepted must be a list"}},
		{"entry not a mapping", "accepted:\n  - abc\n", []string{"f.yaml:2:5: an accepted entry must be a mapping"}},
		{"unknown entry key", "accepted:\n  - fingerprint: a\n    reason: r\n    expires: 2025-01-01\n    expiry: 2025-01-01\n",
			[]string{`f.yaml:5:5: unknown key "expiry" (known: fingerprint, reason, expires, rule)`}},
		{"missing fields", "accepted:\n  - fingerprint: a\n", []string{"f.yaml:2:5: missing reason", "f.yaml:2:5: missing expires"}},
		{"bad date", "accepted:\n  - fingerprint: a\n    reason: r\n    expires: 2025-13-01\n", []string{`f.yaml:4:14: expires "2025-13-01" is not a date`}},
		{"empty value", "accepted:\n  - fingerprint: \"\"\n    reason: r\n    expires: 2025-01-01\n", []string{"f.yaml:2:18: fingerprint must be a non-empty string"}},
		{"list value", "accepted:\n  - fingerprint: [a]\n    reason: r\n    expires: 2025-01-01\n", []string{"f.yaml:2:18: fingerprint must be a non-empty string"}},
		{"duplicate", "accepted:\n  - {fingerprint: a, reason: r, expires: 2025-01-01}\n  - {fingerprint: a, reason: s, expires: 2026-01-01}\n",
			[]string{"f.yaml:3:5: fingerprint a is already accepted at line 2"}},
		{"key twice", "accepted:\n  - fingerprint: a\n    fingerprint: b\n    reason: r\n    expires: 2025-01-01\n", []string{"f.yaml:3:5: fingerprint is given twice"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := parseAcceptances("f.yaml", []byte(c.data))
			if err == nil {
				t.Fatal("no error")
			}
			var ae *acceptError
			if !asAcceptError(err, &ae) {
				t.Fatalf("error %T is not an acceptError", err)
			}
			if len(ae.problems) != len(c.want) {
				t.Errorf("problems = %q, want %d", ae.problems, len(c.want))
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

func asAcceptError(err error, target **acceptError) bool {
	ae, ok := err.(*acceptError)
	*target = ae
	return ok
}

func TestLoadAcceptancesDefaultFile(t *testing.T) {
	dir := t.TempDir()
	entries, name, err := loadAcceptances(dir, "")
	if err != nil || entries != nil || name != "" {
		t.Fatalf("absent default file: %v %q %v; want nothing", entries, name, err)
	}
	if _, _, err := loadAcceptances(dir, "named.yaml"); err == nil || !strings.Contains(err.Error(), "named.yaml") {
		t.Errorf("absent --accept file: err = %v, want one naming it", err)
	}
	data := "accepted:\n  - {fingerprint: a, reason: r, expires: 2025-01-01}\n"
	if err := os.WriteFile(filepath.Join(dir, defaultAcceptFile), []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
	entries, name, err = loadAcceptances(dir, "")
	if err != nil || len(entries) != 1 || name != defaultAcceptFile || entries[0].Source != ".accord-compat.yaml:2" {
		t.Errorf("default file: %+v %q %v", entries, name, err)
	}
}
