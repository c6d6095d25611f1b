package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/accord-dev/accord/compat"
)

// AcceptFile is the accepted-breaks file the next steps tell reviewers to
// edit; the CLI reads the same name by default.
const AcceptFile = ".accord-compat.yaml"

// acceptDays is how long a suggested acceptance lasts. Short on purpose: an
// accepted break is a debt with a date, and a month is long enough to ship
// the partner communication that should go with it.
const acceptDays = 30

// reasonPlaceholder is what a reviewer must replace. It is a valid reason for
// the parser (so pasting the entry works at once) but reads as unfinished in
// every report that later shows it.
const reasonPlaceholder = "TODO: why this break is acceptable, and who agreed"

// nextStep is what a reviewer can do about one finding that counts: the
// version bump that --allow-major accepts, when the contract is versioned
// with semver, and the accepted-breaks entry that accepts it.
type nextStep struct {
	// Bump is a sentence, or "" when --allow-major cannot help (the version
	// is not semver, or the finding is not a break a bump could excuse).
	Bump string
	// Entry is the YAML list item to add under `accepted:`, without
	// indentation; each line ends with a newline.
	Entry string
}

// stepFor returns the next step for f, or false when f needs none: it does
// not fail the check (accepted, or below --fail-on).
func stepFor(r Report, res *compat.Result, f compat.Finding) (nextStep, bool) {
	if !compat.Fails(f, r.FailOn) {
		return nextStep{}, false
	}
	var s nextStep
	if f.Rule != "version-bump-missing" {
		s.Bump = bumpStep(res.Base.Version, res.Head.Version)
	}
	expires := "YYYY-MM-DD"
	if !r.Today.IsZero() {
		expires = r.Today.AddDate(0, 0, acceptDays).Format(time.DateOnly)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "- fingerprint: %s\n", f.Fingerprint)
	if f.Rule != "" {
		fmt.Fprintf(&b, "  rule: %s\n", f.Rule)
	}
	fmt.Fprintf(&b, "  reason: %q\n", reasonPlaceholder)
	fmt.Fprintf(&b, "  expires: %s\n", expires)
	s.Entry = b.String()
	return s, true
}

// bumpStep says which info.version makes the break acceptable under
// --allow-major, given the versions of both sides.
func bumpStep(base, head string) string {
	bm, bok := compat.MajorVersion(base)
	hm, hok := compat.MajorVersion(head)
	switch {
	case !bok:
		return ""
	case hok && hm > bm:
		return fmt.Sprintf("head already bumps the major version (%s → %s): run with `--allow-major`", base, head)
	}
	return fmt.Sprintf("bump `info.version` to %d.0.0 (from %s) and run with `--allow-major`", bm+1, base)
}

// entryFlow renders the entry on one line (YAML flow style), for formats
// whose messages are best kept short, such as workflow annotations.
func (s nextStep) entryFlow() string {
	var parts []string
	for _, line := range strings.Split(strings.TrimSpace(s.Entry), "\n") {
		parts = append(parts, strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "- ")))
	}
	return "- {" + strings.Join(parts, ", ") + "}"
}
