package compat

import (
	"fmt"
	"strings"

	"github.com/accord-dev/accord/compat/rules"
	"github.com/accord-dev/accord/contracts"
)

// asyncDirs returns the direction of an operation's messages and of its
// replies: from the action (what the application sends, consumers read),
// unless Options.MessageDir judges every message one way.
func (e *engine) asyncDirs(a contracts.Action) (msgs, replies rules.Direction) {
	if e.msgDir == rules.Request || e.msgDir == rules.Response {
		return e.msgDir, e.msgDir
	}
	msgs = asyncDir(a)
	replies = rules.Request
	if msgs == rules.Request {
		replies = rules.Response
	}
	return msgs, replies
}

// Mode is a schema registry's compatibility mode, as Confluent's registry
// names them: which versions a new version must be compatible with, and in
// which direction.
type Mode struct {
	// Name is the canonical upper-case name (BACKWARD, FULL_TRANSITIVE, ...).
	Name string
	// Backward: consumers on the new version read what producers on an
	// older one write (upgrade consumers first).
	Backward bool
	// Forward: consumers on an older version read what producers on the new
	// one write (upgrade producers first).
	Forward bool
	// Transitive: against every earlier version, not only the previous one.
	Transitive bool
}

// ParseMode reads a --mode value (case-insensitive).
func ParseMode(s string) (Mode, error) {
	name := strings.ToUpper(strings.TrimSpace(s))
	base, transitive := strings.CutSuffix(name, "_TRANSITIVE")
	m := Mode{Name: name, Transitive: transitive}
	switch base {
	case "BACKWARD":
		m.Backward = true
	case "FORWARD":
		m.Forward = true
	case "FULL":
		m.Backward, m.Forward = true, true
	default:
		return Mode{}, fmt.Errorf("mode must be BACKWARD, FORWARD or FULL, optionally with _TRANSITIVE, not %q", s)
	}
	return m, nil
}

// Dirs returns the message directions the mode judges, in a fixed order.
func (m Mode) Dirs() []Direction {
	var ds []Direction
	if m.Backward {
		ds = append(ds, DirRequest)
	}
	if m.Forward {
		ds = append(ds, DirResponse)
	}
	return ds
}

// Steps lists the comparisons a series of n versions needs under the mode:
// each version against the previous one, or against every earlier one when
// transitive. Pairs are (base, head) indexes into the series.
func (m Mode) Steps(n int) [][2]int {
	var out [][2]int
	for i := 1; i < n; i++ {
		from := i - 1
		if m.Transitive {
			from = 0
		}
		for j := from; j < i; j++ {
			out = append(out, [2]int{j, i})
		}
	}
	return out
}

// UpgradeOrder says which side of a channel must move to the new version
// first, given whether its messages stay readable in each direction.
func UpgradeOrder(backward, forward bool) string {
	switch {
	case backward && forward:
		return "either side may upgrade first (FULL)"
	case backward:
		return "upgrade consumers first (BACKWARD only): consumers on the new version read old messages, consumers still on the old one cannot read new ones"
	case forward:
		return "upgrade producers first (FORWARD only): consumers on the old version read new messages, consumers on the new one cannot read old ones"
	}
	return "no upgrade order works: neither side can read the other's messages; publish the new version on a new channel"
}
