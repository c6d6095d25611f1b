package rules

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// VersionDiff pairs the documents' info.version once every other check has
// run: the engine says whether the comparison found breaking changes and
// whether it found any other change. Only a version that changed is judged:
// an author who edits info.version has stated what the release is, while
// many teams bump it at release time rather than in each change.
type VersionDiff struct {
	Base, Head string
	// Breaking: some error finding (before any acceptance policy).
	Breaking bool
	// Additive: some lower-severity finding, or an operation added.
	Additive bool
}

var semverParts = regexp.MustCompile(`^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:[-+][0-9A-Za-z.+-]*)?$`)

// Semver splits a semantic version (an optional v, MAJOR.MINOR.PATCH and an
// optional pre-release or build suffix).
func Semver(v string) (major, minor, patch int, ok bool) {
	m := semverParts.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return 0, 0, 0, false
	}
	var n [3]int
	for i := range n {
		x, err := strconv.Atoi(m[i+1])
		if err != nil {
			return 0, 0, 0, false
		}
		n[i] = x
	}
	return n[0], n[1], n[2], true
}

// breakingBump is the version a breaking release of base should carry, and
// whether head already is one. Under 1.0.0 semver promises nothing, so the
// convention most tools follow (Cargo, npm's caret) applies: 0.MINOR is the
// breaking position.
func breakingBump(bM, bm, hM, hm int) (string, bool) {
	if bM == 0 {
		return fmt.Sprintf("0.%d.0", bm+1), hM > 0 || hm > bm
	}
	return fmt.Sprintf("%d.0.0", bM+1), hM > bM
}

func versionBumpMissing() Rule {
	return Rule{
		ID:        "version-bump-missing",
		Category:  CatLifecycle,
		Severity:  Warning,
		Profile:   Wire,
		Direction: None,
		Summary:   "info.version changed without the major bump its breaking changes call for.",
		Impact: "Partners pinning `^1.4` upgrade to 1.5.0 expecting compatibility and break; version-range tooling, " +
			"changelogs and SDK releases all trust the number.",
		Mitigation: "Bump the major version (1.4.0 → 2.0.0), or make the change compatibly and keep the minor bump.",
		Version: func(d *VersionDiff, r Reporter) {
			if !d.Breaking || d.Base == d.Head {
				return
			}
			bM, bm, _, bok := Semver(d.Base)
			hM, hm, _, hok := Semver(d.Head)
			if !bok || !hok {
				return
			}
			want, ok := breakingBump(bM, bm, hM, hm)
			if ok {
				return
			}
			r.Report(Hit{Before: d.Head, After: want,
				Message: "info.version " + d.Base + " → " + d.Head + " is not a major bump, but the changes break clients: " + want + " would be right"})
		},
	}
}

func versionMinorBumpMissing() Rule {
	return Rule{
		ID:        "version-minor-bump-missing",
		Category:  CatLifecycle,
		Severity:  Info,
		Profile:   Wire,
		Direction: None,
		Summary:   "info.version changed by a patch only, although the contract gained or changed something.",
		Impact: "A patch release promises fixes only; clients that read 1.4.1 as \"nothing new\" miss the operations " +
			"or values it added.",
		Mitigation: "Bump the minor version (1.4.0 → 1.5.0) when the contract grows.",
		Version: func(d *VersionDiff, r Reporter) {
			if d.Breaking || !d.Additive || d.Base == d.Head {
				return
			}
			bM, bm, _, bok := Semver(d.Base)
			hM, hm, _, hok := Semver(d.Head)
			// Under 1.0.0 the patch position is the feature position.
			if !bok || !hok || bM == 0 || hM != bM || hm != bm {
				return
			}
			want := fmt.Sprintf("%d.%d.0", bM, bm+1)
			r.Report(Hit{Before: d.Head, After: want,
				Message: "info.version " + d.Base + " → " + d.Head + " is a patch bump, but the contract changed: " + want + " would be right"})
		},
	}
}
