package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/accord-dev/accord/compat"
)

// markdownBudget keeps a PR comment under GitHub's 65,536-character limit
// for a comment body, with room for a bot's own header.
const markdownBudget = 60000

// Markdown writes a PR comment: a headline, a summary table with one row per
// contract, then each contract's findings inside a collapsed <details>. When
// the details would not fit in one comment, the rest are counted instead of
// listed (failing findings come first, so they are the ones shown).
func Markdown(w io.Writer, r Report, o Options) error {
	var b strings.Builder
	t := total(r)
	if t.Failing > 0 {
		fmt.Fprintf(&b, "### ❌ accord compat: %s\n\n", plural(t.Failing, "breaking change"))
	} else {
		fmt.Fprintf(&b, "### ✅ accord compat: no breaking changes\n\n")
	}
	b.WriteString("| contract | base → head | errors | warnings | info | accepted | operations | result |\n")
	b.WriteString("|---|---|--:|--:|--:|--:|--:|---|\n")
	for _, res := range r.Results {
		s := Summarize(res, r.FailOn)
		fmt.Fprintf(&b, "| %s | %s → %s | %d | %d | %d | %d | %d | %s |\n",
			mdCode(res.Head.Name), mdCell(orDash(res.Base.Version)), mdCell(orDash(res.Head.Version)),
			s.Errors, s.Warnings, s.Info, s.Accepted, s.Operations, mdVerdict(s.Failing))
	}
	fmt.Fprintf(&b, "\nFails on: `%s` and above. Accepted breaks count as info.\n", r.FailOn)

	for _, res := range r.Results {
		fs := ordered(res, r.FailOn)
		if len(fs) == 0 && len(res.Notes) == 0 {
			continue
		}
		s := Summarize(res, r.FailOn)
		fmt.Fprintf(&b, "\n<details><summary><b>%s</b>: %s</summary>\n\n", mdHTML(res.Head.Name), mdHTML(breakingLine(s)))
		for i, f := range fs {
			var item strings.Builder
			writeMarkdownFinding(&item, r, res, f, o.MaxAffected)
			if b.Len()+item.Len() > markdownBudget {
				fmt.Fprintf(&b, "- … and %d more findings: run `accord compat` locally or use `--format json` for all of them.\n", len(fs)-i)
				break
			}
			b.WriteString(item.String())
		}
		for _, n := range res.Notes {
			fmt.Fprintf(&b, "\n> **Note:** %s\n", mdText(n))
		}
		b.WriteString("\n</details>\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func writeMarkdownFinding(b *strings.Builder, r Report, res *compat.Result, f compat.Finding, max int) {
	failOn := r.FailOn
	icon := "ℹ️"
	switch {
	case compat.Fails(f, failOn) && f.Severity == compat.SeverityError:
		icon = "🔴"
	case compat.Fails(f, failOn), f.Severity == compat.SeverityWarning:
		icon = "🟡"
	}
	fmt.Fprintf(b, "- %s **%s** %s %s\n", icon, f.Severity, mdCode(f.Rule), mdText(oneLine(f.Message)))
	fmt.Fprintf(b, "  - subject: %s", mdCode(f.Subject))
	if f.Dir != compat.DirNone {
		fmt.Fprintf(b, " (%s)", f.Dir)
	}
	fmt.Fprintf(b, " at %s", mdCode(headPlace(res, f).String()))
	if f.Side == "base" {
		fmt.Fprintf(b, " (removed; was at %s)", mdCode(f.Pos.String()))
	}
	b.WriteString("\n")
	if f.Before != "" || f.After != "" {
		fmt.Fprintf(b, "  - change: %s → %s\n", mdCode(orDash(f.Before)), mdCode(orDash(f.After)))
	}
	if len(f.Affected) > 0 {
		fmt.Fprintf(b, "  - affects %s: %s\n", plural(len(f.Affected), "operation"), mdText(affectedList(f.Affected, max)))
	}
	if f.Accepted != "" {
		fmt.Fprintf(b, "  - accepted (was %s): %s\n", f.OriginalSeverity, mdText(f.Accepted))
	}
	if a := f.ExpiredAcceptance; a != nil {
		fmt.Fprintf(b, "  - ⚠️ acceptance expired on %s", a.Expires)
		if a.Source != "" {
			fmt.Fprintf(b, " (%s)", mdCode(a.Source))
		}
		fmt.Fprintf(b, ": %s\n", mdText(a.Reason))
	}
	fmt.Fprintf(b, "  - fingerprint: %s\n", mdCode(f.Fingerprint))
	if s, ok := stepFor(r, res, f); ok {
		writeMarkdownStep(b, s)
	}
}

// writeMarkdownStep tells the reviewer how to make the finding pass: the
// version bump --allow-major accepts, or the exact accepted-breaks entry,
// in a fenced block GitHub offers to copy.
func writeMarkdownStep(b *strings.Builder, s nextStep) {
	b.WriteString("  - next step: ")
	if s.Bump != "" {
		b.WriteString(s.Bump + ", or accept")
	} else {
		b.WriteString("accept")
	}
	fmt.Fprintf(b, " it under `accepted:` in `%s`:\n\n", AcceptFile)
	b.WriteString("    ```yaml\n")
	for _, line := range strings.SplitAfter(s.Entry, "\n") {
		if line != "" {
			b.WriteString("    " + line)
		}
	}
	b.WriteString("    ```\n")
}

func mdVerdict(failing int) string {
	if failing > 0 {
		return fmt.Sprintf("❌ %d failing", failing)
	}
	return "✅ ok"
}

// mdCode renders s as inline code, with a fence longer than any run of
// backticks inside it (CommonMark's rule), and without breaking a table.
func mdCode(s string) string {
	if s == "" {
		return "—"
	}
	s = strings.ReplaceAll(oneLine(s), "|", "\\|")
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		s = " " + s + " "
	}
	return fence + s + fence
}

// mdText escapes what would turn plain text into markup or HTML: contract
// authors write the messages' quoted values, and a PR comment must not
// render their HTML or break its own table.
var mdEscaper = strings.NewReplacer(
	"\\", "\\\\", "`", "\\`", "*", "\\*", "_", "\\_", "[", "\\[", "]", "\\]",
	"<", "&lt;", ">", "&gt;", "&", "&amp;", "|", "\\|", "#", "\\#",
)

func mdText(s string) string { return mdEscaper.Replace(oneLine(s)) }

func mdCell(s string) string { return mdText(s) }

// mdHTML escapes text placed inside raw HTML (<summary>), where markdown
// escapes are not interpreted.
var htmlEscaper = strings.NewReplacer("<", "&lt;", ">", "&gt;", "&", "&amp;", `"`, "&quot;")

func mdHTML(s string) string { return htmlEscaper.Replace(oneLine(s)) }
