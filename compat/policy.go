package compat

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/contracts"
)

// This file is the acceptance post-pass: it runs after Compare, over its
// Result, and decides which breaking findings the team has agreed to. It is
// kept apart from the engine so that rules only say what changed, and the
// policy (what a team tolerates, until when) lives in one place. Everything
// here is a pure function of its inputs: the clock and the accepted-breaks
// entries are passed in, nothing is read from disk.

// Acceptance is one entry of the accepted-breaks file (.accord-compat.yaml),
// as the CLI parsed it.
type Acceptance struct {
	// Fingerprint is the Finding.Fingerprint being accepted.
	Fingerprint string `json:"fingerprint"`
	// Rule, when set, must equal the finding's rule too: a guard against
	// pasting the wrong fingerprint.
	Rule   string `json:"rule,omitempty"`
	Reason string `json:"reason"`
	// Expires is YYYY-MM-DD, the first day the entry no longer applies.
	Expires string `json:"expires"`
	// Source is where the entry was written ("file:line"), for messages.
	Source string `json:"source,omitempty"`
}

// Policy is what the acceptance pass needs to know besides the Result.
type Policy struct {
	// AllowMajor accepts breaks that come with a major version bump of
	// info.version, and removals of operations that moved behind a new /vN
	// path prefix present in head.
	AllowMajor bool
	// BaseOperations and HeadOperations are every operation key of each side
	// (see OperationKeys); only AllowMajor's /vN detection reads them.
	BaseOperations, HeadOperations []string
	// Accepted are the accepted-breaks entries.
	Accepted []Acceptance
	// Today is the injected clock: only its calendar date matters.
	Today time.Time
	// Stability is base's x-stability-level per operation (StabilityLevels):
	// findings that only affect draft or alpha operations are reported but
	// do not fail.
	Stability map[string]string
}

// dateLayout is how the accepted-breaks file and x-sunset write dates.
const dateLayout = "2006-01-02"

// ApplyPolicy returns a copy of res where the breaking findings the policy
// accepts are downgraded to info, with Accepted saying why and
// OriginalSeverity keeping the rule's severity. Entries are tried in this
// order and the first that applies wins: an unexpired accepted-breaks entry
// (the team's own words are the most useful reason), a passed x-sunset date,
// a major version bump, a move behind a new /vN prefix, operations that are
// only draft or alpha.
func ApplyPolicy(res *Result, p Policy) *Result {
	out := *res
	out.Findings = make([]Finding, len(res.Findings))
	out.Notes = append([]string(nil), res.Notes...)
	today := p.Today.Format(dateLayout)

	byFingerprint := make(map[string][]Acceptance, len(p.Accepted))
	for _, a := range p.Accepted {
		byFingerprint[a.Fingerprint] = append(byFingerprint[a.Fingerprint], a)
	}
	major, majorNotes := majorBump(res.Base.Version, res.Head.Version, p.AllowMajor)
	out.Notes = append(out.Notes, majorNotes...)
	var moves *versionIndex
	if p.AllowMajor {
		moves = newVersionIndex(p.BaseOperations, p.HeadOperations)
	}
	badSunsets := map[string]bool{}

	for i, f := range res.Findings {
		if f.OriginalSeverity == "" {
			f.OriginalSeverity = f.Severity
		}
		if f.Severity.Rank() < SeverityWarning.Rank() || f.Accepted != "" {
			out.Findings[i] = f
			continue
		}
		reason := ""
		if a, ok := matchAcceptance(byFingerprint[f.Fingerprint], f); ok {
			if today < a.Expires {
				reason = fmt.Sprintf("accepted until %s%s: %s", a.Expires, at(a.Source), a.Reason)
			} else {
				f.ExpiredAcceptance = &a
			}
		}
		if reason == "" && f.Sunset != "" {
			switch d, ok := parseSunset(f.Sunset); {
			case !ok:
				badSunsets[f.Sunset] = true
			case d < today:
				reason = fmt.Sprintf("removed after its x-sunset date %s", d)
			}
		}
		if reason == "" && major != "" {
			reason = major
		}
		if reason == "" && moves != nil {
			reason = moves.explain(f.Affected)
		}
		if reason == "" {
			reason = unstableReason(p.Stability, f.Affected)
		}
		if reason != "" {
			f.Severity, f.Accepted = SeverityInfo, reason
		}
		out.Findings[i] = f
	}
	for _, s := range sortedSet(badSunsets) {
		out.Notes = append(out.Notes, fmt.Sprintf("x-sunset %q is not a date (YYYY-MM-DD): removals carrying it were judged as usual", s))
	}
	return &out
}

func at(source string) string {
	if source == "" {
		return ""
	}
	return " (" + source + ")"
}

// matchAcceptance picks the entry for f among those with its fingerprint:
// the one whose rule guard matches, preferring one still in force.
func matchAcceptance(entries []Acceptance, f Finding) (Acceptance, bool) {
	var found Acceptance
	ok := false
	for _, a := range entries {
		if a.Rule != "" && a.Rule != f.Rule {
			continue
		}
		if !ok || a.Expires > found.Expires {
			found, ok = a, true
		}
	}
	return found, ok
}

