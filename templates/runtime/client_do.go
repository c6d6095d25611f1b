package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// rtMaxErrorBody bounds how much of a non-2xx body is kept for the caller
// and for ResponseError; typed error bodies are small, a runaway one must
// not exhaust memory.
const rtMaxErrorBody = 1 << 20

// rtCall is the state of one logical call. It lives on Do's stack.
type rtCall struct {
	e           *Engine
	id, method  string
	p           Policy
	cs          *CallSettings
	st          *rtOpState
	signer      *Signer
	traceID     string
	key         []string // Idempotency-Key header value, shared by all attempts
	webhookID   []string // Standard Webhooks id, shared by all attempts
	signedAt    int64    // unix second of the last signed attempt
	body        []byte   // request body, read once when signing
	bodyRead    bool
	safe        bool          // the request may be repeated
	maxBody     int64         // response body cap; < 0: none
	rec         *rtClientCall // IdempotencyClient: the call's record, while this call owns it
	deadline    time.Time
	hasDeadline bool
	budgetBound bool // the deadline comes from Budget, not from the caller
	attempts    int
	status      int
	sec         []SecurityRequirement // the operation's security alternatives
	alt         SecurityRequirement   // the one whose credentials this call sends
	authRetried bool                  // a 401 already earned its one fresh-credentials attempt
}

// Do runs one logical call of op: build is called once per attempt with the
// attempt's context and must return a fresh request. See DESIGN §5 for the
// semantics; in short: a 2xx is returned with its body unread and nil error;
// a final non-2xx is returned together with a *ResponseError, its body
// buffered so it can still be decoded; no response means a *CallError.
func (e *Engine) Do(ctx context.Context, op Operation, build func(ctx context.Context) (*http.Request, error), opts ...CallOption) (*http.Response, error) {
	start := time.Now()
	// Overrides and options receive pointers; working on heap copies only
	// when they exist keeps the common call free of those allocations.
	c := rtCall{e: e, id: op.ID, method: op.Method, p: op.Policy, maxBody: e.s.MaxResponseBody, sec: op.Security}
	if len(e.s.PolicyOverrides) > 0 || len(e.s.OperationPolicies) > 0 {
		pp := new(Policy)
		*pp = c.p
		for _, f := range e.s.PolicyOverrides {
			f(op.ID, pp)
		}
		for _, f := range e.s.OperationPolicies[op.ID] {
			f(pp)
		}
		if op.GoName != "" && op.GoName != op.ID {
			for _, f := range e.s.OperationPolicies[op.GoName] {
				f(pp)
			}
		}
		c.p = *pp
	}
	if len(opts) > 0 {
		cs := new(CallSettings)
		for _, o := range opts {
			o(cs)
		}
		if cs.Timeout > 0 {
			c.p.Timeout = cs.Timeout
		}
		if cs.Budget > 0 {
			c.p.Budget = cs.Budget
		}
		if cs.Retries != nil {
			c.p.Retries = *cs.Retries
		}
		if cs.MaxResponseBody != 0 {
			c.maxBody = cs.MaxResponseBody
		}
		c.cs = cs
	}
	var end func(CallInfo)
	if e.s.Hooks.StartCall != nil {
		ctx, end = e.s.Hooks.StartCall(ctx, op)
	}
	resp, err := c.run(ctx, start, build)
	e.deprecated.note(&e.s, op, resp)
	var recordErr error
	if c.rec != nil {
		resp, err, recordErr = c.clientEnd(ctx, resp, err)
	}
	if e.s.Hooks.OnCall != nil || end != nil {
		info := CallInfo{
			Operation: op.ID, Method: op.Method, Attempts: c.attempts, StatusCode: c.status,
			Duration: time.Since(start), Err: err, TraceID: c.traceID, RecordErr: recordErr,
		}
		if e.s.Hooks.OnCall != nil {
			e.s.Hooks.OnCall(info)
		}
		if end != nil {
			end(info)
		}
	}
	return resp, err
}

