// Package preflight checks the launch list of an integration: the things
// that, when missing, turn launch day into an incident (retries that charge
// twice, budgets past the SLO, unsigned webhooks, secrets in the contract,
// no compat gate, no way to see or stop what runs). It reads loaded
// contracts, accord.yaml and facts about the repository it is given; it
// never loads contracts or runs git itself (cmd/accord does), and it
// prints nothing: Run returns a Report that the formatters render.
package preflight

import (
	"io/fs"

	"github.com/accord-dev/accord/config"
	"github.com/accord-dev/accord/contracts"
)

// Input is everything the checks look at.
type Input struct {
	// Targets are the contracts to check: the integrations of accord.yaml,
	// or the contracts named on the command line.
	Targets []Target
	// Config is accord.yaml when one was read; ConfigText is its bytes, for
	// the secret scan.
	Config     *config.Config
	ConfigText []byte
	// Repo describes the repository the contracts live in.
	Repo Repo
	// BaseRev is the revision "no breaking change" compares against; ""
	// when none was given.
	BaseRev string
}

// Target is one contract and what is known about how it is used.
type Target struct {
	// Name is the integration's name, or the contract path.
	Name string
	Doc  *contracts.Document
	// File is the contract's path relative to the repository root (slash
	// separated), "" when it is outside the repository or read from stdin.
	File string
	// Integration is the accord.yaml entry; nil for a contract named on the
	// command line (its output directory is then unknown).
	Integration *config.Integration
	// RuntimeImport is the import path gen gives the integration's runtime
	// package (generator.RuntimeImportPath); "" when there is no output to
	// compare with, and any path serves to look into the generated code.
	RuntimeImport string
	// Base is the contract at BaseRev; nil when there is no BaseRev or the
	// contract is new there (BaseNew).
	Base    *contracts.Document
	BaseNew bool
}

// Repo is the repository, as far as the checks need it.
type Repo struct {
	// FS reads files by slash path relative to the repository root (CI
	// configuration, the application's Go code); nil when unknown.
	FS fs.FS
	// Tracked holds the paths git tracks, relative to the root; nil when the
	// directory is not a git work tree.
	Tracked map[string]bool
}

// Status is a check's verdict. A launch list has two answers: a check that
// cannot be made is a "no" that says why.
type Status string

const (
	Yes Status = "yes"
	No  Status = "no"
)

// Report is the launch table: one block per area, in a fixed order.
type Report struct {
	Areas []Area `json:"areas"`
}

// Area is one block of the table.
type Area struct {
	Name   string  `json:"name"`
	Checks []Check `json:"checks"`
}

// Check is one row: a verdict, why, and where (the items that decide it,
// each with its position).
type Check struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status Status `json:"status"`
	Why    string `json:"why"`
	Items  []Item `json:"items,omitempty"`
}

// Item is one thing a check looked at.
type Item struct {
	Status Status `json:"status"`
	Text   string `json:"text"`
	// Where is file:line (or a file) when the item has a place.
	Where string `json:"where,omitempty"`
}

// Failed counts the checks that said no.
func (r Report) Failed() int {
	n := 0
	for _, a := range r.Areas {
		for _, c := range a.Checks {
			if c.Status == No {
				n++
			}
		}
	}
	return n
}

// Check returns the check with the given ID.
func (r Report) Check(id string) (Check, bool) {
	for _, a := range r.Areas {
		for _, c := range a.Checks {
			if c.ID == id {
				return c, true
			}
		}
	}
	return Check{}, false
}

// Run makes every check.
func Run(in Input) Report {
	s := newState(in)
	return Report{Areas: []Area{
		{Name: "Idempotency", Checks: []Check{s.idempotencyKeyed(), s.sharedStore()}},
		{Name: "Retries and timeouts", Checks: []Check{s.timeoutBelowBudget(), s.budgetWithinSLO(), s.retriesAtMost2(), s.jitter(), s.retryBudget()}},
		{Name: "Security", Checks: []Check{s.signatureFreshness(), s.noLiteralSecrets(), s.httpsServers(), s.authDeclared()}},
		{Name: "Contracts", Checks: []Check{s.tracked(), s.compatInCI(), s.generatedFresh(), s.noBreakingChange()}},
		{Name: "Observability", Checks: []Check{s.traceIDs(), s.metricsWired(), s.healthEndpoint()}},
		{Name: "Rollback", Checks: []Check{s.killSwitches(), s.sandboxServer()}},
	}}
}

// verdict builds a check from its items: yes when every item is yes (and
// there is at least one, unless empty says why that is fine).
func verdict(id, title string, items []Item, yesWhy, noWhy, empty string) Check {
	c := Check{ID: id, Title: title, Items: items, Status: Yes, Why: yesWhy}
	if len(items) == 0 {
		c.Why = empty
		if empty == "" {
			c.Status, c.Why = No, noWhy
		}
		return c
	}
	for _, it := range items {
		if it.Status == No {
			c.Status, c.Why = No, noWhy
			break
		}
	}
	return c
}

func yes(text, where string) Item { return Item{Status: Yes, Text: text, Where: where} }
func no(text, where string) Item  { return Item{Status: No, Text: text, Where: where} }
