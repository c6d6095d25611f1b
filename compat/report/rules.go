package report

import (
	"sort"

	"github.com/accord-dev/accord/compat"
	"github.com/accord-dev/accord/compat/rules"
)

// ruleMeta is what SARIF and JUnit say about a rule besides its findings.
type ruleMeta struct {
	ID, Summary, Impact, Mitigation string
	Severity                        compat.Severity
}

// knownRules returns the registry's rules that run under profile, sorted by
// ID. The registry (compat/rules) is the engine's; this is the one place
// that reads it. sdk rules are left out under the wire profile: listing them
// as passing JUnit tests would claim checks that did not run.
func knownRules(profile compat.Profile) []ruleMeta {
	var out []ruleMeta
	for _, r := range rules.All() {
		if r.Profile == rules.SDK && profile != compat.ProfileSDK {
			continue
		}
		out = append(out, ruleMeta{ID: r.ID, Summary: r.Summary, Impact: r.Impact,
			Mitigation: r.Mitigation, Severity: compat.Severity(r.Severity)})
	}
	return out
}

// rulesFor returns the registry's rules plus, for any rule ID a finding
// carries that the registry does not know (a newer engine, a test fixture),
// an entry built from the finding, so every result's ruleId is described.
func rulesFor(r Report) []ruleMeta {
	all := knownRules(r.Profile)
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
			if known, ok := rules.Get(f.Rule); ok {
				all = append(all, ruleMeta{ID: known.ID, Summary: known.Summary, Impact: known.Impact,
					Mitigation: known.Mitigation, Severity: compat.Severity(known.Severity)})
				continue
			}
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