func (c *rtCall) fail(err error) error {
	return &CallError{Operation: c.id, Attempts: c.attempts, TraceID: c.traceID, Err: err}
}

func (c *rtCall) run(ctx context.Context, start time.Time, build func(context.Context) (*http.Request, error)) (*http.Response, error) {
	e, p := c.e, &c.p
	c.traceID = TraceIDFromContext(ctx)
	if !rtValidTraceID(c.traceID) {
		c.traceID = "" // prepare starts a new trace in the first traceparent
	}
	if e.s.Switches != nil && !e.s.Switches.Enabled(c.id) {
		return nil, c.fail(ErrDisabled)
	}
	if e.s.RetryBudget != nil {
		e.s.RetryBudget.deposit()
	}
	if p.Signature != "" {
		sg, ok := e.s.Signers[p.Signature]
		if !ok {
			return nil, c.fail(fmt.Errorf("no signer configured for signature scheme %q", p.Signature))
		}
		c.signer = &sg
	}
	c.deadline, c.hasDeadline = ctx.Deadline()
	if p.Budget > 0 {
		if b := start.Add(p.Budget); !c.hasDeadline || b.Before(c.deadline) {
			c.deadline, c.hasDeadline, c.budgetBound = b, true, true
		}
	}
	if !c.hasDeadline {
		// Every call ends: without a budget or the caller's deadline, the
		// client's CallDeadline acts as the budget.
		c.deadline, c.hasDeadline, c.budgetBound = start.Add(e.s.CallDeadline), true, true
	}
	if p.Concurrency > 0 || p.Breaker.Failures > 0 {
		c.st = e.ops.get(c.id)
	}
	if p.Concurrency > 0 {
		if !c.st.rtAcquire(p.Concurrency) {
			return nil, c.fail(ErrBusy)
		}
		defer c.st.rtRelease(p.Concurrency)
	}
	probe, ok := c.allow()
	if !ok {
		return nil, c.fail(ErrCircuitOpen)
	}
	for {
		if err := ctx.Err(); err != nil {
			c.record(probe, rtOutcomeNeutral)
			return nil, c.fail(err)
		}
		c.attempts++
		actx, cancel := c.attemptContext(ctx)
		req, err := c.prepare(actx, build)
		if err != nil {
			rtCancel(cancel)
			c.record(probe, rtOutcomeNeutral)
			return nil, c.fail(err)
		}
		if c.clientMode() {
			if c.attempts == 1 {
				if resp, err, answered := c.clientBegin(ctx, req); answered {
					rtCancel(cancel)
					c.record(probe, rtOutcomeNeutral)
					return resp, err
				}
			}
			req = c.rec.trace(req)
		}
		t0 := time.Now()
		resp, err := e.s.HTTPClient.Do(req)
		dur := time.Since(t0)
		if c.rec != nil {
			c.rec.attempted(resp)
		}

		outcome, reason, finalErr := c.classify(ctx, actx, resp, err)
		c.record(probe, outcome)
		c.status = 0
		if resp != nil {
			c.status = resp.StatusCode
		}
		var delay time.Duration
		// A 401 to refreshable credentials gets one attempt at once with
		// fresh ones, outside the retry policy (auth_client.go).
		retry := c.reauth(resp, req)
		if retry {
			reason = "auth"
		} else if reason != "" {
			retry, delay = c.retryDecision(resp, dur)
			if retry {
				retry, delay = c.nextSecond(delay, dur)
			}
			if !retry && err != nil && c.budgetStop(resp, dur) {
				finalErr = fmt.Errorf("%w: %w", ErrBudgetExhausted, err)
			}
			if retry {
				retry = c.retryAllowed()
			}
			if retry {
				if probe, ok = c.allow(); !ok {
					retry = false
				}
			}
		}
		if e.s.Hooks.OnAttempt != nil {
			info := AttemptInfo{Operation: c.id, Method: req.Method, Attempt: c.attempts, StatusCode: c.status, Duration: dur, Err: err}
			if retry {
				info.RetryReason = reason
			}
			e.s.Hooks.OnAttempt(info)
		}
		if !retry {
			return c.finish(resp, finalErr, cancel)
		}
		if resp != nil {
			rtDrainClose(resp.Body)
		}
		rtCancel(cancel)
		if delay > 0 {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				c.record(probe, rtOutcomeNeutral)
				return nil, c.fail(ctx.Err())
			case <-t.C:
			}
		}
	}
}

