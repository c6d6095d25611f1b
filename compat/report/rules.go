package report

import (
	"sort"

	"github.com/accord-dev/accord/compat"
)

// ruleMeta is what SARIF and JUnit say about a rule besides its findings.
type ruleMeta struct {
	ID, Summary, Impact, Mitigation string
	Severity                        compat.Severity
}

// knownRules returns every rule of the registry, sorted by ID. The registry
// (compat/rules) is the engine's; this is the one place that reads it.
func knownRules() []ruleMeta {
	return nil
}

// rulesFor returns the registry's rules plus, for any rule ID a finding
// carries that the registry does not know (a newer engine, a test fixture),
// an entry built from the finding, so every result's ruleId is described.
func rulesFor(r Report) []ruleMeta {
	all := knownRules()
	have := make(map[string]bool, len(all))
	for _, m := range all {
		have[m.ID] = true
	}
	for _, res := range r.Results {
		for _, f := range res.Findings {
			if have[f.Rule] {
				continue
			}
			have[f.Rule] = true
			sev := f.OriginalSeverity
			if sev == "" {
				sev = f.Severity
			}
			all = append(all, ruleMeta{ID: f.Rule, Summary: f.Rule, Severity: sev})
		}
	}
	sort.Slice(all, func(i, j int) bool { return all[i].ID < all[j].ID })
	return all
}
