package compat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-dev/accord/compat/rules"
	"github.com/accord-dev/accord/contracts"
)

var update = flag.Bool("update", false, "rewrite testdata/compat/*/expected.json from the engine's output (review the diff)")

// casesDir holds one folder per case: base.{yaml,json}, head.{yaml,json}
// and expected.json. A folder named after a rule ID demonstrates that rule;
// ok-* folders are compatible changes that must produce no error or
// warning; case-* folders pin other behaviour (attribution, directions).
const casesDir = "../testdata/compat"

// expectation is expected.json.
type expectation struct {
	// Profile is the comparison profile, wire when empty.
	Profile string `json:"profile,omitempty"`
	// DeprecationDays is Options.DeprecationDays (--deprecation-days).
	DeprecationDays int               `json:"deprecationDays,omitempty"`
	Findings        []expectedFinding `json:"findings"`
}

// expectedFinding is what a case asserts about a finding. Position is
// compared only when the expectation sets it ("line:col" in the side's file).
type expectedFinding struct {
	Rule     string   `json:"rule"`
	Severity string   `json:"severity"`
	Subject  string   `json:"subject"`
	Before   string   `json:"before,omitempty"`
	After    string   `json:"after,omitempty"`
	Sunset   string   `json:"sunset,omitempty"`
	Affected []string `json:"affected"`
	Position string   `json:"position,omitempty"`
}

func caseNames(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(casesDir)
	if err != nil {
		t.Fatalf("reading cases: %v", err)
	}
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	return names
}

// loadSide loads base or head of a case, whichever of .yaml/.json exists.
func loadSide(t testing.TB, dir, side string) *contracts.Document {
	t.Helper()
	for _, ext := range []string{".yaml", ".json"} {
		name := side + ext
		data, err := os.ReadFile(filepath.Join(dir, name))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			t.Fatalf("reading %s: %v", name, err)
		}
		doc, err := contracts.LoadBytes(context.Background(), name, data, contracts.LoadOptions{Dir: dir})
		if err != nil {
			t.Fatalf("loading %s/%s: %v", filepath.Base(dir), name, err)
		}
		return doc
	}
	t.Fatalf("%s: no %s.yaml or %s.json", dir, side, side)
	return nil
}

func readExpectation(t *testing.T, dir string) expectation {
	t.Helper()
	var exp expectation
	data, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	if errors.Is(err, os.ErrNotExist) && *update {
		return exp
	}
	if err != nil {
		t.Fatalf("reading expected.json: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&exp); err != nil {
		t.Fatalf("%s/expected.json: %v", filepath.Base(dir), err)
	}
	return exp
}

func summarize(f Finding, withPos bool) expectedFinding {
	e := expectedFinding{
		Rule: f.Rule, Severity: string(f.Severity), Subject: f.Subject,
		Before: f.Before, After: f.After, Sunset: f.Sunset, Affected: []string{},
	}
	for _, op := range f.Affected {
		e.Affected = append(e.Affected, op.Key)
	}
	if withPos {
		e.Position = posString(f.Pos)
	}
	return e
}

func posString(p contracts.Position) string {
	return itoa(p.Line) + ":" + itoa(p.Col)
}

// TestCases runs every case folder through Compare.
func TestCases(t *testing.T) {
	for _, name := range caseNames(t) {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(casesDir, name)
			exp := readExpectation(t, dir)
			base, head := loadSide(t, dir, "base"), loadSide(t, dir, "head")
			res, err := Compare(base, head, Options{Profile: Profile(exp.Profile), DeprecationDays: exp.DeprecationDays})
			if err != nil {
				t.Fatalf("Compare: %v", err)
			}
			withPos := map[string]bool{}
			for _, f := range exp.Findings {
				if f.Position != "" {
					withPos[f.Rule+" "+f.Subject] = true
				}
			}
			got := make([]expectedFinding, 0, len(res.Findings))
			for _, f := range res.Findings {
				got = append(got, summarize(f, withPos[f.Rule+" "+f.Subject]))
			}
			if *update {
				exp.Findings = got
				out, err := json.MarshalIndent(exp, "", "  ")
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(dir, "expected.json"), append(out, '\n'), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			gotJSON, _ := json.MarshalIndent(got, "", "  ")
			wantJSON, _ := json.MarshalIndent(exp.Findings, "", "  ")
			if !bytes.Equal(gotJSON, wantJSON) {
				t.Errorf("findings differ (run with -update and review the diff)\n got: %s\nwant: %s", gotJSON, wantJSON)
			}
			checkCaseKind(t, name, res)
		})
	}
}

// checkCaseKind enforces what a folder's name promises.
func checkCaseKind(t *testing.T, name string, res *Result) {
	t.Helper()
	switch {
	case strings.HasPrefix(name, "ok-"):
		for _, f := range res.Findings {
			if f.Severity.Rank() >= SeverityWarning.Rank() {
				t.Errorf("compatible case reports %s %s at %s: %s", f.Severity, f.Rule, f.Subject, f.Message)
			}
		}
	case strings.HasPrefix(name, "case-"):
	default:
		found := false
		for _, f := range res.Findings {
			found = found || f.Rule == name
		}
		if !found {
			t.Errorf("the case of rule %s does not report it", name)
		}
	}
}

// TestFindingFields checks what every finding of every case carries.
func TestFindingFields(t *testing.T) {
	for _, name := range caseNames(t) {
		dir := filepath.Join(casesDir, name)
		exp := readExpectation(t, dir)
		res, err := Compare(loadSide(t, dir, "base"), loadSide(t, dir, "head"), Options{Profile: Profile(exp.Profile), DeprecationDays: exp.DeprecationDays})
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		for _, f := range res.Findings {
			r, ok := rules.Get(f.Rule)
			switch {
			case !ok:
				t.Errorf("%s: finding of unknown rule %q", name, f.Rule)
			case string(r.Severity) != string(f.Severity) || r.Category != f.Category:
				t.Errorf("%s: %s carries severity %s / category %s, the rule says %s / %s", name, f.Rule, f.Severity, f.Category, r.Severity, r.Category)
			}
			if f.Message == "" || f.Subject == "" || len(f.Affected) == 0 || len(f.Fingerprint) != 16 {
				t.Errorf("%s: %s: incomplete finding %+v", name, f.Rule, f)
			}
			if f.Side != "head" && f.Side != "base" {
				t.Errorf("%s: %s: side %q", name, f.Rule, f.Side)
			}
			if f.Pos.Line == 0 || !(strings.HasPrefix(f.Pointer, "/") || strings.Contains(f.Pointer, "#/")) {
				t.Errorf("%s: %s: no position for %s (pointer %q)", name, f.Rule, f.Subject, f.Pointer)
			}
			if f.Side == "base" && f.HeadPos == nil {
				t.Errorf("%s: %s: base-side finding without a head position", name, f.Rule)
			}
		}
	}
}
