package report

import (
	"encoding/json"
	"io"

	"github.com/accord-dev/accord/compat"
	"github.com/accord-dev/accord/contracts"
)

// SchemaVersion is the JSON report's schema version (see SCHEMA.md). It
// changes only when a field is removed, renamed or changes meaning; adding a
// field keeps it.
const SchemaVersion = 1

// The JSON types below are the schema. They are deliberately separate from
// compat.Finding: a field added to the engine's types does not appear in
// scripts' input until it is mapped here and documented in SCHEMA.md.

type jsonReport struct {
	SchemaVersion int              `json:"schemaVersion"`
	Tool          jsonTool         `json:"tool"`
	FailOn        compat.Severity  `json:"failOn"`
	Failed        bool             `json:"failed"`
	Summary       Summary          `json:"summary"`
	Comparisons   []jsonComparison `json:"comparisons"`
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type jsonComparison struct {
	Kind     contracts.Kind `json:"kind"`
	Base     jsonSide       `json:"base"`
	Head     jsonSide       `json:"head"`
	Failed   bool           `json:"failed"`
	Summary  Summary        `json:"summary"`
	Notes    []string       `json:"notes"`
	Findings []jsonFinding  `json:"findings"`
}

type jsonSide struct {
	Name    string `json:"name"`
	Version string `json:"version"`
}

type jsonFinding struct {
	Fingerprint       string           `json:"fingerprint"`
	Rule              string           `json:"rule"`
	Severity          compat.Severity  `json:"severity"`
	OriginalSeverity  compat.Severity  `json:"originalSeverity"`
	Failing           bool             `json:"failing"`
	Category          string           `json:"category"`
	Message           string           `json:"message"`
	Direction         compat.Direction `json:"direction,omitempty"`
	Subject           string           `json:"subject"`
	Before            string           `json:"before,omitempty"`
	After             string           `json:"after,omitempty"`
	Side              string           `json:"side"`
	Pointer           string           `json:"pointer"`
	Position          jsonPosition     `json:"position"`
	HeadPosition      *jsonPosition    `json:"headPosition,omitempty"`
	Affected          []jsonOperation  `json:"affected"`
	Sunset            string           `json:"sunset,omitempty"`
	Accepted          string           `json:"accepted,omitempty"`
	ExpiredAcceptance *jsonExpired     `json:"expiredAcceptance,omitempty"`
}

type jsonPosition struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

type jsonOperation struct {
	Key string `json:"key"`
	ID  string `json:"id,omitempty"`
}

type jsonExpired struct {
	Expires string `json:"expires"`
	Reason  string `json:"reason"`
	Source  string `json:"source,omitempty"`
}

// JSON writes the machine-readable report described in SCHEMA.md.
func JSON(w io.Writer, r Report) error {
	out := jsonReport{
		SchemaVersion: SchemaVersion,
		Tool:          jsonTool{Name: "accord", Version: r.ToolVersion},
		FailOn:        r.FailOn,
		Summary:       total(r),
		Comparisons:   make([]jsonComparison, 0, len(r.Results)),
	}
	out.Failed = out.Summary.Failing > 0
	for _, res := range r.Results {
		s := Summarize(res, r.FailOn)
		c := jsonComparison{
			Kind:     res.Kind,
			Base:     jsonSide(res.Base),
			Head:     jsonSide(res.Head),
			Failed:   s.Failing > 0,
			Summary:  s,
			Notes:    append([]string{}, res.Notes...),
			Findings: make([]jsonFinding, 0, len(res.Findings)),
		}
		for _, f := range ordered(res, r.FailOn) {
			c.Findings = append(c.Findings, toJSONFinding(f, r.FailOn))
		}
		out.Comparisons = append(out.Comparisons, c)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(out)
}

func toJSONFinding(f compat.Finding, failOn compat.Severity) jsonFinding {
	j := jsonFinding{
		Fingerprint:      f.Fingerprint,
		Rule:             f.Rule,
		Severity:         f.Severity,
		OriginalSeverity: f.OriginalSeverity,
		Failing:          compat.Fails(f, failOn),
		Category:         f.Category,
		Message:          f.Message,
		Direction:        f.Dir,
		Subject:          f.Subject,
		Before:           f.Before,
		After:            f.After,
		Side:             f.Side,
		Pointer:          f.Pointer,
		Position:         jsonPosition(f.Pos),
		Affected:         make([]jsonOperation, len(f.Affected)),
		Sunset:           f.Sunset,
		Accepted:         f.Accepted,
	}
	if j.OriginalSeverity == "" {
		j.OriginalSeverity = f.Severity
	}
	if j.Side == "" {
		j.Side = "head"
	}
	if f.HeadPos != nil {
		p := jsonPosition(*f.HeadPos)
		j.HeadPosition = &p
	}
	for i, op := range f.Affected {
		j.Affected[i] = jsonOperation(op)
	}
	if a := f.ExpiredAcceptance; a != nil {
		j.ExpiredAcceptance = &jsonExpired{Expires: a.Expires, Reason: a.Reason, Source: a.Source}
	}
	return j
}
