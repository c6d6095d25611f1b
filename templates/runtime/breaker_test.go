package runtime

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type rtTestClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *rtTestClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *rtTestClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newTestClock() *rtTestClock {
	return &rtTestClock{t: time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)}
}

func mustAllow(t *testing.T, b *rtBreaker, p BreakerPolicy, now time.Time, wantProbe bool) {
	t.Helper()
	probe, ok := b.allow(p, now)
	if !ok || probe != wantProbe {
		t.Fatalf("allow = (probe %v, ok %v), want (probe %v, ok true); state %d", probe, ok, wantProbe, b.state)
	}
}

func mustReject(t *testing.T, b *rtBreaker, p BreakerPolicy, now time.Time) {
	t.Helper()
	if _, ok := b.allow(p, now); ok {
		t.Fatalf("allow = ok, want rejected; state %d", b.state)
	}
}

func TestBreakerOpensAfterConsecutiveFailures(t *testing.T) {
	clk := newTestClock()
	p := BreakerPolicy{Failures: 3, Window: 10 * time.Second, Cooldown: 30 * time.Second}
	var b rtBreaker
	for i := 0; i < 2; i++ {
		mustAllow(t, &b, p, clk.Now(), false)
		b.record(p, false, rtOutcomeFailure, clk.Now())
	}
	// A success resets the streak.
	b.record(p, false, rtOutcomeSuccess, clk.Now())
	for i := 0; i < 2; i++ {
		b.record(p, false, rtOutcomeFailure, clk.Now())
	}
	mustAllow(t, &b, p, clk.Now(), false)
	b.record(p, false, rtOutcomeFailure, clk.Now())
	mustReject(t, &b, p, clk.Now())
	clk.Advance(29 * time.Second)
	mustReject(t, &b, p, clk.Now())
}

func TestBreakerWindow(t *testing.T) {
	clk := newTestClock()
	p := BreakerPolicy{Failures: 3, Window: 10 * time.Second, Cooldown: time.Second}
	var b rtBreaker
	b.record(p, false, rtOutcomeFailure, clk.Now())
	clk.Advance(6 * time.Second)
	b.record(p, false, rtOutcomeFailure, clk.Now())
	clk.Advance(6 * time.Second)
	b.record(p, false, rtOutcomeFailure, clk.Now()) // first one is 12s old: not within window
	mustAllow(t, &b, p, clk.Now(), false)
	clk.Advance(time.Second)
	b.record(p, false, rtOutcomeFailure, clk.Now()) // last three span 7s
	mustReject(t, &b, p, clk.Now())
}

func TestBreakerHalfOpenSingleProbe(t *testing.T) {
	clk := newTestClock()
	p := BreakerPolicy{Failures: 1, Cooldown: 5 * time.Second}
	var b rtBreaker
	b.record(p, false, rtOutcomeFailure, clk.Now())
	mustReject(t, &b, p, clk.Now())
	clk.Advance(5 * time.Second)

	// Many concurrent callers after the cooldown: exactly one probe.
	var probes, admitted atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 50; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			probe, ok := b.allow(p, clk.Now())
			if ok {
				admitted.Add(1)
			}
			if probe {
				probes.Add(1)
			}
		}()
	}
	wg.Wait()
	if probes.Load() != 1 || admitted.Load() != 1 {
		t.Fatalf("probes=%d admitted=%d, want 1 and 1", probes.Load(), admitted.Load())
	}
	// Probe fails: open again for a full cooldown.
	b.record(p, true, rtOutcomeFailure, clk.Now())
	mustReject(t, &b, p, clk.Now())
	clk.Advance(4 * time.Second)
	mustReject(t, &b, p, clk.Now())
	clk.Advance(time.Second)
	mustAllow(t, &b, p, clk.Now(), true)
	// A neutral probe (caller cancelled) frees the slot but decides nothing.
	b.record(p, true, rtOutcomeNeutral, clk.Now())
	mustAllow(t, &b, p, clk.Now(), true)
	mustReject(t, &b, p, clk.Now())
	b.record(p, true, rtOutcomeSuccess, clk.Now())
	mustAllow(t, &b, p, clk.Now(), false)
	mustAllow(t, &b, p, clk.Now(), false)
}

func TestBreakerIgnoresStaleOutcomesWhileOpen(t *testing.T) {
	clk := newTestClock()
	p := BreakerPolicy{Failures: 1, Cooldown: time.Second}
	var b rtBreaker
	b.record(p, false, rtOutcomeFailure, clk.Now())
	b.record(p, false, rtOutcomeSuccess, clk.Now()) // admitted before it opened
	mustReject(t, &b, p, clk.Now())
}

func TestBreakerDisabled(t *testing.T) {
	var b rtBreaker
	p := BreakerPolicy{}
	for i := 0; i < 100; i++ {
		b.record(p, false, rtOutcomeFailure, time.Now())
	}
	mustAllow(t, &b, p, time.Now(), false)
}

func TestBulkheadFailsFast(t *testing.T) {
	var s rtOpState
	for i := 0; i < 3; i++ {
		if !s.rtAcquire(3) {
			t.Fatalf("acquire %d refused", i)
		}
	}
	if s.rtAcquire(3) {
		t.Fatal("4th acquire admitted with limit 3")
	}
	s.rtRelease(3)
	if !s.rtAcquire(3) {
		t.Fatal("acquire after release refused")
	}
	if !s.rtAcquire(0) {
		t.Fatal("limit 0 must mean unlimited")
	}
}
