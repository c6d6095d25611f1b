package rules_test

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/accord-dev/accord/compat"
	"github.com/accord-dev/accord/compat/rules"
	"github.com/accord-dev/accord/contracts"
)

var kebab = regexp.MustCompile(`^[a-z]+(-[a-z0-9]+)*$`)

// TestRegistry checks every rule's definition: the fields reports print, one
// check, and a testdata case named after it.
func TestRegistry(t *testing.T) {
	categories := map[string]bool{
		rules.CatRemoval: true, rules.CatRequirement: true, rules.CatType: true, rules.CatConstraint: true,
		rules.CatEnum: true, rules.CatComposition: true, rules.CatMedia: true, rules.CatSecurity: true,
		rules.CatServer: true, rules.CatSDK: true, rules.CatLifecycle: true,
	}
	seen := map[string]bool{}
	for _, r := range rules.All() {
		if !kebab.MatchString(r.ID) {
			t.Errorf("rule ID %q is not kebab-case", r.ID)
		}
		if seen[r.ID] {
			t.Errorf("rule ID %q is registered twice", r.ID)
		}
		seen[r.ID] = true
		if !categories[r.Category] {
			t.Errorf("%s: unknown category %q", r.ID, r.Category)
		}
		switch r.Severity {
		case rules.Error, rules.Warning, rules.Info:
		default:
			t.Errorf("%s: severity %q", r.ID, r.Severity)
		}
		switch r.Profile {
		case rules.Wire:
		case rules.SDK:
			if r.Category != rules.CatSDK {
				t.Errorf("%s: sdk rules belong to the sdk category", r.ID)
			}
		default:
			t.Errorf("%s: profile %q", r.ID, r.Profile)
		}
		switch r.Direction {
		case rules.Request, rules.Response, rules.Both, rules.None:
		default:
			t.Errorf("%s: direction %q", r.ID, r.Direction)
		}
		for field, text := range map[string]string{"Summary": r.Summary, "Impact": r.Impact, "Mitigation": r.Mitigation} {
			if len(text) < 20 || !(strings.HasSuffix(text, ".") || strings.HasSuffix(text, ".)")) {
				t.Errorf("%s: %s must be a sentence: %q", r.ID, field, text)
			}
		}
		if n := r.Checks(); n != 1 {
			t.Errorf("%s: carries %d checks, want exactly 1", r.ID, n)
		}
		dir := filepath.Join("..", "..", "testdata", "compat", r.ID)
		for _, f := range []string{"expected.json"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%s: no testdata case: %v", r.ID, err)
			}
		}
		for _, side := range []string{"base", "head"} {
			y, _ := filepath.Glob(filepath.Join(dir, side+".*"))
			if len(y) == 0 {
				t.Errorf("%s: testdata case has no %s document", r.ID, side)
			}
		}
	}
}

func TestGetAndFreshSlices(t *testing.T) {
	all := rules.All()
	if len(all) == 0 {
		t.Fatal("empty registry")
	}
	id := all[0].ID
	all[0].ID = "mutated"
	if _, ok := rules.Get(id); !ok {
		t.Errorf("Get(%q) failed after a caller mutated its copy of All()", id)
	}
	if _, ok := rules.Get("no-such-rule"); ok {
		t.Error("Get found a rule that does not exist")
	}
	a := rules.Asymmetries()
	a[0].Rule = "mutated"
	if rules.Asymmetries()[0].Rule == "mutated" {
		t.Error("Asymmetries shares state between calls")
	}
}

// TestAsymmetriesListed: every rule that runs in one direction only, and
// every rule whose verdict depends on the direction, has its reason listed.
func TestAsymmetriesListed(t *testing.T) {
	listed := map[string]rules.Asymmetry{}
	for _, a := range rules.Asymmetries() {
		r, ok := rules.Get(a.Rule)
		if !ok {
			t.Errorf("asymmetry for unknown rule %q", a.Rule)
			continue
		}
		if _, dup := listed[a.Rule]; dup {
			t.Errorf("%s: listed twice", a.Rule)
		}
		listed[a.Rule] = a
		if len(a.Reason) < 20 {
			t.Errorf("%s: reason too short: %q", a.Rule, a.Reason)
		}
		if a.Fires != rules.Request && a.Fires != rules.Response {
			t.Errorf("%s: Fires must be request or response", a.Rule)
		}
		if (r.Direction == rules.Request || r.Direction == rules.Response) && r.Direction != a.Fires {
			t.Errorf("%s: runs on %s but the asymmetry says it fires in %s", a.Rule, r.Direction, a.Fires)
		}
	}
	for _, r := range rules.All() {
		if r.Direction == rules.Request || r.Direction == rules.Response {
			if _, ok := listed[r.ID]; !ok {
				t.Errorf("%s: runs on %s data only; list the reason in Asymmetries", r.ID, r.Direction)
			}
		}
	}
}

// TestAsymmetryExamples places each listed example in a request body and in
// a response body: the rule must report it in its direction and stay quiet
// in the other.
func TestAsymmetryExamples(t *testing.T) {
	for _, a := range rules.Asymmetries() {
		if a.Base == "" {
			continue
		}
		t.Run(a.Rule, func(t *testing.T) {
			for _, dir := range []rules.Direction{rules.Request, rules.Response} {
				base := asymmetryDoc(t, dir, a.Base)
				head := asymmetryDoc(t, dir, a.Head)
				res, err := compat.Compare(base, head, compat.Options{})
				if err != nil {
					t.Fatal(err)
				}
				fired := false
				for _, f := range res.Findings {
					fired = fired || f.Rule == a.Rule
				}
				if want := dir == a.Fires; fired != want {
					t.Errorf("in a %s: reported=%v, want %v (findings %+v)", dir, fired, want, res.Findings)
				}
			}
		})
	}
}

// asymmetryDoc builds a document whose only use of schema T is in dir.
func asymmetryDoc(t *testing.T, dir rules.Direction, schema string) *contracts.Document {
	t.Helper()
	var op string
	if dir == rules.Request {
		op = `
    post:
      requestBody:
        content:
          application/json:
            schema: {$ref: '#/components/schemas/T'}
      responses: {"204": {description: ok}}`
	} else {
		op = `
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: {$ref: '#/components/schemas/T'}`
	}
	src := `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /x:` + op + `
components:
  schemas:
    A: {type: object, properties: {kind: {type: string}}}
    T: ` + schema + "\n"
	doc, err := contracts.LoadBytes(context.Background(), "doc.yaml", []byte(src), contracts.LoadOptions{})
	if err != nil {
		t.Fatalf("loading the example: %v\n%s", err, src)
	}
	return doc
}