func rtCancel(cancel context.CancelFunc) {
	if cancel != nil {
		cancel()
	}
}

func (c *rtCall) allow() (probe, ok bool) {
	if c.st == nil || c.p.Breaker.Failures <= 0 {
		return false, true
	}
	probe, ok, tr := c.st.breaker.allowT(c.p.Breaker, c.e.s.Now())
	c.breakerChanged(tr)
	return probe, ok
}

func (c *rtCall) record(probe bool, o rtOutcome) {
	if c.st != nil && c.p.Breaker.Failures > 0 {
		c.breakerChanged(c.st.breaker.record(c.p.Breaker, probe, o, c.e.s.Now()))
	}
}

// attemptContext bounds one attempt by the per-attempt timeout and the
// call's total deadline. Without either there is nothing to bound and no
// context is allocated.
func (c *rtCall) attemptContext(ctx context.Context) (context.Context, context.CancelFunc) {
	var d time.Time
	has := false
	if c.p.Timeout > 0 {
		d, has = time.Now().Add(c.p.Timeout), true
	}
	if c.hasDeadline && (!has || c.deadline.Before(d)) {
		d, has = c.deadline, true
	}
	if !has {
		return ctx, nil
	}
	return context.WithDeadline(ctx, d)
}

// classify turns one attempt into a breaker outcome, a retry reason ("" =
// not retryable) and the error to return if this attempt ends the call.
func (c *rtCall) classify(ctx, actx context.Context, resp *http.Response, err error) (rtOutcome, string, error) {
	if err != nil {
		switch {
		case ctx.Err() != nil:
			// The caller gave up: that says nothing about the server.
			return rtOutcomeNeutral, "", err
		case c.budgetBound && !time.Now().Before(c.deadline):
			return rtOutcomeFailure, "", fmt.Errorf("%w: %w", ErrBudgetExhausted, err)
		case actx.Err() != nil:
			return rtOutcomeFailure, "timeout", err
		}
		return rtOutcomeFailure, "transport", err
	}
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		return rtOutcomeSuccess, "", nil
	}
	o := rtOutcomeSuccess // the server answered deliberately: 4xx is the caller's problem
	if code >= 500 || code == http.StatusTooManyRequests {
		o = rtOutcomeFailure
	}
	if ctx.Err() != nil {
		return o, "", nil
	}
	if c.p.rtRetryOn(code) {
		return o, "status", nil
	}
	// 409 + Retry-After to a keyed request is the server's idempotency layer
	// saying an earlier attempt of this very call is still running (typically
	// after our attempt timed out); waiting yields its stored result.
	if code == http.StatusConflict && c.key != nil && len(resp.Header["Retry-After"]) > 0 {
		return o, "in-flight", nil
	}
	return o, "", nil
}

// retryDecision applies the retry limit, method safety and the budget to a
// retryable attempt and returns the delay before the next one.
func (c *rtCall) retryDecision(resp *http.Response, prev time.Duration) (bool, time.Duration) {
	p := &c.p
	if c.attempts > p.Retries || !(c.safe || c.rec.declined(resp)) {
		return false, 0
	}
	maxWait := c.e.s.MaxWait
	delay := min(rtBackoff(c.attempts, p.BackoffBase, p.BackoffCap, c.e.s.Rand()), maxWait)
	if resp != nil {
		if ra, ok := rtParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			delay = ra
			// A server asking for a longer pause than any we would take gets
			// its answer handed to the caller rather than blocking it.
			if delay > maxWait {
				return false, 0
			}
		}
	}
	if c.noTimeFor(delay, prev) {
		return false, 0
	}
	return true, delay
}

