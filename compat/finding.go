// Package compat compares two versions of a contract and reports the changes
// that break existing clients or consumers. It never reads files and never
// prints: callers load contracts.Documents and format the Result.
package compat

import "github.com/accord-dev/accord/contracts"

// Severity ranks a finding; --fail-on compares against it.
type Severity string

const (
	// SeverityError breaks existing clients or consumers on the wire (or,
	// under the sdk profile, breaks generated clients' source).
	SeverityError Severity = "error"
	// SeverityWarning may break some clients, depending on how they are written.
	SeverityWarning Severity = "warning"
	// SeverityInfo is worth knowing but breaks nobody, or was accepted.
	SeverityInfo Severity = "info"
)

// Rank orders severities so thresholds can be compared: info < warning < error.
func (s Severity) Rank() int {
	switch s {
	case SeverityError:
		return 3
	case SeverityWarning:
		return 2
	case SeverityInfo:
		return 1
	}
	return 0
}

// Direction says which way data flows through the changed element.
type Direction string

const (
	// DirRequest: clients write it (OpenAPI requests; AsyncAPI messages the
	// application receives, written by producers). Narrowing it breaks them.
	DirRequest Direction = "request"
	// DirResponse: clients read it (OpenAPI responses; AsyncAPI messages the
	// application sends, read by consumers). Loosening it breaks them.
	DirResponse Direction = "response"
	// DirNone: not about data (an operation or channel itself, security).
	DirNone Direction = ""
)

// Operation names an affected operation: "POST /v1/payments" for OpenAPI,
// "send customer.updated" for AsyncAPI.
type Operation struct {
	// Key is the display form, also the sort key.
	Key string `json:"key"`
	// ID is the operationId when there is one.
	ID string `json:"id,omitempty"`
}

// Finding is one root cause: one changed element, with every operation it
// affects. A schema component edited once is one finding, however many
// operations and recursive paths reach it.
type Finding struct {
	// Rule is the rule's ID: kebab-case, stable across releases.
	Rule     string    `json:"rule"`
	Severity Severity  `json:"severity"`
	Category string    `json:"category"`
	Message  string    `json:"message"`
	Dir      Direction `json:"direction,omitempty"`
	// Subject is the changed element in readable form, e.g.
	// "components.schemas.Payment.properties.amount_minor" or "POST /v1/payments".
	Subject string `json:"subject"`
	// Before and After are short renderings of the changed value, when useful.
	Before string `json:"before,omitempty"`
	After  string `json:"after,omitempty"`
	// Side says which document Pointer and Pos refer to: "head", or "base"
	// for something that no longer exists in head.
	Side    string             `json:"side"`
	Pointer string             `json:"pointer"`
	Pos     contracts.Position `json:"position"`
	// Affected lists every operation that reaches the changed element, sorted.
	Affected []Operation `json:"affected"`
	// Fingerprint identifies the finding across runs for the accepted-breaks
	// file: it hashes the rule, the subject and the change, not positions.
	Fingerprint string `json:"fingerprint"`
	// Sunset is the removed element's x-sunset date (YYYY-MM-DD) when base
	// marked it deprecated with one.
	Sunset string `json:"sunset,omitempty"`
	// Accepted says why a breaking finding was downgraded to info, if it was.
	Accepted string `json:"accepted,omitempty"`
	// OriginalSeverity is the rule's severity before any downgrade.
	OriginalSeverity Severity `json:"originalSeverity,omitempty"`
	// ExpiredAcceptance is set when an accepted-breaks entry matched this
	// finding but has expired: the finding counts again, and reports say so.
	ExpiredAcceptance *Acceptance `json:"expiredAcceptance,omitempty"`
	// HeadPos is, for a base-side finding, the nearest place in head where
	// the element used to be (its closest surviving ancestor), so annotations
	// can point at the file under review. Nil when head has no such place.
	HeadPos *contracts.Position `json:"headPosition,omitempty"`
}

// Result is the outcome of a comparison.
type Result struct {
	Base     DocInfo        `json:"base"`
	Head     DocInfo        `json:"head"`
	Kind     contracts.Kind `json:"kind"`
	Findings []Finding      `json:"findings"`
	// Notes are things the policy pass could not do and wants said, e.g.
	// "--allow-major: info.version 2023-08-16 is not semver, so it has no
	// major version".
	Notes []string `json:"notes,omitempty"`
}

// DocInfo identifies one side of the comparison.
type DocInfo struct {
	Name    string `json:"name"`
	Version string `json:"version"` // info.version
}
