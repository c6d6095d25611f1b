package runtime

import (
	"sync"
	"time"
)

type rtBreakerState uint8

const (
	rtBreakerClosed rtBreakerState = iota
	rtBreakerOpen
	rtBreakerHalfOpen
)

// rtOutcome is what one attempt tells the breaker. Neutral outcomes (the
// caller gave up) say nothing about the server's health.
type rtOutcome uint8

const (
	rtOutcomeSuccess rtOutcome = iota
	rtOutcomeFailure
	rtOutcomeNeutral
)

// rtBreaker is one operation's circuit breaker. The policy is passed on
// every call instead of stored, so per-client and per-call overrides apply
// without rebuilding state.
type rtBreaker struct {
	mu       sync.Mutex
	state    rtBreakerState
	ring     []time.Time // times of the last len(ring) consecutive failures
	head     int         // next slot to write; after a write, the oldest entry
	count    int         // consecutive failures seen while closed
	openedAt time.Time
	probing  bool // half-open: the single probe is in flight
}

// allow decides whether an attempt may start. probe reports that the caller
// holds the half-open probe slot and must report its outcome.
func (b *rtBreaker) allow(p BreakerPolicy, now time.Time) (probe, ok bool) {
	probe, ok, _ = b.allowT(p, now)
	return probe, ok
}

// rtTransition is a breaker state change, reported to the hooks outside
// the breaker's lock.
type rtTransition struct {
	from, to rtBreakerState
	changed  bool
}

// allowT is allow that also reports the open → half-open transition.
func (b *rtBreaker) allowT(p BreakerPolicy, now time.Time) (probe, ok bool, tr rtTransition) {
	if p.Failures <= 0 {
		return false, true, tr
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case rtBreakerOpen:
		if now.Sub(b.openedAt) < p.Cooldown {
			return false, false, tr
		}
		b.state = rtBreakerHalfOpen
		b.probing = true
		return true, true, rtTransition{from: rtBreakerOpen, to: rtBreakerHalfOpen, changed: true}
	case rtBreakerHalfOpen:
		if b.probing {
			return false, false, tr
		}
		b.probing = true
		return true, true, tr
	}
	return false, true, tr
}

// record feeds one attempt's outcome back and reports a state change.
func (b *rtBreaker) record(p BreakerPolicy, probe bool, o rtOutcome, now time.Time) (tr rtTransition) {
	if p.Failures <= 0 {
		return tr
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	before := b.state
	defer func() {
		if b.state != before {
			tr = rtTransition{from: before, to: b.state, changed: true}
		}
	}()
	if probe {
		b.probing = false
		switch o {
		case rtOutcomeSuccess:
			b.state = rtBreakerClosed
			b.count = 0
		case rtOutcomeFailure:
			b.state = rtBreakerOpen
			b.openedAt = now
		}
		return tr
	}
	// Outcomes of attempts admitted before the breaker opened do not move it
	// once it has: only the probe decides when to close again.
	if b.state != rtBreakerClosed {
		return tr
	}
	switch o {
	case rtOutcomeSuccess:
		b.count = 0
	case rtOutcomeFailure:
		if len(b.ring) != p.Failures {
			b.ring = make([]time.Time, p.Failures)
			b.head, b.count = 0, 0
		}
		b.ring[b.head] = now
		b.head = (b.head + 1) % len(b.ring)
		b.count++
		if b.count >= p.Failures {
			oldest := b.ring[b.head]
			if p.Window <= 0 || now.Sub(oldest) <= p.Window {
				b.state = rtBreakerOpen
				b.openedAt = now
				b.count = 0
			}
		}
	}
	return tr
}

// BreakerState is a circuit breaker's state as hooks report it.
type BreakerState string

const (
	BreakerClosed   BreakerState = "closed"
	BreakerOpen     BreakerState = "open"
	BreakerHalfOpen BreakerState = "half-open"
)

func (s rtBreakerState) public() BreakerState {
	switch s {
	case rtBreakerOpen:
		return BreakerOpen
	case rtBreakerHalfOpen:
		return BreakerHalfOpen
	}
	return BreakerClosed
}

// BreakerStateInfo reports one breaker transition (Hooks.OnBreakerState).
type BreakerStateInfo struct {
	Operation string
	From, To  BreakerState
	At        time.Time // the client's clock (ClientSettings.Now)
}

func (c *rtCall) breakerChanged(tr rtTransition) {
	if tr.changed && c.e.s.Hooks.OnBreakerState != nil {
		c.e.s.Hooks.OnBreakerState(BreakerStateInfo{Operation: c.id, From: tr.from.public(), To: tr.to.public(), At: c.e.s.Now()})
	}
}
