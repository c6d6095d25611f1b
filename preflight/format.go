package preflight

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"unicode"
)

// Text writes the launch table for a terminal: one block per area, a row
// per check (yes/no, what, why), and under a "no" the items that decide it.
// color adds ANSI colours; the caller sets it only on a terminal.
func Text(w io.Writer, r Report, color bool) error {
	paint := func(code, s string) string {
		if !color {
			return s
		}
		return "\x1b[" + code + "m" + s + "\x1b[0m"
	}
	var b strings.Builder
	for i, a := range r.Areas {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(paint("1", a.Name) + "\n")
		for _, c := range a.Checks {
			mark := paint("32", "yes")
			if c.Status == No {
				mark = paint("31", "no ")
			}
			fmt.Fprintf(&b, "  %s  %s: %s\n", mark, clean(c.Title), clean(c.Why))
			for _, it := range c.Items {
				if c.Status == Yes && it.Status == Yes && len(c.Items) > 3 {
					continue // a long list of passes says nothing a summary does not
				}
				fmt.Fprintf(&b, "         %s %s%s\n", itemMark(it, paint), clean(it.Text), whereSuffix(it.Where, paint))
			}
		}
	}
	fmt.Fprintf(&b, "\n%s\n", summary(r))
	_, err := io.WriteString(w, b.String())
	return err
}

func itemMark(it Item, paint func(string, string) string) string {
	if it.Status == No {
		return paint("31", "✗")
	}
	return paint("32", "✓")
}

func whereSuffix(where string, paint func(string, string) string) string {
	if where == "" {
		return ""
	}
	return paint("2", "  ("+clean(where)+")")
}

func summary(r Report) string {
	total := 0
	for _, a := range r.Areas {
		total += len(a.Checks)
	}
	if f := r.Failed(); f > 0 {
		return fmt.Sprintf("preflight: %d of %d checks say no", f, total)
	}
	return fmt.Sprintf("preflight: all %d checks say yes", total)
}

// Markdown writes the table for a pull request: one table per area.
func Markdown(w io.Writer, r Report) error {
	var b strings.Builder
	if f := r.Failed(); f > 0 {
		fmt.Fprintf(&b, "### ❌ accord preflight: %d checks say no\n", f)
	} else {
		b.WriteString("### ✅ accord preflight: ready for launch\n")
	}
	for _, a := range r.Areas {
		fmt.Fprintf(&b, "\n#### %s\n\n| | check | why | where |\n|---|---|---|---|\n", md(a.Name))
		for _, c := range a.Checks {
			mark := "✅ yes"
			if c.Status == No {
				mark = "❌ no"
			}
			var where []string
			for _, it := range c.Items {
				if it.Where != "" && (c.Status == Yes || it.Status == No) && len(where) < 5 {
					where = append(where, "`"+strings.ReplaceAll(clean(it.Where), "`", "'")+"`")
				}
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s |\n", mark, md(c.Title), md(c.Why), strings.Join(where, "<br>"))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// JSON writes the report with a summary.
func JSON(w io.Writer, r Report) error {
	doc := struct {
		Passed bool   `json:"passed"`
		Failed int    `json:"failed"`
		Areas  []Area `json:"areas"`
	}{r.Failed() == 0, r.Failed(), r.Areas}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("encoding the preflight report: %w", err)
	}
	return nil
}

// clean escapes control characters a contract may carry, so that output
// cannot move the cursor or rewrite the terminal.
func clean(s string) string {
	if strings.IndexFunc(s, unicode.IsControl) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

var mdEscaper = strings.NewReplacer("|", "\\|", "<", "&lt;", ">", "&gt;", "*", "\\*", "_", "\\_", "`", "\\`", "[", "\\[", "]", "\\]")

func md(s string) string { return mdEscaper.Replace(clean(s)) }
