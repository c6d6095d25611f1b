package runtime

import (
	"net/http"
	"testing"
	"time"
)

func TestBackoffFullJitter(t *testing.T) {
	base, cap := 50*time.Millisecond, 2*time.Second
	cases := []struct {
		n    int
		rnd  float64
		want time.Duration
	}{
		{1, 0, 0},
		{1, 0.5, 25 * time.Millisecond},
		{1, 1, 50 * time.Millisecond},
		{2, 1, 100 * time.Millisecond},
		{3, 0.5, 100 * time.Millisecond},
		{6, 1, 1600 * time.Millisecond},
		{7, 1, 2 * time.Second}, // 3.2s capped
		{7, 0.25, 500 * time.Millisecond},
		{200, 1, 2 * time.Second}, // no overflow
		{0, 1, 0},
	}
	for _, c := range cases {
		if got := rtBackoff(c.n, base, cap, c.rnd); got != c.want {
			t.Errorf("rtBackoff(%d, rnd=%v) = %v, want %v", c.n, c.rnd, got, c.want)
		}
	}
	if got := rtBackoff(3, 0, cap, 1); got != 0 {
		t.Errorf("zero base: got %v", got)
	}
	if got := rtBackoff(100, time.Second, 0, 1); got <= 0 {
		t.Errorf("uncapped huge n overflowed: %v", got)
	}
}

func TestBackoffStaysInRange(t *testing.T) {
	for n := 1; n <= 10; n++ {
		ceil := min(2*time.Second, 50*time.Millisecond<<(n-1))
		for _, r := range []float64{0, 0.1, 0.5, 0.999999} {
			d := rtBackoff(n, 50*time.Millisecond, 2*time.Second, r)
			if d < 0 || d > ceil {
				t.Fatalf("n=%d r=%v: %v outside [0,%v]", n, r, d, ceil)
			}
		}
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"", 0, false},
		{"0", 0, true},
		{"3", 3 * time.Second, true},
		{" 120 ", 120 * time.Second, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0, true},
		{"Sat, 01 Mar 2025 12:00:30 GMT", 30 * time.Second, true},
		{"Saturday, 01-Mar-25 12:00:10 GMT", 10 * time.Second, true}, // RFC 850
		{"-5", 0, false},
		{"1.5", 0, false},
		{"soon", 0, false},
		{"99999999999999999999", 0, false},
	}
	for _, c := range cases {
		got, ok := rtParseRetryAfter(c.in, now)
		if ok != c.ok || got != c.want {
			t.Errorf("rtParseRetryAfter(%q) = %v,%v want %v,%v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestSafeToRetry(t *testing.T) {
	for _, m := range []string{"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"} {
		if !rtSafeToRetry(m, http.Header{}, false) {
			t.Errorf("%s should be retryable", m)
		}
	}
	keyed := http.Header{"Idempotency-Key": {"k"}}
	for _, m := range []string{"POST", "PATCH", "QUERY", "LOCK"} {
		if rtSafeToRetry(m, http.Header{}, true) {
			t.Errorf("%s without key must not be retryable", m)
		}
		if rtSafeToRetry(m, keyed, false) {
			t.Errorf("%s with a key the provider may ignore must not be retryable", m)
		}
		if !rtSafeToRetry(m, keyed, true) {
			t.Errorf("%s with a key the provider honours should be retryable", m)
		}
	}
}

func TestRetryDecisionRespectsBudget(t *testing.T) {
	e := NewEngine(func(s *ClientSettings) { s.Rand = func() float64 { return 1 } })
	mk := func(remaining time.Duration, p Policy) *rtCall {
		c := &rtCall{e: e, id: "op", p: p, safe: true, attempts: 1}
		if remaining > 0 {
			c.deadline, c.hasDeadline = time.Now().Add(remaining), true
		}
		return c
	}
	p := Policy{Timeout: 300 * time.Millisecond, Retries: 3, BackoffBase: 100 * time.Millisecond}
	// 1s left, 100ms delay, previous attempt 200ms: fits.
	if ok, d := mk(time.Second, p).retryDecision(nil, 200*time.Millisecond); !ok || d != 100*time.Millisecond {
		t.Fatalf("fits: %v %v", ok, d)
	}
	// 350ms left - 100ms delay = 250ms < min(300ms timeout, 400ms previous).
	if ok, _ := mk(350*time.Millisecond, p).retryDecision(nil, 400*time.Millisecond); ok {
		t.Fatal("retry started that cannot finish")
	}
	// A fast previous attempt (connection refused) needs little time.
	if ok, _ := mk(350*time.Millisecond, p).retryDecision(nil, time.Millisecond); !ok {
		t.Fatal("cheap retry refused")
	}
	// Retry-After replaces backoff and must fit too.
	resp := &http.Response{Header: http.Header{"Retry-After": {"2"}}}
	if ok, _ := mk(time.Second, p).retryDecision(resp, time.Millisecond); ok {
		t.Fatal("Retry-After beyond the budget honoured")
	}
	if ok, d := mk(5*time.Second, p).retryDecision(resp, time.Millisecond); !ok || d != 2*time.Second {
		t.Fatalf("Retry-After within budget: %v %v", ok, d)
	}
	// A Retry-After longer than MaxWait is handed back whatever the
	// budget; a backoff longer than it is shortened to it.
	short := NewEngine(func(s *ClientSettings) { s.Rand = func() float64 { return 1 }; s.MaxWait = time.Second })
	c0 := mk(time.Hour, p)
	c0.e = short
	if ok, _ := c0.retryDecision(resp, time.Millisecond); ok {
		t.Fatal("Retry-After past MaxWait honoured")
	}
	slow := p
	slow.BackoffBase = time.Hour
	c0 = mk(time.Hour, slow)
	c0.e = short
	if ok, d := c0.retryDecision(nil, time.Millisecond); !ok || d != time.Second {
		t.Fatalf("backoff past MaxWait: %v %v, want a retry after 1s", ok, d)
	}
	// Retry limit and method safety.
	c := mk(time.Second, p)
	c.attempts = 4
	if ok, _ := c.retryDecision(nil, 0); ok {
		t.Fatal("retried past the limit")
	}
	c = mk(time.Second, p)
	c.safe = false
	if ok, _ := c.retryDecision(nil, 0); ok {
		t.Fatal("retried an unsafe request")
	}
}
