package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// WaitPolicy bounds the wait for a long-running operation: a 202 Accepted
// whose Location names a status resource, polled until it reports a
// terminal state. Zero values take the defaults in brackets.
type WaitPolicy struct {
	// Budget is the whole wait [10m]; the caller's context may end it
	// sooner.
	Budget time.Duration
	// Interval is the first pause between polls [1s]; it doubles up to
	// MaxInterval [30s]. A Retry-After on a status answer replaces it.
	Interval, MaxInterval time.Duration
}

// WaitResult is the status resource's last answer: its terminal state.
type WaitResult struct {
	StatusCode int
	Header     http.Header
	Body       []byte
	// State is the terminal state read from the body ("succeeded", ...),
	// or "" when the status code alone ended the wait.
	State string
	Polls int
	// TraceID is the original call's: every poll carries it.
	TraceID string
}

// WaitError is a long-running operation that ended badly: its status
// resource reported a failure, or the wait ran out of budget. Err, when
// set, is the poll's own error (a *ResponseError, a *CallError).
type WaitError struct {
	Operation, Location string
	State               string // the failed state, "" when the wait itself failed
	Result              *WaitResult
	Err                 error
}

func (e *WaitError) Error() string {
	if e.State != "" {
		return fmt.Sprintf("%s: the operation at %s ended %s", e.Operation, e.Location, e.State)
	}
	return fmt.Sprintf("%s: waiting for %s: %v", e.Operation, e.Location, e.Err)
}

func (e *WaitError) Unwrap() error { return e.Err }

// ErrWaitBudget: the operation had not ended when the wait's budget ran out.
var ErrWaitBudget = errors.New("the long-running operation did not end within the wait budget")

// rtTerminal classifies a state a status resource reports in a "status"
// or "state" field, lower-cased: the words such APIs commonly use.
func rtTerminal(s string) (done, failed bool) {
	switch s {
	case "succeeded", "success", "successful", "completed", "complete", "done", "finished":
		return true, false
	case "failed", "failure", "error", "errored", "canceled", "cancelled", "rejected", "expired":
		return true, true
	}
	return false, false
}

// rtWaitState reads a status answer: done, failed, or still running. A
// body without a recognised state field is done when the answer is 200
// (the result itself) and running when it is 202.
func rtWaitState(status int, body []byte) (state string, done, failed bool) {
	var fields map[string]any
	if json.Unmarshal(body, &fields) == nil {
		for _, k := range []string{"status", "state"} {
			s, ok := fields[k].(string)
			if !ok {
				continue
			}
			s = strings.ToLower(s)
			done, failed := rtTerminal(s)
			return s, done, failed
		}
	}
	return "", status != http.StatusAccepted, false
}

// Wait polls the status resource at location (absolute, or relative to
// the accepted call's URL base) until it reports a terminal state. Each
// poll is a call of its own through the engine, with op's timeout,
// retries and breaker, under the id "<op> status"; the pause between
// polls backs off and honours Retry-After. Every poll carries traceID.
func (e *Engine) Wait(ctx context.Context, op Operation, base *url.URL, location, traceID string, p WaitPolicy) (*WaitResult, error) {
	if p.Budget <= 0 {
		p.Budget = 10 * time.Minute
	}
	if p.Interval <= 0 {
		p.Interval = time.Second
	}
	if p.MaxInterval <= 0 {
		p.MaxInterval = 30 * time.Second
	}
	fail := func(err error, res *WaitResult) (*WaitResult, error) {
		return res, &WaitError{Operation: op.ID, Location: location, Result: res, Err: err}
	}
	target, err := url.Parse(location)
	if err != nil || location == "" {
		return fail(fmt.Errorf("the answer's Location %q is not a URL", location), nil)
	}
	if base != nil {
		target = base.ResolveReference(target)
	}
	if traceID != "" {
		ctx = ContextWithTraceID(ctx, traceID)
	}
	ctx, cancel := context.WithTimeout(ctx, p.Budget)
	defer cancel()
	poll := Operation{ID: op.ID + " status", Method: http.MethodGet, Pattern: target.Path, Policy: op.Policy}
	poll.Policy.Idempotency, poll.Policy.Signature = IdempotencyOff, ""
	pause := p.Interval
	for n := 1; ; n++ {
		resp, err := e.Do(ctx, poll, func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, http.MethodGet, target.String(), nil)
		})
		if err != nil {
			if ctx.Err() != nil && errors.Is(err, context.DeadlineExceeded) {
				err = errors.Join(ErrWaitBudget, err)
			}
			return fail(err, nil)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return fail(fmt.Errorf("reading the status answer: %w", err), nil)
		}
		res := &WaitResult{StatusCode: resp.StatusCode, Header: resp.Header, Body: body, Polls: n, TraceID: TraceIDFromContext(ctx)}
		if resp.StatusCode >= 300 {
			return fail(&ResponseError{Operation: poll.ID, StatusCode: resp.StatusCode, Header: resp.Header, Body: body, TraceID: res.TraceID}, res)
		}
		state, done, failed := rtWaitState(resp.StatusCode, body)
		res.State = state
		if failed {
			return res, &WaitError{Operation: op.ID, Location: location, State: state, Result: res}
		}
		if done {
			return res, nil
		}
		wait := pause
		if d, ok := rtParseRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok {
			wait = d
		}
		pause = min(2*pause, p.MaxInterval)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return fail(errors.Join(ErrWaitBudget, ctx.Err()), res)
		case <-t.C:
		}
	}
}