// UnusedAcceptances lists the entries that matched no finding in any of the
// results, so the CLI can suggest deleting them once a break is gone.
func UnusedAcceptances(entries []Acceptance, results ...*Result) []Acceptance {
	seen := map[string][]string{} // fingerprint -> rules seen
	for _, r := range results {
		for _, f := range r.Findings {
			seen[f.Fingerprint] = append(seen[f.Fingerprint], f.Rule)
		}
	}
	var unused []Acceptance
	for _, a := range entries {
		rules, ok := seen[a.Fingerprint]
		used := ok && (a.Rule == "" || contains(rules, a.Rule))
		if !used {
			unused = append(unused, a)
		}
	}
	return unused
}

func contains(xs []string, s string) bool {
	for _, x := range xs {
		if x == s {
			return true
		}
	}
	return false
}

// parseSunset reads an x-sunset value: a date, an RFC 3339 timestamp, or the
// HTTP-date the Sunset header (RFC 8594) uses. It returns YYYY-MM-DD.
func parseSunset(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{dateLayout, time.RFC3339, http.TimeFormat} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.Format(dateLayout), true
		}
	}
	return "", false
}

// semverMajor accepts what semantic versioning calls a version, leniently:
// an optional "v", then MAJOR, MAJOR.MINOR or MAJOR.MINOR.PATCH with an
// optional pre-release or build suffix after the full triple. A date such as
// 2023-08-16 deliberately does not match: its first number is a year, not a
// major version, and reading it as one would accept every yearly change.
var semverMajor = regexp.MustCompile(`^v?(0|[1-9][0-9]*)(?:\.[0-9]+(?:\.[0-9]+(?:[-+][0-9A-Za-z.+-]*)?)?)?$`)

// MajorVersion returns the major version of an info.version, or false when
// the version is not semantic versioning.
func MajorVersion(v string) (int, bool) {
	m := semverMajor.FindStringSubmatch(strings.TrimSpace(v))
	if m == nil {
		return 0, false
	}
	n, err := strconv.Atoi(m[1])
	return n, err == nil
}

// majorBump returns the acceptance reason when head's major version is above
// base's, and notes when allowMajor could not be judged.
func majorBump(base, head string, allowMajor bool) (string, []string) {
	if !allowMajor {
		return "", nil
	}
	var notes []string
	bm, bok := MajorVersion(base)
	hm, hok := MajorVersion(head)
	for _, side := range []struct {
		name, v string
		ok      bool
	}{{"base", base, bok}, {"head", head, hok}} {
		if !side.ok {
			notes = append(notes, fmt.Sprintf("--allow-major: %s info.version %q is not semantic versioning, so it has no major version; breaks were not accepted on a version bump (a move behind a new /vN prefix still counts)", side.name, side.v))
		}
	}
	if !bok || !hok || hm <= bm {
		return "", notes
	}
	return fmt.Sprintf("major version bumped from %d (%s) to %d (%s) (--allow-major)", bm, base, hm, head), notes
}

// OperationKeys lists a document's operations in Operation.Key form
// ("GET /v1/payments", "send customer.updated"), for Policy's /vN detection.
func OperationKeys(d *contracts.Document) []string {
	var keys []string
	switch {
	case d == nil:
	case d.OpenAPI != nil && d.OpenAPI.Paths != nil:
		for path, item := range d.OpenAPI.Paths.Map() {
			for method := range item.Operations() {
				keys = append(keys, strings.ToUpper(method)+" "+path)
			}
		}
	case d.AsyncAPI != nil:
		for _, op := range d.AsyncAPI.Operations {
			if op.Channel != nil {
				keys = append(keys, string(op.Action)+" "+op.Channel.Address)
			}
		}
	}
	sort.Strings(keys)
	return keys
}

// versionSegment is a path segment that names an API version: v1, v2, ...
var versionSegment = regexp.MustCompile(`^v([0-9]+)$`)

// versionIndex answers "did this removed operation move behind a newer /vN
// prefix?". Operations are keyed with their version segment replaced by a
// marker and path parameters anonymised, so "GET /v1/payments/{id}" and
// "GET /v2/payments/{payment}" share a key.
//
// "New" is judged per operation: the counterpart must be absent from base.
// If /v2/payments already existed next to /v1/payments, deleting v1 is not a
// move: v1 clients just lose an endpoint that had a successor all along and
// the break must be accepted explicitly. Requiring the whole /v2 prefix to be
// new instead would refuse APIs that migrate one resource per release.
type versionIndex struct {
	head map[string]bool
	// moved: normalised key with the marker -> version numbers under which
	// head newly offers the operation.
	moved map[string][]int
}

const versionMarker = "\x00v"

