package runtime

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
)

var (
	// ErrBusy: the client bulkhead for the operation is full (no queueing).
	ErrBusy = errors.New("accord: too many calls in flight")
	// ErrCircuitOpen: the operation's circuit breaker rejects calls for now.
	ErrCircuitOpen = errors.New("accord: circuit breaker open")
	// ErrBudgetExhausted: the call's time budget ran out before an attempt succeeded.
	ErrBudgetExhausted = errors.New("accord: call budget exhausted")
	// ErrResponseTooLarge: a response body is longer than the call's cap
	// (WithMaxResponseBody, WithMaxResponseBodyCall). Reading it fails
	// before more than the cap is buffered; errors.As finds the
	// *ResponseTooLargeError with the limit.
	ErrResponseTooLarge = errors.New("accord: response body too large")
)

// ResponseTooLargeError is what reading a capped response body past its
// limit returns. errors.Is(err, ErrResponseTooLarge) holds.
type ResponseTooLargeError struct {
	Operation string
	Limit     int64 // bytes
}

func (e *ResponseTooLargeError) Error() string {
	return e.Operation + ": response body larger than " + strconv.FormatInt(e.Limit, 10) +
		" bytes (raise the cap with WithMaxResponseBody or WithMaxResponseBodyCall)"
}

func (e *ResponseTooLargeError) Is(target error) bool { return target == ErrResponseTooLarge }

// CallError is a call that produced no HTTP response to hand back: the
// transport failed, the budget ran out, the breaker or bulkhead refused, or
// the caller gave up. Err tells which (errors.Is works through it).
type CallError struct {
	Operation string
	Attempts  int
	TraceID   string
	Err       error
}

func (e *CallError) Error() string {
	var b strings.Builder
	b.WriteString(e.Operation)
	b.WriteString(": ")
	if e.Err != nil {
		b.WriteString(e.Err.Error())
	} else {
		b.WriteString("call failed")
	}
	if e.Attempts > 0 {
		b.WriteString(" after ")
		rtWriteAttempts(&b, e.Attempts)
	}
	if e.TraceID != "" {
		b.WriteString(" (trace ")
		b.WriteString(e.TraceID)
		b.WriteString(")")
	}
	return b.String()
}

func (e *CallError) Unwrap() error { return e.Err }

// ResponseError is a call whose final response was not 2xx. The response is
// also returned by Engine.Do with its body re-readable, so generated code can
// decode typed error bodies; Body holds the same (bounded) bytes.
type ResponseError struct {
	Operation  string
	StatusCode int
	Problem    *ProblemDetails // parsed when the body is problem+json (or JSON with its fields)
	TraceID    string          // from the response's Trace-Id, else the one sent
	Attempts   int
	Header     http.Header
	Body       []byte
}

func (e *ResponseError) Error() string {
	var b strings.Builder
	b.WriteString(e.Operation)
	b.WriteString(": ")
	b.WriteString(strconv.Itoa(e.StatusCode))
	if t := http.StatusText(e.StatusCode); t != "" {
		b.WriteByte(' ')
		b.WriteString(t)
	}
	if e.Attempts > 0 {
		b.WriteString(" after ")
		rtWriteAttempts(&b, e.Attempts)
	}
	if p := e.Problem; p != nil && (p.Title != "" || p.Detail != "") {
		b.WriteString(": ")
		b.WriteString(p.Title)
		if p.Title != "" && p.Detail != "" {
			b.WriteString(": ")
		}
		b.WriteString(p.Detail)
	}
	if e.TraceID != "" {
		b.WriteString(" (trace ")
		b.WriteString(e.TraceID)
		b.WriteString(")")
	}
	return b.String()
}

func rtWriteAttempts(b *strings.Builder, n int) {
	b.WriteString(strconv.Itoa(n))
	if n == 1 {
		b.WriteString(" attempt")
	} else {
		b.WriteString(" attempts")
	}
}
