package runtime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"strconv"
	"sync/atomic"
	"time"
)

// How a call of an IdempotencyClient operation uses its record:
//
//   - before the first attempt, Begin records it in flight; a duplicate
//     (same caller key, or same operation, method, target and body) is
//     answered from the record without sending: the recorded response when
//     done, ErrCallInFlight while running, ErrOutcomeUnknown when unknown;
//   - an attempt is repeated only when the provider cannot have acted on it:
//     it never left (no connection was obtained), or the provider declined
//     it (429, 503: "not processed", RFC 9110 §15.6.4, RFC 6585 §4);
//   - a 2xx or 3xx is recorded done with its status, headers and body; a
//     4xx other than 408, or a final 429/503, forgets the record (nothing
//     happened, the call may be made again); anything else after the request
//     left (timeout, broken connection, 408, other 5xx) is recorded unknown
//     and returned as ErrOutcomeUnknown.

// rtClientLeaseMargin is how long past its deadline an in-flight record
// stays claimed; after that its caller is presumed dead and the outcome
// unknown.
const rtClientLeaseMargin = 30 * time.Second

// rtClientStoreTimeout bounds recording an outcome, which must happen even
// when the caller's context has just ended.
const rtClientStoreTimeout = 5 * time.Second

// clientMode: the call is recorded. Safe methods never are: repeating them
// is harmless, and recording a GET would serve a stale read for the TTL.
func (c *rtCall) clientMode() bool {
	return c.p.Idempotency == IdempotencyClient && rtUnsafeMethod(c.method)
}

type rtClientCall struct {
	key, ref string
	ttl      time.Duration
	sent     *atomic.Bool // the current attempt obtained a connection
	applied  bool         // the last attempt may have had an effect
}

// rtClientKey names the record: the caller's key, else a digest of what
// makes two calls the same call.
func (c *rtCall) rtClientKey(req *http.Request) string {
	if c.cs != nil && c.cs.IdempotencyKey != "" {
		return "k:" + c.cs.IdempotencyKey
	}
	h := sha256.New()
	for _, part := range []string{c.id, req.Method, req.URL.String()} {
		h.Write([]byte(strconv.Itoa(len(part))))
		h.Write([]byte{':'})
		h.Write([]byte(part))
	}
	h.Write(c.body)
	return "h:" + hex.EncodeToString(h.Sum(nil))
}

// clientBegin records the call before its first attempt. answered says the
// call is over without sending: a duplicate, or the store refused.
func (c *rtCall) clientBegin(ctx context.Context, req *http.Request) (*http.Response, error, bool) {
	key := c.rtClientKey(req)
	ttl := c.p.IdempotencyTTL
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	rec := CallRecord{Reference: "call_" + rtNewUUID(), State: CallInFlight, LeaseUntil: c.deadline.Add(rtClientLeaseMargin)}
	cur, created, err := c.e.s.CallStore.Begin(ctx, c.id, key, rec, ttl)
	if created && err == nil {
		c.rec = &rtClientCall{key: key, ref: rec.Reference, ttl: ttl, sent: new(atomic.Bool)}
		return nil, nil, false
	}
	if req.Body != nil {
		_ = req.Body.Close()
	}
	c.attempts = 0 // nothing was sent
	if err != nil {
		return nil, c.fail(fmt.Errorf("record the call before sending: %w", err)), true
	}
	switch cur.State {
	case CallDone:
		if cur.Status == 0 {
			return nil, c.fail(ErrAlreadySettled), true
		}
		h := cur.Header.Clone()
		if h == nil {
			h = http.Header{}
		}
		h.Set("Idempotent-Replayed", "true")
		c.status = cur.Status
		resp := &http.Response{
			Status: strconv.Itoa(cur.Status) + " " + http.StatusText(cur.Status), StatusCode: cur.Status,
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1, Header: h, Request: req,
			Body: io.NopCloser(bytes.NewReader(cur.Body)), ContentLength: int64(len(cur.Body)),
		}
		r, err := c.finish(resp, nil, nil)
		return r, err, true
	case CallInFlight:
		return nil, c.fail(ErrCallInFlight), true
	}
	return nil, c.fail(&OutcomeUnknownError{Operation: c.id, Key: key, Reference: cur.Reference}), true
}

