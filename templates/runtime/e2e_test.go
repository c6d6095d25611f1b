package runtime

import (
	"context"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"
)

// The client times out while the server is still working; the retry meets
// the idempotency layer's 409, waits as told, and receives the stored result
// of the single execution.
func TestEngineAndChainTimeoutRetryGetsStoredResult(t *testing.T) {
	s, _ := testSettings()
	s.Idempotency = NewMemoryIdempotencyStore(10)
	var runs atomic.Int32
	op := Operation{ID: "createPayment", Method: "POST", Pattern: "/v1/payments", Policy: Policy{Idempotency: IdempotencyOptional}}
	srv := serveChain(t, op, s, func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		time.Sleep(500 * time.Millisecond)
		w.Header().Set("Location", "/v1/payments/p1")
		w.WriteHeader(201)
		_, _ = io.WriteString(w, `{"id":"p1"}`)
	})
	var reasons []string
	e := NewEngine(WithHooks(Hooks{OnAttempt: func(a AttemptInfo) { reasons = append(reasons, a.RetryReason) }}))
	clientOp := op
	clientOp.Policy = Policy{Timeout: 100 * time.Millisecond, Budget: 4 * time.Second, Retries: 3, RetryOn: []int{503}, Idempotency: IdempotencyOptional, KeyHonoured: true}
	resp, err := e.Do(context.Background(), clientOp, postReq(srv.URL+"/v1/payments", `{"amount":1}`))
	if err != nil {
		t.Fatalf("Do: %v (reasons %q)", err, reasons)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 || string(b) != `{"id":"p1"}` || resp.Header.Get("Idempotent-Replayed") != "true" || runs.Load() != 1 {
		t.Fatalf("status %d body %q replayed %q runs %d reasons %q", resp.StatusCode, b, resp.Header.Get("Idempotent-Replayed"), runs.Load(), reasons)
	}
	if len(reasons) < 3 || reasons[0] != "timeout" || reasons[1] != "in-flight" {
		t.Fatalf("reasons %q", reasons)
	}
}
