package runtime

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

// A successful call records its expected webhooks (from the body or a
// header) before the caller has the answer, and the caller still reads the
// whole body; a failed call, another operation, or a failed record change
// nothing of the call's result.
func TestWebhookExpectationsAfterCall(t *testing.T) {
	big := bytes.Repeat([]byte("x"), rtExpectBodyLimit+10)
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/fail":
			w.WriteHeader(500)
		case "/big":
			w.Write(big)
		default:
			w.Header().Set("Location", "/payments/pay_h")
			w.WriteHeader(201)
			w.Write([]byte(`{"id":"pay_b"}`))
		}
	})
	q := NewMemoryWebhookQueue()
	var failures []error
	exps := map[string][]WebhookExpectation{"create": {
		{Webhook: "settled", Within: time.Hour, Pointer: "/id"},
		{Webhook: "located", Within: time.Hour, Header: "Location"},
	}}
	e := NewEngine(WithWebhookExpectations(q, exps, func(op string, err error) { failures = append(failures, err) }))
	op := Operation{ID: "create", Method: "GET", Pattern: "/p"}
	call := func(op Operation, path string) ([]byte, int) {
		t.Helper()
		resp, err := e.Do(context.Background(), op, getReq(srv.URL+path))
		if err != nil {
			var re *ResponseError
			if errors.As(err, &re) {
				return nil, re.StatusCode
			}
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return b, resp.StatusCode
	}
	if b, _ := call(op, "/p"); string(b) != `{"id":"pay_b"}` {
		t.Fatalf("the caller got %q", b)
	}
	for _, key := range []string{"pay_b", "/payments/pay_h"} {
		// An event of the recorded call runs at once: the call is known.
		ev := testEvent("e_" + key)
		ev.Ref = WebhookRef{Operation: "create", Key: key}
		if _, err := q.Store(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
	if cs, _ := q.Claim(context.Background(), 10, time.Minute); len(cs) != 2 {
		t.Fatalf("events of the recorded call waited: %d claimable, want 2", len(cs))
	}
	call(op, "/fail")
	call(Operation{ID: "other", Method: "GET"}, "/p")
	if b, _ := call(op, "/big"); len(b) != len(big) {
		t.Fatalf("a large body reached the caller with %d of %d bytes", len(b), len(big))
	}
	if len(failures) != 1 {
		t.Fatalf("record failures %v; want the one for the large body", failures)
	}
}
