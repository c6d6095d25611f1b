package verify

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"strings"
)

// Formats lists the output formats Write accepts.
func Formats() []string { return []string{"text", "json", "markdown", "junit", "sarif"} }

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
	case "markdown":
		return writeMarkdown(w, r)
	case "junit":
		return writeJUnit(w, r)
	case "sarif":
		return writeSARIF(w, r)
	}
	return fmt.Errorf("unknown format %q (want %s)", format, strings.Join(Formats(), ", "))
}

func counts(r *Report) (errs, warns int) {
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			errs++
		} else {
			warns++
		}
	}
	return errs, warns
}

func writeText(w io.Writer, r *Report) error {
	for _, f := range r.Findings {
		if _, err := fmt.Fprintf(w, "%s: %s: %s %s (%s): %s: %s\n", f.Pos, f.Severity, f.Method, f.Path, f.Operation, f.Kind, f.Message); err != nil {
			return err
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	errs, warns := counts(r)
	verdict := "conforms to"
	if r.Failed() {
		verdict = "violates"
	}
	_, err := fmt.Fprintf(w, "%s %s %s: %d operations checked with %d requests, %d errors, %d warnings\n",
		r.Target, verdict, r.Contract, len(r.Checked), r.Requests, errs, warns)
	return err
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "<", "&lt;", ">", "&gt;").Replace(s)
}

func writeMarkdown(w io.Writer, r *Report) error {
	errs, warns := counts(r)
	status := "✅ conforms"
	if r.Failed() {
		status = "❌ violates the contract"
	}
	fmt.Fprintf(w, "## accord verify: %s\n\n`%s` against `%s`: %d operations, %d requests, %d errors, %d warnings.\n\n",
		status, mdEscape(r.Target), mdEscape(r.Contract), len(r.Checked), r.Requests, errs, warns)
	if len(r.Findings) > 0 {
		fmt.Fprintln(w, "| severity | operation | check | status | finding |")
		fmt.Fprintln(w, "|---|---|---|---|---|")
		for _, f := range r.Findings {
			fmt.Fprintf(w, "| %s | `%s` %s %s | %s | %d | %s |\n", f.Severity, mdEscape(f.Operation), f.Method, mdEscape(f.Path), f.Kind, f.Status, mdEscape(f.Message))
		}
		fmt.Fprintln(w)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "- %s\n", mdEscape(n))
	}
	return nil
}

type junitSuites struct {
	XMLName xml.Name     `xml:"testsuites"`
	Suites  []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string         `xml:"name,attr"`
	ClassName string         `xml:"classname,attr"`
	Failures  []junitFailure `xml:"failure"`
}

type junitFailure struct {
	Type    string `xml:"type,attr"`
	Message string `xml:"message,attr"`
	Text    string `xml:",chardata"`
}

// writeJUnit makes one test case per checked operation, failing with its
// error findings, so CI dashboards list operations.
func writeJUnit(w io.Writer, r *Report) error {
	suite := junitSuite{Name: "accord verify " + r.Contract}
	byOp := map[string][]Finding{}
	for _, f := range r.Findings {
		byOp[f.Operation] = append(byOp[f.Operation], f)
	}
	for _, id := range r.Checked {
		c := junitCase{Name: id, ClassName: r.Contract}
		for _, f := range byOp[id] {
			if f.Severity != SeverityError {
				continue
			}
			c.Failures = append(c.Failures, junitFailure{Type: f.Kind, Message: f.Message, Text: fmt.Sprintf("%s %s: %s", f.Method, f.Path, f.Message)})
		}
		if len(c.Failures) > 0 {
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(junitSuites{Suites: []junitSuite{suite}}); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// writeSARIF emits SARIF 2.1.0 with one rule per kind and results located
// at the operation in the contract.
func writeSARIF(w io.Writer, r *Report) error {
	type region struct {
		StartLine   int `json:"startLine,omitempty"`
		StartColumn int `json:"startColumn,omitempty"`
	}
	type location struct {
		PhysicalLocation struct {
			ArtifactLocation struct {
				URI string `json:"uri"`
			} `json:"artifactLocation"`
			Region *region `json:"region,omitempty"`
		} `json:"physicalLocation"`
	}
	type result struct {
		RuleID    string            `json:"ruleId"`
		Level     string            `json:"level"`
		Message   map[string]string `json:"message"`
		Locations []location        `json:"locations"`
	}
	type rule struct {
		ID               string            `json:"id"`
		ShortDescription map[string]string `json:"shortDescription"`
	}
	descriptions := map[string]string{
		KindUndeclaredStatus:   "The provider answered with a status the contract does not declare",
		KindInvalidBody:        "The answer's body does not match the declared schema",
		KindMissingHeader:      "The answer lacks a required header",
		KindInvalidHeader:      "A header of the answer does not match its schema",
		KindNoIdempotentReplay: "A repeated Idempotency-Key did not replay the first answer",
		KindServerError:        "A valid request got a 5xx",
		KindServerErrorInvalid: "Invalid input got a 5xx instead of a 4xx",
		KindAcceptedInvalid:    "Invalid input was accepted",
		KindRequestFailed:      "The request failed at the transport",
	}
	var rules []rule
	seen := map[string]bool{}
	var results []result
	for _, f := range r.Findings {
		if !seen[f.Kind] {
			seen[f.Kind] = true
			rules = append(rules, rule{ID: f.Kind, ShortDescription: map[string]string{"text": descriptions[f.Kind]}})
		}
		var loc location
		loc.PhysicalLocation.ArtifactLocation.URI = f.Pos.File
		if loc.PhysicalLocation.ArtifactLocation.URI == "" {
			loc.PhysicalLocation.ArtifactLocation.URI = r.Contract
		}
		if f.Pos.Line > 0 {
			loc.PhysicalLocation.Region = &region{StartLine: f.Pos.Line, StartColumn: f.Pos.Col}
		}
		level := "error"
		if f.Severity != SeverityError {
			level = "warning"
		}
		results = append(results, result{RuleID: f.Kind, Level: level, Locations: []location{loc},
			Message: map[string]string{"text": fmt.Sprintf("%s (%s %s): %s", f.Operation, f.Method, f.Path, f.Message)}})
	}
	if results == nil {
		results = []result{}
	}
	doc := map[string]any{
		"$schema": "https://json.schemastore.org/sarif-2.1.0.json",
		"version": "2.1.0",
		"runs": []any{map[string]any{
			"tool":    map[string]any{"driver": map[string]any{"name": "accord verify", "informationUri": "https://github.com/accord-dev/accord", "rules": rules}},
			"results": results,
		}},
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(doc)
}
