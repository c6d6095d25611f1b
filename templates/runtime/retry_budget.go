package runtime

import (
	"sync/atomic"
	"time"
)

// RetryBudgetPolicy bounds the retries of one client across all its calls,
// so that a failing provider sees at most (1 + Ratio) times its normal load
// instead of (1 + Retries) times: per-call retry limits alone turn an outage
// into a retry storm. Zero values take the defaults in brackets.
type RetryBudgetPolicy struct {
	// Ratio is how many retries each call earns [0.2: retries add at most
	// 20% to the calls].
	Ratio float64
	// MinPerSecond is a floor earned with time, so a client making few
	// calls can still retry a blip [10].
	MinPerSecond float64
	// Burst caps the retries saved up, so a long quiet period does not
	// license a storm later; the budget starts full [10].
	Burst float64
}

// Defaults of RetryBudgetPolicy (the ratio is Finagle's and Envoy's usual
// 20%; the floor lets a quiet client retry a blip).
const (
	DefaultRetryBudgetRatio        = 0.2
	DefaultRetryBudgetMinPerSecond = 10
	DefaultRetryBudgetBurst        = 10
)

// rtMilli is one retry in the bucket's fixed-point unit: integers keep the
// bucket lock-free and exact under concurrent deposits.
const rtMilli = 1000

// RetryBudget is a token bucket shared by the calls of one client (an
// Engine), or of several when passed to each: every call deposits Ratio,
// time deposits MinPerSecond, every retry withdraws one. A call that finds
// it empty still makes its first attempt; it only does not retry.
type RetryBudget struct {
	perCall int64 // milli-retries per call
	perSec  int64 // milli-retries per second
	max     int64
	now     func() time.Time
	tokens  atomic.Int64
	last    atomic.Int64 // unix nanos up to which time was credited
}

// NewRetryBudget returns a full budget; now is its clock [time.Now].
func NewRetryBudget(p RetryBudgetPolicy, now func() time.Time) *RetryBudget {
	if p.Ratio <= 0 {
		p.Ratio = DefaultRetryBudgetRatio
	}
	if p.MinPerSecond <= 0 {
		p.MinPerSecond = DefaultRetryBudgetMinPerSecond
	}
	if p.Burst <= 0 {
		p.Burst = DefaultRetryBudgetBurst
	}
	if now == nil {
		now = time.Now
	}
	b := &RetryBudget{perCall: int64(p.Ratio * rtMilli), perSec: int64(p.MinPerSecond * rtMilli), max: int64(p.Burst * rtMilli), now: now}
	b.tokens.Store(b.max)
	b.last.Store(now().UnixNano())
	return b
}

// Available is the number of retries the budget allows right now.
func (b *RetryBudget) Available() float64 {
	b.credit()
	return float64(b.tokens.Load()) / rtMilli
}

// deposit is called once per call.
func (b *RetryBudget) deposit() { b.add(b.perCall) }

// withdraw takes one retry; false means the budget is spent.
func (b *RetryBudget) withdraw() bool {
	b.credit()
	for {
		t := b.tokens.Load()
		if t < rtMilli {
			return false
		}
		if b.tokens.CompareAndSwap(t, t-rtMilli) {
			return true
		}
	}
}

// credit adds the floor earned since the last credit. The CAS on last
// makes each interval count once however many goroutines race here.
func (b *RetryBudget) credit() {
	now := b.now().UnixNano()
	last := b.last.Load()
	if now <= last {
		return
	}
	earned := (now - last) * b.perSec / int64(time.Second)
	if earned <= 0 {
		return // too soon to earn a whole milli-retry; keep last so time accumulates
	}
	if b.last.CompareAndSwap(last, now) {
		b.add(earned)
	}
}

func (b *RetryBudget) add(n int64) {
	for {
		t := b.tokens.Load()
		v := min(t+n, b.max)
		if v == t || b.tokens.CompareAndSwap(t, v) {
			return
		}
	}
}

// RetryDeniedInfo reports a retry the call wanted and did not make.
type RetryDeniedInfo struct {
	Operation string
	Attempt   int    // the attempt that would have been retried
	Reason    string // "budget": the client's retry budget is spent; "switched-off": the global retry switch is off
}

// WithRetryBudget sets the client's retry budget policy (on by default with
// the DefaultRetryBudget… values); share one *RetryBudget between clients
// with WithSharedRetryBudget.
func WithRetryBudget(p RetryBudgetPolicy) ClientOption {
	return func(s *ClientSettings) { s.RetryBudgetPolicy, s.RetryBudget, s.NoRetryBudget = p, nil, false }
}

// WithSharedRetryBudget makes this client draw on b (nil: no budget, every
// call may retry up to its policy).
func WithSharedRetryBudget(b *RetryBudget) ClientOption {
	return func(s *ClientSettings) { s.RetryBudget, s.NoRetryBudget = b, b == nil }
}

// WithSwitches sets the kill switches the client obeys: a switched-off
// operation fails with ErrDisabled without sending anything, and with
// retries switched off no call retries.
func WithSwitches(sw Switches) ClientOption {
	return func(s *ClientSettings) { s.Switches = sw }
}

// retryAllowed is the last word on a retry the policy allows: the global
// switch, then the budget. It runs before the breaker is asked, because
// a granted half-open probe must be used.
func (c *rtCall) retryAllowed() bool {
	s := &c.e.s
	reason := ""
	switch {
	case s.Switches != nil && !s.Switches.RetriesEnabled():
		reason = "switched-off"
	case s.RetryBudget != nil && !s.RetryBudget.withdraw():
		reason = "budget"
	default:
		return true
	}
	if s.Hooks.OnRetryDenied != nil {
		s.Hooks.OnRetryDenied(RetryDeniedInfo{Operation: c.id, Attempt: c.attempts, Reason: reason})
	}
	return false
}