func newVersionIndex(base, head []string) *versionIndex {
	inBase := make(map[string]bool, len(base))
	for _, k := range base {
		inBase[normalizeKey(k)] = true
	}
	idx := &versionIndex{head: map[string]bool{}, moved: map[string][]int{}}
	for _, k := range head {
		norm := normalizeKey(k)
		idx.head[norm] = true
		if inBase[norm] {
			continue
		}
		method, path := splitKey(k)
		segs := strings.Split(path, "/")
		for i, seg := range segs {
			m := versionSegment.FindStringSubmatch(seg)
			if m == nil {
				continue
			}
			n, _ := strconv.Atoi(m[1])
			key := normalizeKey(method + " " + strings.Join(withMarker(segs, i, i+1), "/"))
			idx.moved[key] = append(idx.moved[key], n)
		}
	}
	return idx
}

// withMarker returns segs with segs[from:to] replaced by the version marker
// (from == to inserts it).
func withMarker(segs []string, from, to int) []string {
	out := make([]string, 0, len(segs)+1)
	out = append(out, segs[:from]...)
	out = append(out, versionMarker)
	return append(out, segs[to:]...)
}

// explain returns the acceptance reason when every affected operation is gone
// from head and reappears there behind a newer version prefix.
func (x *versionIndex) explain(ops []Operation) string {
	if len(ops) == 0 {
		return ""
	}
	versions := map[int]bool{}
	for _, op := range ops {
		if x.head[normalizeKey(op.Key)] {
			return "" // still served: its clients see the break
		}
		v, ok := x.newVersionOf(op.Key)
		if !ok {
			return ""
		}
		versions[v] = true
	}
	var vs []string
	for v := range versions {
		vs = append(vs, "/v"+strconv.Itoa(v))
	}
	sort.Strings(vs)
	noun := "prefix"
	if len(vs) > 1 {
		noun = "prefixes"
	}
	return fmt.Sprintf("moved behind the new %s %s (--allow-major)", strings.Join(vs, ", "), noun)
}

// newVersionOf finds a newer version of key in head: the same operation with
// its version segment raised, or with a version segment inserted when key had
// none.
func (x *versionIndex) newVersionOf(key string) (int, bool) {
	method, path := splitKey(key)
	segs := strings.Split(path, "/")
	best, found := 0, false
	consider := func(norm []string, above int) {
		for _, v := range x.moved[normalizeKey(method+" "+strings.Join(norm, "/"))] {
			if v > above && (!found || v > best) {
				best, found = v, true
			}
		}
	}
	versioned := false
	for i, seg := range segs {
		if m := versionSegment.FindStringSubmatch(seg); m != nil {
			versioned = true
			n, _ := strconv.Atoi(m[1])
			consider(withMarker(segs, i, i+1), n)
		}
	}
	if !versioned {
		// "/payments" -> "/v1/payments" or "/api/payments" -> "/api/v2/payments".
		for i := 1; i <= len(segs); i++ {
			consider(withMarker(segs, i, i), -1)
		}
	}
	return best, found
}

func splitKey(k string) (method, path string) {
	method, path, ok := strings.Cut(k, " ")
	if !ok {
		return "", k
	}
	return method, path
}

// pathParam matches a {parameter} so renamed parameters still match.
var pathParam = regexp.MustCompile(`\{[^}]*\}`)

func normalizeKey(k string) string {
	method, path := splitKey(k)
	return strings.ToUpper(method) + " " + pathParam.ReplaceAllString(path, "{}")
}

// Explode returns a copy of res with one finding per affected operation, for
// reports that want every operation listed on its own line (--explode). A
// finding that affects no operation is kept as it is. Fingerprints are kept:
// they identify the root cause, which accepted-breaks entries name.
func Explode(res *Result) *Result {
	out := *res
	out.Findings = make([]Finding, 0, len(res.Findings))
	for _, f := range res.Findings {
		if len(f.Affected) <= 1 {
			out.Findings = append(out.Findings, f)
			continue
		}
		for _, op := range f.Affected {
			g := f
			g.Affected = []Operation{op}
			out.Findings = append(out.Findings, g)
		}
	}
	return &out
}

// ParseSeverity reads a --fail-on value.
func ParseSeverity(s string) (Severity, error) {
	switch Severity(s) {
	case SeverityError, SeverityWarning, SeverityInfo:
		return Severity(s), nil
	}
	return "", fmt.Errorf("severity must be error, warning or info, not %q", s)
}

// Fails reports whether f fails the check at threshold failOn. An accepted
// finding never fails, even with --fail-on info: accepting a break is an
// explicit decision, and failing on it would make acceptance pointless.
func Fails(f Finding, failOn Severity) bool {
	return f.Accepted == "" && f.Severity.Rank() >= failOn.Rank()
}

// Failing counts the findings of res that fail the check at failOn.
func Failing(res *Result, failOn Severity) int {
	n := 0
	for _, f := range res.Findings {
		if Fails(f, failOn) {
			n++
		}
	}
	return n
}

func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
