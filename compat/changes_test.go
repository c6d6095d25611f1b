package compat

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/accord-dev/accord/compat/rules"
	"github.com/accord-dev/accord/contracts"
)

func loadChangePair(t *testing.T, dir string) (*contracts.Document, *contracts.Document) {
	t.Helper()
	var docs [2]*contracts.Document
	for i, side := range []string{"base", "head"} {
		matches, _ := filepath.Glob(filepath.Join(dir, side+".*"))
		if len(matches) == 0 {
			t.Fatalf("%s: no %s document", dir, side)
		}
		d, err := contracts.Load(context.Background(), matches[0], contracts.LoadOptions{})
		if err != nil {
			t.Fatalf("loading %s: %v", matches[0], err)
		}
		docs[i] = d
	}
	return docs[0], docs[1]
}

// TestChangeCases: every change rule reports its case under
// testdata/changelog with Changes on, as info, placed in head; and with
// Changes off (what accord compat runs) no change rule ever reports.
func TestChangeCases(t *testing.T) {
	change := map[string]bool{}
	for _, r := range rules.Changes() {
		change[r.ID] = true
	}
	for _, r := range rules.Changes() {
		t.Run(r.ID, func(t *testing.T) {
			base, head := loadChangePair(t, filepath.Join("..", "testdata", "changelog", r.ID))
			res, err := Compare(base, head, Options{Changes: true})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, f := range res.Findings {
				if f.Rule != r.ID {
					continue
				}
				found = true
				if f.Severity != SeverityInfo || f.Side != "head" || f.Pos.Line == 0 || len(f.Affected) == 0 {
					t.Errorf("finding %+v: want info, in head, with a line and affected operations", f)
				}
				if f.Category == rules.CatDeprecation && f.Sunset == "" {
					t.Errorf("%s: the case's deprecation has an x-sunset, the finding none", r.ID)
				}
			}
			if !found {
				t.Errorf("%s did not report its case; findings: %+v", r.ID, res.Findings)
			}
			plain, err := Compare(base, head, Options{})
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range plain.Findings {
				if change[f.Rule] {
					t.Errorf("without Changes, change rule %s reported %q", f.Rule, f.Message)
				}
			}
		})
	}
}

// TestChangesLeaveBreakingFindingsAlone runs every compat case both ways:
// the breaking findings must be identical, so the change log and compat
// agree on what breaks.
func TestChangesLeaveBreakingFindingsAlone(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "compat", "*"))
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no compat cases: %v", err)
	}
	change := map[string]bool{}
	for _, r := range rules.Changes() {
		change[r.ID] = true
	}
	for _, dir := range dirs {
		if st, err := os.Stat(dir); err != nil || !st.IsDir() {
			continue
		}
		if _, err := os.Stat(filepath.Join(dir, "expected.json")); err != nil {
			continue
		}
		base, head := loadChangePair(t, dir)
		if base.Kind != head.Kind {
			continue
		}
		plain, err1 := Compare(base, head, Options{})
		all, err2 := Compare(base, head, Options{Changes: true})
		if err1 != nil || err2 != nil {
			t.Errorf("%s: %v / %v", dir, err1, err2)
			continue
		}
		var kept, want []string
		for _, f := range all.Findings {
			if !change[f.Rule] {
				kept = append(kept, findingKey(f))
			}
		}
		for _, f := range plain.Findings {
			want = append(want, findingKey(f))
		}
		if !reflect.DeepEqual(kept, want) {
			t.Errorf("%s: breaking findings differ with Changes on:\n got %q\nwant %q", filepath.Base(dir), kept, want)
		}
	}
}

// findingKey is what a report shows of a finding. Affected operations are
// compared by key: an operation only head has carries its operationId once
// the change pass has registered it.
func findingKey(f Finding) string {
	var ops []string
	for _, op := range f.Affected {
		ops = append(ops, op.Key)
	}
	return fmt.Sprintf("%s|%s|%s|%s|%s|%s|%s|%s|%v", f.Rule, f.Severity, f.Subject, f.Message, f.Before, f.After, f.Fingerprint, f.Pos, ops)
}
