package runtime

import (
	"errors"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
)

// ErrDisabled: the operation is switched off (a kill switch); the client
// sent nothing. errors.Is finds it through the *CallError Engine.Do returns.
var ErrDisabled = errors.New("accord: operation switched off")

// Switches are the run-time kill switches operators flip during an
// incident: per operation, and one global switch that stops every retry
// when retries themselves feed a storm. Both are read on every call, so
// implementations must be fast and safe for concurrent use.
type Switches interface {
	// Enabled reports whether the operation may run.
	Enabled(operationID string) bool
	// RetriesEnabled reports whether calls may retry at all.
	RetriesEnabled() bool
}

// rtSwitchState is one immutable generation of switch settings; writers
// replace it whole so readers never lock.
type rtSwitchState struct {
	off       map[string]bool
	noRetries bool
}

func (s *rtSwitchState) enabled(id string) bool { return s == nil || !s.off[id] }

func (s *rtSwitchState) retries() bool { return s == nil || !s.noRetries }

// MemorySwitches is the in-process default: everything is on until
// switched off (the operator page and tests flip it). The zero value is
// ready to use.
type MemorySwitches struct {
	mu    sync.Mutex // serialises writers; readers load cur
	state atomic.Pointer[rtSwitchState]
}

// NewMemorySwitches returns switches with every operation on.
func NewMemorySwitches() *MemorySwitches { return &MemorySwitches{} }

func (m *MemorySwitches) Enabled(operationID string) bool {
	return m.state.Load().enabled(operationID)
}

func (m *MemorySwitches) RetriesEnabled() bool { return m.state.Load().retries() }

// SetEnabled switches one operation on or off.
func (m *MemorySwitches) SetEnabled(operationID string, on bool) {
	m.update(func(s *rtSwitchState) {
		if on {
			delete(s.off, operationID)
		} else {
			s.off[operationID] = true
		}
	})
}

// SetRetriesEnabled flips the global retry switch.
func (m *MemorySwitches) SetRetriesEnabled(on bool) {
	m.update(func(s *rtSwitchState) { s.noRetries = !on })
}

// Disabled lists the operations switched off, for status pages.
func (m *MemorySwitches) Disabled() []string {
	s := m.state.Load()
	if s == nil {
		return nil
	}
	out := make([]string, 0, len(s.off))
	for id := range s.off {
		out = append(out, id)
	}
	return out
}

func (m *MemorySwitches) update(f func(*rtSwitchState)) {
	m.mu.Lock()
	defer m.mu.Unlock()
	next := &rtSwitchState{off: map[string]bool{}}
	if cur := m.state.Load(); cur != nil {
		for k := range cur.off {
			next.off[k] = true
		}
		next.noRetries = cur.noRetries
	}
	f(next)
	m.state.Store(next)
}

// AllSwitches combines sources, e.g. the operator page's MemorySwitches
// and a FileSwitches: an operation runs, and calls retry, only when every
// source allows it, so any one of them can stop a path.
func AllSwitches(sources ...Switches) Switches { return rtAllSwitches(sources) }

type rtAllSwitches []Switches

func (a rtAllSwitches) Enabled(operationID string) bool {
	for _, s := range a {
		if !s.Enabled(operationID) {
			return false
		}
	}
	return true
}

func (a rtAllSwitches) RetriesEnabled() bool {
	for _, s := range a {
		if !s.RetriesEnabled() {
			return false
		}
	}
	return true
}

// rtDisabledRetryAfter is what a switched-off server operation tells
// callers to wait, in seconds. A kill switch lasts minutes; the value is
// above the client's default MaxWait (30s) so that accord clients hand the
// 503 back at once instead of sleeping on it.
const rtDisabledRetryAfter = 60

// rtSwitchStep answers a switched-off operation with 503 before any other
// work: the point of the switch is that the handler and everything behind
// it (stores, partners) see nothing.
type rtSwitchStep struct {
	next http.Handler
	sw   Switches
	op   string
}

func (s *rtSwitchStep) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.sw.Enabled(s.op) {
		w.Header().Set("Retry-After", strconv.Itoa(rtDisabledRetryAfter))
		WriteProblem(w, r, ProblemDetails{
			Status:     http.StatusServiceUnavailable,
			Detail:     "operation " + s.op + " is switched off for now",
			Extensions: map[string]any{"operation": s.op, "reason": "disabled"},
		})
		return
	}
	s.next.ServeHTTP(w, r)
}
