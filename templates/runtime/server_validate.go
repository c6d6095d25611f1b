package runtime

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// RequestValidator checks one operation's requests against its contract
// before the handler runs. accord generates one per operation (in
// accord_validate.gen.go) as plain Go: no schema is interpreted at run time.
type RequestValidator struct {
	// Params checks the path, query, header and cookie parameters.
	Params func(r *http.Request, v *Violations)
	// Body checks a JSON request body, decoded; nil when the operation
	// declares no JSON body.
	Body         func(x JSON, v *Violations)
	BodyRequired bool
	// Status answers a failure: 400, or 422 where the contract declares
	// 422 and not 400 for the operation.
	Status int
	// docs reuses parsed bodies' memory across requests.
	docs sync.Pool
}

// rtMaxPooledNodes bounds the documents kept for reuse: one huge body
// must not pin its memory for the life of the server.
const rtMaxPooledNodes = 1 << 14

// ValidationErrorsMember is the problem extension member listing the
// violations of an invalid request (README "Request validation").
const ValidationErrorsMember = "errors"

type rtValidateStep struct {
	next http.Handler
	rv   *RequestValidator
	op   string
	hook func(r *http.Request, err error, p *ProblemDetails)
}

func (s *rtValidateStep) answer(w http.ResponseWriter, r *http.Request, err error, p ProblemDetails) {
	if s.hook != nil {
		s.hook(r, err, &p)
	}
	WriteProblem(w, r, p)
}

// readBody reads the body once per request, bounded, as rtReadBody does,
// but answers failures through the hook like the server's other errors.
func (s *rtValidateStep) readBody(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	st := rtRequestState(r)
	if st != nil && st.bodyRead {
		r.Body = io.NopCloser(bytes.NewReader(st.body))
		return st.body, true
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, rtMaxBody))
		if err != nil {
			p := ProblemDetails{Status: http.StatusBadRequest, Detail: "request body could not be read"}
			if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
				p = ProblemDetails{Status: http.StatusRequestEntityTooLarge, Detail: "request body exceeds 10 MiB"}
			}
			s.answer(w, r, fmt.Errorf("reading the request body: %w", err), p)
			return nil, false
		}
		body = b
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if st != nil {
		st.body, st.bodyRead = body, true
	}
	return body, true
}

// Validate checks r, whose body was read into body, and returns the
// violations (at most 50), nil when r matches the contract. Use it to check
// requests outside NewServer (another router, a test).
func (rv *RequestValidator) Validate(r *http.Request, body []byte) []Violation {
	var v Violations
	rv.check(r, body, &v)
	return v.list
}

func (rv *RequestValidator) check(r *http.Request, body []byte, v *Violations) {
	d, _ := rv.docs.Get().(*JSONDoc)
	if d == nil {
		d = &JSONDoc{}
	}
	v.doc = d
	if rv.Params != nil {
		rv.Params(r, v)
	}
	if rv.Body != nil {
		rtValidateBody(rv, r.Header.Get("Content-Type"), body, v)
	}
	// Violations hold copies, never the document's bytes: it can go back.
	v.doc = nil
	if cap(d.nodes) <= rtMaxPooledNodes {
		d.reset(nil)
		// The strings of the query must not outlive the request.
		clear(d.query)
		d.query, d.queryRaw, d.queryOK = d.query[:0], "", false
		rv.docs.Put(d)
	}
}

func (s *rtValidateStep) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var v Violations
	var body []byte
	if s.rv.Body != nil {
		b, ok := s.readBody(w, r)
		if !ok {
			return
		}
		body = b
	}
	s.rv.check(r, body, &v)
	if v.ok() {
		s.next.ServeHTTP(w, r)
		return
	}
	status := s.rv.Status
	if status == 0 || v.syntax {
		// A body that is not JSON at all is malformed, not unprocessable.
		status = http.StatusBadRequest
	}
	detail := "the request does not match the contract: " + v.list[0].String()
	if n := len(v.list); n > 1 {
		detail += " (and more, see " + ValidationErrorsMember + ")"
	}
	s.answer(w, r, &RequestInvalidError{Operation: s.op, Violations: v.list}, ProblemDetails{Status: status, Detail: detail,
		Extensions: map[string]any{ValidationErrorsMember: v.list}})
}

// rtValidateBody decodes a JSON body and runs the operation's body checks.
// Bodies of other media types are the handler's to decode.
func rtValidateBody(rv *RequestValidator, contentType string, body []byte, v *Violations) {
	if len(body) == 0 {
		if rv.BodyRequired {
			v.Fail("a request body is required")
		}
		return
	}
	if !rtIsJSONMedia(contentType) {
		return
	}
	x, ok := rtParseJSON(v.doc, body)
	if !ok {
		v.Fail("is not valid JSON")
		v.syntax = true
		return
	}
	if v.doc.dup >= 0 {
		rtAddDuplicate(v.doc, v)
		return
	}
	rv.Body(x, v)
}

// rtAddDuplicate refuses a body naming a member twice in one object (see
// rtParseJSON).
func rtAddDuplicate(d *JSONDoc, v *Violations) {
	v.addAt(rtPointerTo(d, d.dup), "has the member "+strconv.Quote(string(d.dupName))+" twice")
}

func rtIsJSONMedia(contentType string) bool {
	if contentType == "" {
		return true // oapi-codegen's handlers decode an untyped body as JSON
	}
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.TrimSpace(mt)
	// The common spellings need no parsing (and no allocation).
	if mt == "application/json" {
		return true
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// RequestInvalidError lists the violations of a request: a generated client
// returns it, sending nothing, for a call that lacks a required parameter;
// the server's error handler (WithErrorHandler) sees it for a request the
// validation step refused.
type RequestInvalidError struct {
	Operation  string
	Violations []Violation
}

func (e *RequestInvalidError) Error() string {
	parts := make([]string, len(e.Violations))
	for i, v := range e.Violations {
		parts[i] = v.String()
	}
	return e.Operation + ": the request breaks the contract: " + strings.Join(parts, "; ")
}

// RequestInvalid turns collected violations into the client's error, or
// nil when there are none.
//
//accord:generated-only
func RequestInvalid(op string, v *Violations) error {
	if v.ok() {
		return nil
	}
	return &RequestInvalidError{Operation: op, Violations: v.list}
}
