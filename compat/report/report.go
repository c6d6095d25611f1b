// Package report formats compat results: one formatter per file (text, json,
// markdown, github, sarif, junit). Formatters are pure: they write a Report
// to an io.Writer and never decide the exit code, which the CLI derives from
// the same compat.Fails rule they use to mark failing findings.
package report

import (
	"cmp"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/accord-dev/accord/compat"
	"github.com/accord-dev/accord/contracts"
)

// Report is everything a formatter prints: one Result per compared contract
// (several with `accord compat --base REV a.yaml b.yaml`).
type Report struct {
	Results []*compat.Result
	// FailOn is the --fail-on threshold, to mark which findings fail.
	FailOn compat.Severity
	// ToolVersion is accord's version, for JSON and SARIF.
	ToolVersion string
	// Profile is the comparison profile, so SARIF and JUnit list the rules
	// that actually ran (empty = wire).
	Profile compat.Profile
	// Today dates the accepted-breaks entries that markdown and github
	// suggest (they expire a month later); zero leaves a YYYY-MM-DD
	// placeholder.
	Today time.Time
}

// Options tune the human-readable formats.
type Options struct {
	// Color turns on ANSI colours in the text format; the CLI sets it only
	// when stdout is a terminal that wants them.
	Color bool
	// MaxAffected is how many affected operations text and markdown list
	// before "and K more"; 0 means DefaultMaxAffected.
	MaxAffected int
}

// DefaultMaxAffected keeps a root cause that reaches hundreds of operations
// to one readable line.
const DefaultMaxAffected = 5

// Format names an output format.
type Format string

const (
	FormatText     Format = "text"
	FormatJSON     Format = "json"
	FormatMarkdown Format = "markdown"
	FormatGitHub   Format = "github"
	FormatSARIF    Format = "sarif"
	FormatJUnit    Format = "junit"
)

// Formats lists the formats in the order help texts show them.
func Formats() []Format {
	return []Format{FormatText, FormatJSON, FormatMarkdown, FormatGitHub, FormatSARIF, FormatJUnit}
}

// ParseFormat reads a --format value.
func ParseFormat(s string) (Format, error) {
	for _, f := range Formats() {
		if string(f) == s {
			return f, nil
		}
	}
	names := make([]string, 0, len(Formats()))
	for _, f := range Formats() {
		names = append(names, string(f))
	}
	return "", fmt.Errorf("format must be one of %s, not %q", strings.Join(names, ", "), s)
}

// Write formats r in format f.
func Write(w io.Writer, f Format, r Report, o Options) error {
	switch f {
	case FormatText:
		return Text(w, r, o)
	case FormatJSON:
		return JSON(w, r)
	case FormatMarkdown:
		return Markdown(w, r, o)
	case FormatGitHub:
		return GitHub(w, r)
	case FormatSARIF:
		return SARIF(w, r)
	case FormatJUnit:
		return JUnit(w, r)
	}
	return fmt.Errorf("unknown format %q", f)
}

// Summary counts one result's findings, or a whole report's.
type Summary struct {
	Findings int `json:"findings"`
	Errors   int `json:"errors"`
	Warnings int `json:"warnings"`
	Info     int `json:"info"`
	// Accepted counts findings the policy downgraded to info (also in Info).
	Accepted int `json:"accepted"`
	// Failing counts findings at or above --fail-on that were not accepted.
	Failing int `json:"failing"`
	// Operations counts distinct affected operations.
	Operations int `json:"operations"`
}

// Summarize counts res's findings against failOn.
func Summarize(res *compat.Result, failOn compat.Severity) Summary {
	var s Summary
	seen := map[string]bool{}
	for _, f := range res.Findings {
		s.add(f, failOn)
		for _, op := range f.Affected {
			if !seen[op.Key] {
				seen[op.Key] = true
				s.Operations++
			}
		}
	}
	return s
}

