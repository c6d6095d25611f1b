package runtime

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync"
)

// WithoutClientRequestValidation makes a generated client send JSON bodies
// the contract forbids (a required member missing, a minimum broken)
// instead of refusing them with a *RequestInvalidError before any request
// is made. The check is on by default: such a request is a bug on the
// caller's side, which the server would refuse anyway, after a round trip
// and possibly retries; checking costs about as much as encoding the body.
// Turn it off to test a server's own validation with invalid bodies.
func WithoutClientRequestValidation() ClientOption {
	return func(s *ClientSettings) { s.NoRequestBodyValidation = true }
}

// WithResponseValidators checks every success a generated client receives
// against the validator f returns for its operation (nil: unchecked); the
// generated WithClientResponseValidation passes the contract's. Each
// operation's validator is asked for once per option.
//
//accord:generated-only
func WithResponseValidators(f func(operationID string) *ResponseValidator) ClientOption {
	c := &rtResponseValidators{of: f}
	return func(s *ClientSettings) { s.ResponseValidators = c.get }
}

type rtResponseValidators struct {
	of func(string) *ResponseValidator
	m  sync.Map // operation ID -> *ResponseValidator
}

func (c *rtResponseValidators) get(op string) *ResponseValidator {
	if v, ok := c.m.Load(op); ok {
		return v.(*ResponseValidator)
	}
	v, _ := c.m.LoadOrStore(op, c.of(op))
	return v.(*ResponseValidator)
}

// CheckRequestBody runs a generated client's body check on the JSON it
// encoded, before the call is made: a *RequestInvalidError lists the
// violations (nothing was sent), nil when the body matches or the check is
// off (WithoutClientRequestValidation).
func (e *Engine) CheckRequestBody(op string, body []byte, check func(x JSON, v *Violations)) error {
	if e.s.NoRequestBodyValidation || check == nil {
		return nil
	}
	d, _ := e.bodyDocs.Get().(*JSONDoc)
	if d == nil {
		d = &JSONDoc{}
	}
	var v Violations
	v.doc = d
	if x, ok := rtParseJSON(d, body); !ok {
		v.Fail("is not valid JSON")
	} else if d.dup >= 0 {
		rtAddDuplicate(d, &v)
	} else {
		check(x, &v)
	}
	v.doc = nil
	if cap(d.nodes) <= rtMaxPooledNodes {
		d.reset(nil)
		e.bodyDocs.Put(d)
	}
	if v.ok() {
		return nil
	}
	return &RequestInvalidError{Operation: op, Violations: v.list}
}

// CheckResponse checks a generated client's success (resp with err nil
// from Do) when response validation is on: the body is read (within the
// client's cap) and put back for the parser; a *ResponseInvalidError
// lists the violations. Error answers are not checked: they already
// return an error.
func (e *Engine) CheckResponse(op string, resp *http.Response) error {
	if e.s.ResponseValidators == nil || resp == nil {
		return nil
	}
	rv := e.s.ResponseValidators(op)
	if rv == nil {
		return nil
	}
	var body []byte
	if resp.Body != nil {
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return fmt.Errorf("%s: reading the response body: %w", op, err)
		}
		body = b
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	head := resp.Request != nil && resp.Request.Method == http.MethodHead
	var v Violations
	rv.check(resp.StatusCode, resp.Header.Get("Content-Type"), body, head, &v)
	if v.ok() {
		return nil
	}
	return &ResponseInvalidError{Operation: op, StatusCode: resp.StatusCode, Violations: v.list}
}
