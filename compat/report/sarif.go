package report

import (
	"encoding/json"
	"io"
	"strings"

	"github.com/accord-dev/accord/compat"
)

// SARIF constants: the version GitHub code scanning and most viewers read,
// and the OASIS schema for it.
const (
	sarifVersion = "2.1.0"
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	// sarifFingerprintKey names accord's fingerprint among a result's
	// partialFingerprints; code scanning tracks an alert across commits by it.
	sarifFingerprintKey = "accordFingerprint/v1"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifRule struct {
	ID                   string        `json:"id"`
	ShortDescription     sarifText     `json:"shortDescription"`
	FullDescription      *sarifText    `json:"fullDescription,omitempty"`
	Help                 *sarifText    `json:"help,omitempty"`
	DefaultConfiguration sarifRuleConf `json:"defaultConfiguration"`
}

type sarifRuleConf struct {
	Level string `json:"level"`
}

type sarifText struct {
	Text string `json:"text"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations,omitempty"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          sarifProperties    `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysical  `json:"physicalLocation"`
	LogicalLocations []sarifLogical `json:"logicalLocations,omitempty"`
}

type sarifPhysical struct {
	ArtifactLocation sarifArtifact `json:"artifactLocation"`
	Region           *sarifRegion  `json:"region,omitempty"`
}

type sarifArtifact struct {
	URI       string `json:"uri"`
	URIBaseID string `json:"uriBaseId,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogical struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Justification string `json:"justification"`
}

type sarifProperties struct {
	Subject string `json:"subject"`
	Side    string `json:"side"`
	// Affected lists at most sarifMaxAffected operations, AffectedCount all
	// of them: a schema shared by hundreds of operations would otherwise
	// repeat them in every result and push big APIs' logs past code
	// scanning's upload limit. The JSON report has the full lists.
	Affected      []string `json:"affected"`
	AffectedCount int      `json:"affectedCount"`
}

const sarifMaxAffected = 50

// SARIF writes a SARIF 2.1.0 log with one run: the driver lists every rule
// of the registry (plus any rule a finding names that the registry does not
// know), and each finding is a result at the head file's line. Accepted
// findings carry an external suppression with the acceptance reason, which
// code scanning shows as a dismissed alert rather than hiding the history.
func SARIF(w io.Writer, r Report) error {
	rules := rulesFor(r)
	index := make(map[string]int, len(rules))
	run := sarifRun{
		Tool: sarifTool{Driver: sarifDriver{
			Name: "accord", Version: r.ToolVersion,
			InformationURI: "https://github.com/accord-dev/accord",
			Rules:          make([]sarifRule, len(rules)),
		}},
		Results: []sarifResult{},
	}
	for i, m := range rules {
		index[m.ID] = i
		rule := sarifRule{ID: m.ID, ShortDescription: sarifText{m.Summary},
			DefaultConfiguration: sarifRuleConf{sarifLevel(m.Severity)}}
		if m.Impact != "" {
			rule.FullDescription = &sarifText{m.Impact}
		}
		if m.Mitigation != "" {
			rule.Help = &sarifText{m.Mitigation}
		}
		run.Tool.Driver.Rules[i] = rule
	}
	// An exploded report repeats a root cause's fingerprint once per
	// operation; code scanning would merge such results, so they get the
	// operation appended to stay distinct.
	seen := map[string]int{}
	for _, res := range r.Results {
		for _, f := range res.Findings {
			seen[f.Fingerprint]++
		}
	}
	for _, res := range r.Results {
		for _, f := range ordered(res, r.FailOn) {
			run.Results = append(run.Results, sarifResultFor(res, f, index[f.Rule], seen[f.Fingerprint] > 1))
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
}

func sarifResultFor(res *compat.Result, f compat.Finding, ruleIndex int, repeated bool) sarifResult {
	fp := f.Fingerprint
	if repeated && len(f.Affected) == 1 {
		fp += "/" + f.Affected[0].Key
	}
	out := sarifResult{
		RuleID: f.Rule, RuleIndex: ruleIndex, Level: sarifLevel(f.Severity),
		Message:             sarifText{githubMessage(res, f)},
		PartialFingerprints: map[string]string{sarifFingerprintKey: fp},
		Properties: sarifProperties{Subject: f.Subject, Side: orHead(f.Side),
			Affected: make([]string, 0, min(len(f.Affected), sarifMaxAffected)), AffectedCount: len(f.Affected)},
	}
	for _, op := range f.Affected[:min(len(f.Affected), sarifMaxAffected)] {
		out.Properties.Affected = append(out.Properties.Affected, op.Key)
	}
	if f.Accepted != "" {
		out.Level = sarifLevel(f.OriginalSeverity)
		out.Suppressions = []sarifSuppression{{Kind: "external", Justification: f.Accepted}}
	}
	place := headPlace(res, f)
	if uri := workTreePath(place.File); uri != "" {
		loc := sarifLocation{PhysicalLocation: sarifPhysical{ArtifactLocation: sarifArtifact{URI: uri}}}
		if !strings.HasPrefix(uri, "/") {
			loc.PhysicalLocation.ArtifactLocation.URIBaseID = "%SRCROOT%"
		}
		if place.Line > 0 {
			loc.PhysicalLocation.Region = &sarifRegion{StartLine: place.Line, StartColumn: place.Col}
		}
		if f.Subject != "" {
			loc.LogicalLocations = []sarifLogical{{FullyQualifiedName: f.Subject, Kind: "member"}}
		}
		out.Locations = []sarifLocation{loc}
	}
	return out
}

// sarifLevel maps a severity to SARIF's level: info is a "note".
func sarifLevel(s compat.Severity) string {
	switch s {
	case compat.SeverityError:
		return "error"
	case compat.SeverityWarning:
		return "warning"
	}
	return "note"
}

func orHead(side string) string {
	if side == "" {
		return "head"
	}
	return side
}
