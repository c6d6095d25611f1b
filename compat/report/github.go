package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/accord-dev/accord/compat"
	"github.com/accord-dev/accord/internal/termsafe"
)

// GitHub writes GitHub Actions workflow commands: one annotation per
// finding at the head file's line, then a plain summary line per contract.
// Severity maps to the command (error, warning, notice); accepted findings
// are notices. A base-side finding (the element is gone from head) points at
// the nearest surviving place in head, or at the file without a line.
func GitHub(w io.Writer, r Report) error {
	bw := bufio.NewWriter(w)
	for _, res := range r.Results {
		for _, f := range ordered(res, r.FailOn) {
			cmd := "notice"
			switch {
			case f.Accepted != "":
			case f.Severity == compat.SeverityError:
				cmd = "error"
			case f.Severity == compat.SeverityWarning:
				cmd = "warning"
			}
			var props []string
			place := headPlace(res, f)
			if file := workTreePath(place.File); file != "" {
				props = append(props, "file="+ghProperty(file))
				if place.Line > 0 {
					props = append(props, fmt.Sprintf("line=%d", place.Line))
					if place.Col > 0 {
						props = append(props, fmt.Sprintf("col=%d", place.Col))
					}
				}
			}
			props = append(props, "title="+ghProperty("accord "+f.Rule))
			fmt.Fprintf(bw, "::%s %s::%s\n", cmd, strings.Join(props, ","), ghData(termsafe.String(githubAnnotation(r, res, f))))
		}
		s := Summarize(res, r.FailOn)
		// A plain line: a newline in the name must not start a workflow command.
		fmt.Fprintf(bw, "accord compat %s: %s: %s\n", termsafe.Line(res.Head.Name), breakingLine(s), verdict(s.Failing))
	}
	return bw.Flush()
}

// githubMessage is the annotation body: newlines are allowed there (escaped
// as %0A) and GitHub shows them, so details go on their own lines.
func githubMessage(res *compat.Result, f compat.Finding) string {
	lines := []string{f.Message, "subject: " + f.Subject}
	if f.Side == "base" {
		lines = append(lines, "removed; was at "+f.Pos.String())
	}
	if f.Before != "" || f.After != "" {
		lines = append(lines, "change: "+orDash(f.Before)+" → "+orDash(f.After))
	}
	if len(f.Affected) > 0 {
		lines = append(lines, fmt.Sprintf("affects %s: %s", plural(len(f.Affected), "operation"), affectedList(f.Affected, 10)))
	}
	if f.Accepted != "" {
		lines = append(lines, fmt.Sprintf("accepted (was %s): %s", f.OriginalSeverity, f.Accepted))
	}
	if a := f.ExpiredAcceptance; a != nil {
		lines = append(lines, fmt.Sprintf("acceptance expired on %s%s: %s", a.Expires, at(a.Source), a.Reason))
	}
	lines = append(lines, "fingerprint: "+f.Fingerprint)
	return strings.Join(lines, "\n")
}

// githubAnnotation is githubMessage plus the next step, so a reviewer can act
// from the annotation on the PR: the bump --allow-major accepts, or the
// accepted-breaks entry, in YAML flow style to keep the annotation short.
func githubAnnotation(r Report, res *compat.Result, f compat.Finding) string {
	lines := []string{githubMessage(res, f)}
	if s, ok := stepFor(r, res, f); ok {
		if s.Bump != "" {
			lines = append(lines, "next step: "+strings.ReplaceAll(s.Bump, "`", "")+", or accept it in "+AcceptFile+":")
		} else {
			lines = append(lines, "next step: accept it in "+AcceptFile+":")
		}
		lines = append(lines, "accepted:", "  "+s.entryFlow())
	}
	return strings.Join(lines, "\n")
}

// GitHub's runner decodes these escapes in workflow commands: in the message
// %, CR and LF; in property values also ':' and ',' which delimit them.
var (
	ghDataEscaper     = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A")
	ghPropertyEscaper = strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C")
)

func ghData(s string) string     { return ghDataEscaper.Replace(s) }
func ghProperty(s string) string { return ghPropertyEscaper.Replace(termsafe.String(s)) }
