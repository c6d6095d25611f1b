package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/accord-dev/accord/compat"
	"github.com/accord-dev/accord/internal/termsafe"
)

// Text writes the human report: per contract, one block per root cause
// (severity, rule, message, subject, where in head, the change, affected
// operations collapsed after Options.MaxAffected, why it was accepted), then
// a summary line per contract and, for several contracts, an overall one.
func Text(w io.Writer, r Report, o Options) error {
	bw := bufio.NewWriter(w)
	p := paint(o.Color)
	for i, res := range r.Results {
		if i > 0 {
			bw.WriteString("\n")
		}
		writeTextResult(bw, p, r.FailOn, res, o.MaxAffected)
	}
	if len(r.Results) > 1 {
		t := total(r)
		fmt.Fprintf(bw, "\n%s: %s, %s in %s\n", p.bold("accord compat"), breakingLine(t),
			p.verdict(t.Failing, r.FailOn), plural(len(r.Results), "contract"))
	}
	return bw.Flush()
}

func writeTextResult(w *bufio.Writer, p painter, failOn compat.Severity, res *compat.Result, max int) {
	fmt.Fprintf(w, "%s %s → %s %s\n", p.bold(oneLine(res.Base.Name)), p.dim(oneLine(versionTag(res.Base.Version))),
		p.bold(oneLine(res.Head.Name)), p.dim(oneLine(versionTag(res.Head.Version))))
	for _, f := range ordered(res, failOn) {
		w.WriteString("\n")
		sev := string(f.Severity)
		if f.Accepted != "" {
			sev += " (accepted, was " + string(f.OriginalSeverity) + ")"
		}
		fmt.Fprintf(w, "%s %s %s\n", p.severity(f, failOn, sev), p.bold(f.Rule), oneLine(f.Message))
		field := func(name, value string) {
			if value != "" {
				fmt.Fprintf(w, "    %s %s\n", p.dim(fmt.Sprintf("%-9s", name)), oneLine(value))
			}
		}
		subject := f.Subject
		if f.Dir != compat.DirNone {
			subject += " (" + string(f.Dir) + ")"
		}
		field("subject", subject)
		field("at", textPlace(res, f))
		if f.Before != "" || f.After != "" {
			field("change", orDash(f.Before)+" → "+orDash(f.After))
		}
		if len(f.Affected) > 0 {
			field("affects", fmt.Sprintf("%s: %s", plural(len(f.Affected), "operation"), affectedList(f.Affected, max)))
		}
		field("accepted", f.Accepted)
		if a := f.ExpiredAcceptance; a != nil {
			field("expired", fmt.Sprintf("acceptance expired on %s%s: %s", a.Expires, at(a.Source), a.Reason))
		}
		field("id", f.Fingerprint)
	}
	for _, n := range res.Notes {
		fmt.Fprintf(w, "\n%s %s\n", p.yellow("note:"), oneLine(n))
	}
	s := Summarize(res, failOn)
	fmt.Fprintf(w, "\n%s: %s, %s\n", oneLine(res.Head.Name), breakingLine(s), p.verdict(s.Failing, failOn))
}

// textPlace says where to look in head, and for something removed where it
// was in base.
func textPlace(res *compat.Result, f compat.Finding) string {
	head := headPlace(res, f).String()
	if f.Side != "base" {
		return head
	}
	return fmt.Sprintf("%s (removed; was at %s)", head, f.Pos)
}

func at(source string) string {
	if source == "" {
		return ""
	}
	return " (" + source + ")"
}

func versionTag(v string) string {
	if v == "" {
		return ""
	}
	return "(" + v + ")"
}

func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// oneLine keeps a message with newlines from breaking the block layout, and
// escapes the control characters a contract's text may carry (the markdown
// and changelog formatters use it too).
func oneLine(s string) string {
	return termsafe.Line(strings.Join(strings.Fields(s), " "))
}

// painter colours terminal output; a zero painter prints plain text.
type painter struct{ on bool }

func paint(on bool) painter { return painter{on: on} }

func (p painter) wrap(code, s string) string {
	if !p.on || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func (p painter) bold(s string) string   { return p.wrap("1", s) }
func (p painter) dim(s string) string    { return p.wrap("2", s) }
func (p painter) red(s string) string    { return p.wrap("31", s) }
func (p painter) green(s string) string  { return p.wrap("32", s) }
func (p painter) yellow(s string) string { return p.wrap("33", s) }

func (p painter) severity(f compat.Finding, failOn compat.Severity, label string) string {
	switch {
	case compat.Fails(f, failOn) && f.Severity == compat.SeverityError:
		return p.red(label)
	case compat.Fails(f, failOn), f.Severity == compat.SeverityWarning:
		return p.yellow(label)
	}
	return p.dim(label)
}

func (p painter) verdict(failing int, failOn compat.Severity) string {
	if failing == 0 {
		return p.green("OK") + fmt.Sprintf(" (--fail-on %s)", failOn)
	}
	return p.red("FAIL") + fmt.Sprintf(": %s at or above %s", plural(failing, "breaking finding"), failOn)
}
