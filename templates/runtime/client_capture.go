package runtime

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
)

// WithResponse stores the call's final HTTP answer in *dst, a success or
// an error status alike, with its body readable again: a typed method
// returns the decoded body, and this is how a caller still reads the
// status, the headers or the bytes. *dst stays nil when no answer came.
func WithResponse(dst **http.Response) CallOption {
	return func(c *CallSettings) { c.Response = dst }
}

// CaptureResponse serves a WithResponse among opts: it buffers resp's body
// so that both the generated parser and the caller can read it. Without
// such an option it does nothing (and reads nothing).
//
//accord:generated-only
func CaptureResponse(resp *http.Response, opts []CallOption) error {
	if resp == nil || len(opts) == 0 {
		return nil
	}
	var s CallSettings
	for _, o := range opts {
		if o != nil {
			o(&s)
		}
	}
	if s.Response == nil {
		return nil
	}
	var body []byte
	if resp.Body != nil {
		b, err := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		if err != nil {
			return fmt.Errorf("reading the response body: %w", err)
		}
		body = b
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	cp := *resp
	cp.Body = io.NopCloser(bytes.NewReader(body))
	*s.Response = &cp
	return nil
}
