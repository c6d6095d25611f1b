package runtime

import (
	"bytes"
	"log/slog"
	"maps"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
)

// ResponseValidator checks one operation's answers against the responses
// its contract declares: the status (an exact code, a 2XX range or
// default) and, for JSON media types, the body's schema. accord generates
// one per operation (ResponseValidatorFor in accord_validate.gen.go) from
// the same schema methods as request validation, read the other way round:
// readOnly properties belong in answers, writeOnly ones do not. It is off
// by default, on either side: meant for tests and sandboxes.
type ResponseValidator struct {
	Operation string
	Responses []ResponseCheck
	// docs reuses parsed bodies' memory across answers.
	docs sync.Pool
}

// ResponseCheck is one declared response of an operation.
type ResponseCheck struct {
	// Status is the contract's key: "201", "2XX" or "default".
	Status string
	// Body checks a JSON body; nil when the response declares none (or
	// only non-JSON media types, which are not checked).
	Body func(x JSON, v *Violations)
	// Media is the JSON media type Body belongs to (application/json,
	// application/problem+json, ...).
	Media string
}

// lookup returns the declared response of status: the exact code, else
// its range, else default; nil when the contract declares none of them.
func (rv *ResponseValidator) lookup(status int) *ResponseCheck {
	code := strconv.Itoa(status)
	var ranged, def *ResponseCheck
	for i := range rv.Responses {
		c := &rv.Responses[i]
		switch {
		case c.Status == code:
			return c
		case len(c.Status) == 3 && c.Status[1:] == "XX" && c.Status[0] == code[0]:
			ranged = c
		case c.Status == "default":
			def = c
		}
	}
	if ranged != nil {
		return ranged
	}
	return def
}

// Validate checks an answer of the operation (its status, Content-Type and
// body) and returns the violations (at most 50), nil when it matches the
// contract. Use it to check answers outside the generated server and
// client (a recorded response, a mock).
func (rv *ResponseValidator) Validate(status int, contentType string, body []byte) []Violation {
	var v Violations
	rv.check(status, contentType, body, false, &v)
	return v.list
}

// check: head is a HEAD request's answer, which carries no body.
func (rv *ResponseValidator) check(status int, contentType string, body []byte, head bool, v *Violations) {
	c := rv.lookup(status)
	problem := rtMediaType(contentType) == "application/problem+json"
	if c == nil {
		// An RFC 9457 problem at a status the contract does not declare is
		// the server's own answer (a request it could not decode, a
		// handler's error, a missed deadline), not the handler's.
		if !problem {
			v.list = append(v.list, Violation{In: "status", Detail: "the status " + strconv.Itoa(status) + " is not declared for " + rv.Operation})
		}
		return
	}
	if c.Body == nil || head || (problem && c.Media != "application/problem+json") {
		return
	}
	if len(body) == 0 {
		v.Fail("a response body is required (" + c.Media + ")")
		return
	}
	if !rtIsJSONMedia(contentType) {
		return
	}
	d, _ := rv.docs.Get().(*JSONDoc)
	if d == nil {
		d = &JSONDoc{}
	}
	v.doc = d
	if x, ok := rtParseJSON(d, body); !ok {
		v.Fail("is not valid JSON")
	} else if d.dup >= 0 {
		rtAddDuplicate(d, v)
	} else {
		c.Body(x, v)
	}
	v.doc = nil
	if cap(d.nodes) <= rtMaxPooledNodes {
		d.reset(nil)
		rv.docs.Put(d)
	}
}

// rtMediaType is contentType's media type, lower case, "" when unparsable.
func rtMediaType(contentType string) string {
	mt, _, _ := strings.Cut(contentType, ";")
	mt = strings.ToLower(strings.TrimSpace(mt))
	if mt == "application/json" || mt == "application/problem+json" || mt == "" {
		return mt
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return ""
	}
	return mt
}

// ResponseInvalidError lists the violations of an answer: a generated
// client with response validation returns it instead of the decoded body,
// and the server's error handler (WithErrorHandler) sees it when a
// handler's answer was replaced by a 500.
type ResponseInvalidError struct {
	Operation  string
	StatusCode int
	Violations []Violation
}

func (e *ResponseInvalidError) Error() string {
	return e.Operation + ": the " + strconv.Itoa(e.StatusCode) + " response breaks the contract: " + rtViolationsText(e.Violations)
}

