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
	if p.Failures <= 0 {
		return false, true
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	switch b.state {
	case rtBreakerOpen:
		if now.Sub(b.openedAt) < p.Cooldown {
			return false, false
		}
		b.state = rtBreakerHalfOpen
		b.probing = true
		return true, true
	case rtBreakerHalfOpen:
		if b.probing {
			return false, false
		}
		b.probing = true
		return true, true
	}
	return false, true
}

// record feeds one attempt's outcome back.
func (b *rtBreaker) record(p BreakerPolicy, probe bool, o rtOutcome, now time.Time) {
	if p.Failures <= 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
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
		return
	}
	// Outcomes of attempts admitted before the breaker opened do not move it
	// once it has: only the probe decides when to close again.
	if b.state != rtBreakerClosed {
		return
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
}