func (s *Summary) add(f compat.Finding, failOn compat.Severity) {
	s.Findings++
	switch f.Severity {
	case compat.SeverityError:
		s.Errors++
	case compat.SeverityWarning:
		s.Warnings++
	default:
		s.Info++
	}
	if f.Accepted != "" {
		s.Accepted++
	}
	if compat.Fails(f, failOn) {
		s.Failing++
	}
}

// total adds up per-result summaries; operations are summed, as results
// are different contracts.
func total(r Report) Summary {
	var t Summary
	for _, res := range r.Results {
		s := Summarize(res, r.FailOn)
		t.Findings += s.Findings
		t.Errors += s.Errors
		t.Warnings += s.Warnings
		t.Info += s.Info
		t.Accepted += s.Accepted
		t.Failing += s.Failing
		t.Operations += s.Operations
	}
	return t
}

// ordered returns res's findings in report order: failing first, then by
// severity, rule, subject and fingerprint, so every format lists the same
// findings in the same order whatever order the engine produced them in.
func ordered(res *compat.Result, failOn compat.Severity) []compat.Finding {
	fs := slices.Clone(res.Findings)
	slices.SortStableFunc(fs, func(a, b compat.Finding) int {
		af, bf := compat.Fails(a, failOn), compat.Fails(b, failOn)
		if af != bf {
			if af {
				return -1
			}
			return 1
		}
		return cmp.Or(
			cmp.Compare(b.Severity.Rank(), a.Severity.Rank()),
			cmp.Compare(a.Rule, b.Rule),
			cmp.Compare(a.Subject, b.Subject),
			cmp.Compare(a.Fingerprint, b.Fingerprint),
		)
	})
	return fs
}

// headPlace is where in the head file a finding should be shown: its own
// position for a head-side finding; for a base-side one (the element is gone
// from head), the nearest surviving place in head, or just the file.
func headPlace(res *compat.Result, f compat.Finding) contracts.Position {
	if f.Side != "base" {
		if f.Pos.File == "" {
			return contracts.Position{File: res.Head.Name}
		}
		return f.Pos
	}
	if f.HeadPos != nil && f.HeadPos.Line > 0 {
		return *f.HeadPos
	}
	return contracts.Position{File: res.Head.Name}
}

// drive matches a Windows drive letter, which is not a git revision.
var drive = regexp.MustCompile(`^[A-Za-z]:[\\/]`)

// workTreePath turns a document name into the path CI annotations and code
// scanning attach to: "REV:path" becomes "path" (the checked-out file), and
// standard input has none.
func workTreePath(name string) string {
	if name == "" || name == "<stdin>" {
		return ""
	}
	if !drive.MatchString(name) {
		if _, p, ok := strings.Cut(name, ":"); ok {
			name = p
		}
	}
	return strings.TrimPrefix(strings.ReplaceAll(name, "\\", "/"), "./")
}

// affectedList renders operation keys, collapsing after max.
func affectedList(ops []compat.Operation, max int) string {
	if max <= 0 {
		max = DefaultMaxAffected
	}
	keys := make([]string, 0, min(len(ops), max))
	for i, op := range ops {
		if i == max {
			break
		}
		keys = append(keys, op.Key)
	}
	s := strings.Join(keys, ", ")
	if len(ops) > max {
		s += fmt.Sprintf(" and %d more", len(ops)-max)
	}
	return s
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// verdict is the one-word outcome of a result or report.
func verdict(failing int) string {
	if failing > 0 {
		return "FAIL"
	}
	return "OK"
}

// breakingLine is the human summary shared by text and markdown.
func breakingLine(s Summary) string {
	if s.Findings == 0 {
		return "no changes that matter to clients"
	}
	parts := []string{plural(s.Errors, "error"), plural(s.Warnings, "warning"), fmt.Sprintf("%d info", s.Info)}
	line := strings.Join(parts, ", ")
	if s.Accepted > 0 {
		line += fmt.Sprintf(" (%d accepted)", s.Accepted)
	}
	if s.Operations > 0 {
		line += fmt.Sprintf(", %s affected", plural(s.Operations, "operation"))
	}
	return line
}
