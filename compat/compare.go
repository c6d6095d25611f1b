package compat

import "github.com/accord-dev/accord/contracts"

// Profile chooses which changes count as breaking.
type Profile string

const (
	// ProfileWire: only what breaks clients on the wire (the default).
	ProfileWire Profile = "wire"
	// ProfileSDK: also what breaks generated clients' source code.
	ProfileSDK Profile = "sdk"
)

// Options tune a comparison.
type Options struct {
	Profile Profile
}

// Compare reports what changed from base to head that matters to clients.
// STUB: replaced by the compat engine.
func Compare(base, head *contracts.Document, opts Options) (*Result, error) {
	return &Result{Kind: head.Kind, Findings: []Finding{}}, nil
}