// trace marks the attempt as sent once it has a connection: from then on
// the request may have reached the provider.
func (r *rtClientCall) trace(req *http.Request) *http.Request {
	r.sent.Store(false)
	sent := r.sent
	t := &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { sent.Store(true) }}
	return req.WithContext(httptrace.WithClientTrace(req.Context(), t))
}

// attempted notes what the attempt that just returned may have done.
func (r *rtClientCall) attempted(resp *http.Response) {
	if resp != nil {
		r.applied = !rtDeclinedStatus(resp.StatusCode)
		return
	}
	r.applied = r.sent.Load()
}

// declined reports that the last attempt cannot have had an effect, which
// is the only case an IdempotencyClient call is repeated in. A nil r (any
// other mode) declines nothing.
func (r *rtClientCall) declined(resp *http.Response) bool {
	if r == nil {
		return false
	}
	if resp != nil {
		return rtDeclinedStatus(resp.StatusCode)
	}
	return !r.applied
}

func rtDeclinedStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusServiceUnavailable
}

// clientEnd records the call's outcome and turns a response or error that
// leaves it open into ErrOutcomeUnknown.
func (c *rtCall) clientEnd(ctx context.Context, resp *http.Response, err error) (*http.Response, error, error) {
	r := c.rec
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), rtClientStoreTimeout)
	defer cancel()
	st := c.e.s.CallStore
	unknown := func(status int, cause error) (*http.Response, error, error) {
		rerr := st.Finish(sctx, c.id, r.key, CallRecord{Reference: r.ref, State: CallUnknown, Status: status}, r.ttl)
		return nil, c.fail(&OutcomeUnknownError{Operation: c.id, Key: r.key, Reference: r.ref, Status: status, Cause: cause}), rerr
	}
	if resp == nil {
		if !r.applied {
			return nil, err, st.Forget(sctx, c.id, r.key, r.ref)
		}
		var ce *CallError
		if errors.As(err, &ce) {
			return unknown(0, ce.Err)
		}
		return unknown(0, err)
	}
	code := resp.StatusCode
	switch {
	case code >= 200 && code < 300:
		body, rerr := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if rerr != nil {
			// It happened, but there is no response to hand a duplicate.
			ferr := st.Finish(sctx, c.id, r.key, CallRecord{Reference: r.ref, State: CallDone}, r.ttl)
			return nil, c.fail(fmt.Errorf("read the %d response: %w", code, rerr)), ferr
		}
		resp.Body = io.NopCloser(bytes.NewReader(body))
		ferr := st.Finish(sctx, c.id, r.key, CallRecord{Reference: r.ref, State: CallDone, Status: code, Header: resp.Header.Clone(), Body: body}, r.ttl)
		return resp, nil, ferr
	case code >= 300 && code < 400:
		var body []byte
		var re *ResponseError
		if errors.As(err, &re) {
			body = re.Body
		}
		ferr := st.Finish(sctx, c.id, r.key, CallRecord{Reference: r.ref, State: CallDone, Status: code, Header: resp.Header.Clone(), Body: body}, r.ttl)
		return resp, err, ferr
	case rtDeclinedStatus(code) || (code >= 400 && code < 500 && code != http.StatusRequestTimeout):
		return resp, err, st.Forget(sctx, c.id, r.key, r.ref)
	}
	rtDrainClose(resp.Body)
	return unknown(code, fmt.Errorf("the provider answered %d, which may follow the effect", code))
}

// Settle settles a call of op whose outcome stayed unknown, once the caller
// has looked the effect up (op.Policy.Reconcile names the contract's lookup
// operation). happened == false forgets the record, so the same call may be
// made again and will be sent; happened == true records it done, so a
// duplicate returns ErrAlreadySettled without sending.
func (e *Engine) Settle(ctx context.Context, op Operation, u *OutcomeUnknownError, happened bool) error {
	if u == nil || u.Key == "" || u.Reference == "" {
		return errors.New("settle: no unknown outcome given")
	}
	if !happened {
		return e.s.CallStore.Forget(ctx, op.ID, u.Key, u.Reference)
	}
	ttl := op.Policy.IdempotencyTTL
	if ttl <= 0 {
		ttl = 24 * time.Hour
	}
	if err := e.s.CallStore.Finish(ctx, op.ID, u.Key, CallRecord{Reference: u.Reference, State: CallDone}, ttl); err != nil {
		return fmt.Errorf("settle %s %s: %w", op.ID, u.Reference, err)
	}
	return nil
}
