package rules_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-dev/accord/compat/rules"
)

// TestChangeRules checks the change rules' definitions the way TestRegistry
// checks the breaking ones: fields, one check, a case under
// testdata/changelog, and that they stay out of All (which accord compat,
// its help and its SARIF/JUnit rule lists read).
func TestChangeRules(t *testing.T) {
	breaking := map[string]bool{}
	for _, r := range rules.All() {
		breaking[r.ID] = true
	}
	seen := map[string]bool{}
	for _, r := range rules.Changes() {
		if !kebab.MatchString(r.ID) {
			t.Errorf("rule ID %q is not kebab-case", r.ID)
		}
		if seen[r.ID] || breaking[r.ID] {
			t.Errorf("rule ID %q is registered twice", r.ID)
		}
		seen[r.ID] = true
		if r.Category != rules.CatAddition && r.Category != rules.CatDeprecation {
			t.Errorf("%s: category %q, want addition or deprecation", r.ID, r.Category)
		}
		if r.Severity != rules.Info {
			t.Errorf("%s: severity %q: a change rule breaks nobody, so it is info", r.ID, r.Severity)
		}
		if r.Profile != rules.Wire {
			t.Errorf("%s: profile %q", r.ID, r.Profile)
		}
		for field, text := range map[string]string{"Summary": r.Summary, "Impact": r.Impact, "Mitigation": r.Mitigation} {
			if len(text) < 20 || !strings.HasSuffix(text, ".") {
				t.Errorf("%s: %s must be a sentence: %q", r.ID, field, text)
			}
		}
		if n := r.Checks(); n != 1 {
			t.Errorf("%s: carries %d checks, want exactly 1", r.ID, n)
		}
		if got, ok := rules.Get(r.ID); !ok || got.ID != r.ID {
			t.Errorf("Get(%q) does not find the change rule", r.ID)
		}
		dir := filepath.Join("..", "..", "testdata", "changelog", r.ID)
		for _, f := range []string{"base.yaml", "head.yaml"} {
			if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
				t.Errorf("%s: no testdata case: %v", r.ID, err)
			}
		}
	}
}
