package pact

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Formats lists the output formats Write accepts.
func Formats() []string { return []string{"text", "json"} }

// Write renders the report in a format.
func Write(w io.Writer, format string, r *Report) error {
	switch format {
	case "text":
		return writeText(w, r)
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			*Report
			Failed bool `json:"failed"`
		}{r, r.Failed()})
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats(), ", "))
}

func writeText(w io.Writer, r *Report) error {
	errs, warns := 0, 0
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			errs++
		} else {
			warns++
		}
		op := ""
		if f.Operation != "" {
			op = " (" + f.Operation + ")"
		}
		if _, err := fmt.Fprintf(w, "%s: %s: interaction %d %q: %s %s%s: %s: %s\n",
			f.Position, f.Severity, f.Index, f.Interaction, f.Method, f.Path, op, f.Kind, f.Message); err != nil {
			return err
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	verdict := "is valid against"
	if r.Failed() {
		verdict = "violates"
	}
	_, err := fmt.Fprintf(w, "pact %s (%s → %s, specification %s) %s %s: %d interactions, %d errors, %d warnings\n",
		r.Pact, orUnnamed(r.Consumer), orUnnamed(r.Provider), r.Spec, verdict, r.Contract, r.Interactions, errs, warns)
	return err
}

func orUnnamed(s string) string {
	if s == "" {
		return "unnamed"
	}
	return s
}
