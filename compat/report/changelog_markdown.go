package report

import (
	"fmt"
	"io"
	"strings"
)

// ChangelogMarkdown writes the change logs for release notes or a PR: per
// contract a summary line, then one section per operation, webhook, channel
// or shared element, breaking entries first with what the partner must do.
func ChangelogMarkdown(w io.Writer, logs []Changelog) error {
	var b strings.Builder
	for i, cl := range logs {
		if i > 0 {
			b.WriteString("\n")
		}
		fmt.Fprintf(&b, "## Changes to %s: %s → %s\n\n", mdCode(cl.Contract), mdText(orDash(cl.Base.Version)), mdText(orDash(cl.Head.Version)))
		if cl.Note != "" {
			fmt.Fprintf(&b, "%s\n", mdText(upperFirst(cl.Note)+"."))
		} else {
			b.WriteString(summaryLine(cl.Counts) + "\n")
		}
		for _, g := range cl.Groups {
			fmt.Fprintf(&b, "\n### %s %s", groupLabel(g.Kind), mdCode(g.Name))
			if g.ID != "" && g.ID != g.Name {
				fmt.Fprintf(&b, " (%s)", mdCode(g.ID))
			}
			b.WriteString("\n\n")
			for _, c := range g.Changes {
				fmt.Fprintf(&b, "- **%s**: %s", kindLabel(c.Kind), mdText(c.Message))
				if at := below(g, c); at != "" {
					fmt.Fprintf(&b, " (at %s)", mdCode(at))
				}
				if c.Sunset != "" && c.Kind == ChangeDeprecated {
					fmt.Fprintf(&b, " — sunset **%s**", mdText(c.Sunset))
				}
				b.WriteString("\n")
				if c.Action != "" {
					fmt.Fprintf(&b, "  - What to do: %s\n", mdText(c.Action))
				}
				if len(c.Affected) > 0 {
					shown, more := affectedShown(c.Affected)
					codes := make([]string, len(shown))
					for i, a := range shown {
						codes[i] = mdCode(a)
					}
					fmt.Fprintf(&b, "  - Affects: %s%s\n", strings.Join(codes, ", "), more)
				}
			}
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func summaryLine(c ChangeCounts) string {
	var parts []string
	for _, p := range []struct {
		n    int
		word string
	}{{c.Breaking, "breaking"}, {c.MayBreak, "possibly breaking"}, {c.Deprecated, "deprecated"}, {c.Added, "added"}, {c.Other, "other"}} {
		if p.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", p.n, p.word))
		}
	}
	if len(parts) == 0 {
		return "No changes."
	}
	return strings.Join(parts, " · ")
}

func groupLabel(k GroupKind) string {
	switch k {
	case GroupWebhook:
		return "Webhook"
	case GroupChannel:
		return "Channel"
	case GroupShared:
		return "Shared"
	}
	return "Operation"
}

func kindLabel(k ChangeKind) string {
	switch k {
	case ChangeBreaking:
		return "Breaking"
	case ChangeMayBreak:
		return "May break"
	case ChangeDeprecated:
		return "Deprecated"
	case ChangeAdded:
		return "Added"
	}
	return "Changed"
}

// changelogMaxAffected is how many operations a shared change lists in
// markdown and HTML before "and N more" (JSON lists all): one Stripe schema
// reaches hundreds.
const changelogMaxAffected = 8

func affectedShown(all []string) ([]string, string) {
	if len(all) <= changelogMaxAffected {
		return all, ""
	}
	return all[:changelogMaxAffected], fmt.Sprintf(" and %d more", len(all)-changelogMaxAffected)
}

// below is where in a shared element the change is, when that is deeper
// than the element itself: "properties.card.properties.wallet".
func below(g ChangeGroup, c Change) string {
	if g.Kind != GroupShared {
		return ""
	}
	rest := strings.TrimPrefix(c.Subject, g.Name)
	return strings.TrimPrefix(rest, ".")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
