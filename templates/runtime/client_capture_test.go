package runtime

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

func TestCaptureResponseKeepsTheBodyForBoth(t *testing.T) {
	resp := &http.Response{StatusCode: 201, Header: http.Header{"Trace-Id": {"t1"}}, Body: io.NopCloser(strings.NewReader(`{"id":"p1"}`))}
	var raw *http.Response
	if err := CaptureResponse(resp, []CallOption{WithRetries(1), WithResponse(&raw)}); err != nil {
		t.Fatal(err)
	}
	if raw == nil || raw.StatusCode != 201 || raw.Header.Get("Trace-Id") != "t1" {
		t.Fatalf("captured %+v", raw)
	}
	mine, _ := io.ReadAll(resp.Body)
	theirs, _ := io.ReadAll(raw.Body)
	if string(mine) != `{"id":"p1"}` || string(theirs) != `{"id":"p1"}` {
		t.Fatalf("parser read %q, caller read %q", mine, theirs)
	}
}

func TestCaptureResponseWithoutTheOptionReadsNothing(t *testing.T) {
	body := &countingReader{r: strings.NewReader("x")}
	resp := &http.Response{StatusCode: 200, Body: io.NopCloser(body)}
	if err := CaptureResponse(resp, []CallOption{WithRetries(1)}); err != nil || body.n != 0 {
		t.Fatalf("err %v, read %d bytes", err, body.n)
	}
	if err := CaptureResponse(nil, []CallOption{WithResponse(new(*http.Response))}); err != nil {
		t.Fatal(err)
	}
}

type countingReader struct {
	r io.Reader
	n int
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += n
	return n, err
}