func rtViolationsText(list []Violation) string {
	parts := make([]string, len(list))
	for i, v := range list {
		if v.In == "status" {
			parts[i] = v.Detail
		} else {
			parts[i] = v.String()
		}
	}
	return strings.Join(parts, "; ")
}

// rtResponseStep is the server's optional response validation, innermost
// in the chain, around the handler alone: the runtime's own answers (401,
// 429, 400...) are not the handler's to get right. An answer with a body to
// check is buffered, checked, then sent, or replaced by a 500 problem
// listing the violations. The idempotency step outside it records what was
// sent.
type rtResponseStep struct {
	next http.Handler
	rv   *ResponseValidator
	log  *slog.Logger
	hook func(r *http.Request, err error, p *ProblemDetails)
}

func (s *rtResponseStep) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	cw := &rtCheckedWriter{w: w, rv: s.rv, header: w.Header().Clone(), head: r.Method == http.MethodHead}
	s.next.ServeHTTP(cw, r)
	if !cw.wrote {
		cw.WriteHeader(http.StatusOK) // what net/http sends for a handler that wrote nothing
	}
	if cw.pass {
		return
	}
	var v Violations
	s.rv.check(cw.status, cw.header.Get("Content-Type"), cw.buf.Bytes(), cw.head, &v)
	if v.ok() {
		cw.send()
		_, _ = w.Write(cw.buf.Bytes())
		return
	}
	err := &ResponseInvalidError{Operation: s.rv.Operation, StatusCode: cw.status, Violations: v.list}
	if s.log != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "response breaks the contract",
			slog.String("op", s.rv.Operation), slog.String("trace_id", TraceIDFromContext(r.Context())), slog.String("error", err.Error()))
	}
	detail := "the handler's " + strconv.Itoa(cw.status) + " response breaks the contract: " + rtViolationsText(v.list[:1])
	if len(v.list) > 1 {
		detail += " (and more, see " + ValidationErrorsMember + ")"
	}
	p := ProblemDetails{Status: http.StatusInternalServerError, Detail: detail, Extensions: map[string]any{ValidationErrorsMember: v.list}}
	if s.hook != nil {
		s.hook(r, err, &p)
	}
	WriteProblem(w, r, p)
}

// rtCheckedWriter holds the handler's answer until it is checked. The
// handler writes its own header map: an answer that is replaced leaves no
// header of its behind. An answer with nothing to check in its body (a
// declared status without a JSON body) is written through as it comes, so
// streams still stream.
type rtCheckedWriter struct {
	w      http.ResponseWriter
	rv     *ResponseValidator
	header http.Header
	status int
	wrote  bool
	pass   bool
	head   bool
	buf    bytes.Buffer
}

func (c *rtCheckedWriter) Header() http.Header { return c.header }

func (c *rtCheckedWriter) WriteHeader(code int) {
	if c.wrote {
		return
	}
	if code < 200 {
		// Informational answers (103 Early Hints) go out as they come.
		maps.Copy(c.w.Header(), c.header)
		c.w.WriteHeader(code)
		return
	}
	c.status, c.wrote = code, true
	if rc := c.rv.lookup(code); rc != nil && (rc.Body == nil || c.head || !rtIsJSONMedia(c.header.Get("Content-Type"))) {
		c.pass = true
		c.send()
	}
}

// send writes the handler's header and status to the real writer.
func (c *rtCheckedWriter) send() {
	h := c.w.Header()
	clear(h)
	maps.Copy(h, c.header)
	c.w.WriteHeader(c.status)
}

func (c *rtCheckedWriter) Write(b []byte) (int, error) {
	if !c.wrote {
		c.WriteHeader(http.StatusOK)
	}
	if c.pass {
		return c.w.Write(b)
	}
	return c.buf.Write(b)
}

// Flush flushes an answer written through; a buffered one waits for its
// check.
func (c *rtCheckedWriter) Flush() {
	if c.pass {
		if f, ok := c.w.(http.Flusher); ok {
			f.Flush()
		}
	}
}

// Unwrap lets http.ResponseController reach the underlying writer for
// deadlines and hijacking; its Flush stops at Flush above.
func (c *rtCheckedWriter) Unwrap() http.ResponseWriter { return c.w }