// nextSecond stretches a Standard Webhooks retry into the next second.
// That format signs id.timestamp.body with a fixed id and whole seconds, so
// an attempt re-signed in the same second would be byte-identical to the
// previous one and a receiver could not tell it from a replay.
func (c *rtCall) nextSecond(delay, prev time.Duration) (bool, time.Duration) {
	if c.signer == nil || c.webhookID == nil {
		return true, delay
	}
	now := time.Now()
	if at := now.Add(delay); at.Unix() <= c.signedAt {
		delay = time.Unix(c.signedAt+1, 0).Sub(now)
		if c.noTimeFor(delay, prev) {
			return false, 0
		}
	}
	return true, delay
}

// noTimeFor reports that a retry after delay could not finish inside the
// deadline: it needs min(Timeout, duration of the previous attempt).
func (c *rtCall) noTimeFor(delay, prev time.Duration) bool {
	if !c.hasDeadline {
		return false
	}
	required := prev
	if c.p.Timeout > 0 && c.p.Timeout < required {
		required = c.p.Timeout
	}
	return time.Until(c.deadline)-delay < required
}

// budgetStop reports whether a retryable transport failure ended the call
// because of the time left rather than the retry limit.
func (c *rtCall) budgetStop(resp *http.Response, prev time.Duration) bool {
	return (c.safe || c.rec.declined(resp)) && c.attempts <= c.p.Retries && resp == nil && c.noTimeFor(0, prev)
}

// finish turns the last attempt into Do's result.
func (c *rtCall) finish(resp *http.Response, err error, cancel context.CancelFunc) (*http.Response, error) {
	if resp == nil {
		rtCancel(cancel)
		if err == nil {
			err = errors.New("no response")
		}
		return nil, c.fail(err)
	}
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// The attempt's context must outlive Do: the caller still reads the
		// body under it. Closing the body releases it. The cap makes reading
		// past it fail instead of buffering a body without end.
		if cancel != nil || c.maxBody >= 0 {
			b := &rtResponseBody{rc: resp.Body, cancel: cancel, left: c.maxBody, limit: c.maxBody, op: c.id}
			if c.maxBody >= 0 && resp.ContentLength > c.maxBody {
				// Announced too large: fail the first read, buffer nothing.
				b.err = &ResponseTooLargeError{Operation: c.id, Limit: c.maxBody}
			}
			resp.Body = b
		}
		return resp, nil
	}
	limit := int64(rtMaxErrorBody)
	if c.maxBody >= 0 && c.maxBody < limit {
		limit = c.maxBody
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, limit))
	rtDrainClose(resp.Body)
	rtCancel(cancel)
	resp.Body = io.NopCloser(bytes.NewReader(body))
	traceID := resp.Header.Get("Trace-Id")
	if traceID == "" {
		traceID = c.traceID
	}
	return resp, &ResponseError{
		Operation:  c.id,
		StatusCode: resp.StatusCode,
		Problem:    rtParseProblem(resp.Header.Get("Content-Type"), body),
		TraceID:    traceID,
		Attempts:   c.attempts,
		Header:     resp.Header,
		Body:       body,
	}
}

// rtResponseBody is a 2xx body handed to the caller: it fails a read that
// would go past the cap (left < 0 at the start: no cap) and releases the
// attempt's context on Close.
type rtResponseBody struct {
	rc     io.ReadCloser
	cancel context.CancelFunc
	left   int64 // bytes still allowed
	limit  int64
	op     string
	err    error
}

func (b *rtResponseBody) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	if b.left < 0 {
		return b.rc.Read(p)
	}
	if b.left == 0 {
		// Exactly at the cap: one more byte means the body is too large,
		// none means it simply ended there.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			b.err = &ResponseTooLargeError{Operation: b.op, Limit: b.limit}
			return 0, b.err
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *rtResponseBody) Close() error {
	err := b.rc.Close()
	if b.cancel != nil {
		b.cancel()
	}
	return err
}
