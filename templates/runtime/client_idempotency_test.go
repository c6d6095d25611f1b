package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// ignoringProvider creates a customer for every POST that reaches it and
// ignores Idempotency-Key, like a provider without idempotency. fault, when
// set, runs first and may answer instead (return true).
type ignoringProvider struct {
	created atomic.Int32
	hits    atomic.Int32
	fault   func(hit int32, w http.ResponseWriter, r *http.Request) bool
	url     string
}

func newIgnoringProvider(t *testing.T, fault func(int32, http.ResponseWriter, *http.Request) bool) *ignoringProvider {
	p := &ignoringProvider{fault: fault}
	p.url = newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		hit := p.hits.Add(1)
		if r.Header.Get("Idempotency-Key") != "" {
			t.Errorf("a key was sent to a provider that ignores keys")
		}
		if p.fault != nil && p.fault(hit, w, r) {
			return
		}
		n := p.created.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"id":"cus_%d","input":%s}`, n, b)
	}).URL
	return p
}

func clientOp() Operation {
	return Operation{ID: "createCustomer", Method: "POST", Policy: Policy{
		Timeout: 200 * time.Millisecond, Budget: 3 * time.Second, Retries: 3, RetryOn: []int{429, 502, 503, 504},
		BackoffBase: time.Millisecond, Idempotency: IdempotencyClient,
	}}
}

func callBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestClientModeDuplicateGetsTheRecordedOutcome(t *testing.T) {
	p := newIgnoringProvider(t, nil)
	var calls []CallInfo
	e := NewEngine(WithHooks(Hooks{OnCall: func(c CallInfo) { calls = append(calls, c) }}))
	ctx := context.Background()
	first, err := e.Do(ctx, clientOp(), postReq(p.url, `{"email":"a@x"}`))
	if err != nil || first.StatusCode != 201 {
		t.Fatalf("first: %v", err)
	}
	firstBody := callBody(t, first)
	again, err := e.Do(ctx, clientOp(), postReq(p.url, `{"email":"a@x"}`))
	if err != nil || again.StatusCode != 201 || again.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("duplicate: %v %+v", err, again)
	}
	if b := callBody(t, again); b != firstBody || p.created.Load() != 1 || calls[1].Attempts != 0 {
		t.Fatalf("duplicate body %q (first %q), created %d, attempts %d", b, firstBody, p.created.Load(), calls[1].Attempts)
	}
	// Another body is another call; the caller's key makes calls the same.
	if resp, err := e.Do(ctx, clientOp(), postReq(p.url, `{"email":"b@x"}`)); err != nil || callBody(t, resp) == firstBody {
		t.Fatalf("other body: %v", err)
	}
	for _, body := range []string{`{"v":1}`, `{"v":2}`} {
		resp, err := e.Do(ctx, clientOp(), postReq(p.url, body), WithIdempotencyKey("order-7"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if p.created.Load() != 3 {
		t.Fatalf("created %d, want 3", p.created.Load())
	}
}

// With timeouts and 503s injected, the effect happens at most once: a 503
// (declined) is retried, a timeout after sending is not.
func TestClientModeUnknownOutcomeNeverResent(t *testing.T) {
	p := newIgnoringProvider(t, func(hit int32, w http.ResponseWriter, r *http.Request) bool {
		switch hit {
		case 1:
			w.WriteHeader(503) // declined: nothing created
			return true
		case 2:
			p := r.Context()
			select { // created below, after the client gave up on the attempt
			case <-p.Done():
			case <-time.After(400 * time.Millisecond):
			}
		}
		return false
	})
	e := NewEngine()
	ctx := context.Background()
	_, err := e.Do(ctx, clientOp(), postReq(p.url, `{"email":"a@x"}`))
	var u *OutcomeUnknownError
	var ce *CallError
	if !errors.Is(err, ErrOutcomeUnknown) || !errors.As(err, &u) || !errors.As(err, &ce) || u.Reference == "" || ce.Attempts != 2 {
		t.Fatalf("err %v", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("the cause is lost: %v", err)
	}
	waitFor(t, func() bool { return p.created.Load() == 1 })
	if p.hits.Load() != 2 {
		t.Fatalf("hits %d, want 2 (503, then the timed-out one)", p.hits.Load())
	}
	// A duplicate is not sent: same reference.
	_, err2 := e.Do(ctx, clientOp(), postReq(p.url, `{"email":"a@x"}`))
	var u2 *OutcomeUnknownError
	if !errors.As(err2, &u2) || u2.Reference != u.Reference || p.hits.Load() != 2 {
		t.Fatalf("duplicate of an unknown call: %v (hits %d)", err2, p.hits.Load())
	}
	// Settled as done: a duplicate says so, still unsent.
	if err := e.Settle(ctx, clientOp(), u, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Do(ctx, clientOp(), postReq(p.url, `{"email":"a@x"}`)); !errors.Is(err, ErrAlreadySettled) || p.hits.Load() != 2 {
		t.Fatalf("after Settle(true): %v", err)
	}
}

func TestClientModeSettleNotHappenedAllowsTheCallAgain(t *testing.T) {
	p := newIgnoringProvider(t, func(hit int32, w http.ResponseWriter, r *http.Request) bool {
		if hit == 1 {
			w.WriteHeader(502) // a gateway: the provider behind it may have acted
			return true
		}
		return false
	})
	e := NewEngine()
	ctx := context.Background()
	_, err := e.Do(ctx, clientOp(), postReq(p.url, `x`))
	var u *OutcomeUnknownError
	if !errors.As(err, &u) || u.Status != 502 || p.hits.Load() != 1 {
		t.Fatalf("502: %v hits %d", err, p.hits.Load())
	}
	if err := e.Settle(ctx, clientOp(), u, false); err != nil {
		t.Fatal(err)
	}
	resp, err := e.Do(ctx, clientOp(), postReq(p.url, `x`))
	if err != nil || resp.StatusCode != 201 || p.created.Load() != 1 {
		t.Fatalf("after Settle(false): %v created %d", err, p.created.Load())
	}
	resp.Body.Close()
}

func TestClientModeRejectionIsForgotten(t *testing.T) {
	p := newIgnoringProvider(t, func(hit int32, w http.ResponseWriter, r *http.Request) bool {
		if hit == 1 {
			w.WriteHeader(422)
			return true
		}
		return false
	})
	st := NewMemoryCallStore(MemoryCallStoreOptions{})
	e := NewEngine(WithCallStore(st))
	if _, err := e.Do(context.Background(), clientOp(), postReq(p.url, `x`)); err == nil || st.Len() != 0 {
		t.Fatalf("422: err %v, %d records", err, st.Len())
	}
	resp, err := e.Do(context.Background(), clientOp(), postReq(p.url, `x`))
	if err != nil || p.created.Load() != 1 {
		t.Fatalf("the call after a 422 was not sent: %v", err)
	}
	resp.Body.Close()
}

func TestClientModeUnsentAttemptsRetried(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	st := NewMemoryCallStore(MemoryCallStoreOptions{})
	e := NewEngine(WithCallStore(st))
	_, err := e.Do(context.Background(), clientOp(), postReq("http://"+addr, `x`))
	var ce *CallError
	if !errors.As(err, &ce) || ce.Attempts != 4 || errors.Is(err, ErrOutcomeUnknown) || st.Len() != 0 {
		t.Fatalf("refused connections: %v (records %d)", err, st.Len())
	}
}

func TestClientModeInFlightDuplicateFailsFast(t *testing.T) {
	release := make(chan struct{})
	p := newIgnoringProvider(t, func(hit int32, w http.ResponseWriter, r *http.Request) bool {
		<-release
		return false
	})
	e := NewEngine()
	op := clientOp()
	op.Policy.Timeout = 0
	var wg sync.WaitGroup
	wg.Add(1)
	var firstErr error
	go func() {
		defer wg.Done()
		resp, err := e.Do(context.Background(), op, postReq(p.url, `x`))
		if err == nil {
			resp.Body.Close()
		}
		firstErr = err
	}()
	waitFor(t, func() bool { return p.hits.Load() == 1 })
	start := time.Now()
	_, err := e.Do(context.Background(), op, postReq(p.url, `x`))
	if !errors.Is(err, ErrCallInFlight) || time.Since(start) > time.Second {
		t.Fatalf("in-flight duplicate: %v after %v", err, time.Since(start))
	}
	close(release)
	wg.Wait()
	if firstErr != nil || p.created.Load() != 1 || p.hits.Load() != 1 {
		t.Fatalf("first %v created %d hits %d", firstErr, p.created.Load(), p.hits.Load())
	}
}

func TestClientModeSafeMethodsNotRecorded(t *testing.T) {
	var hits atomic.Int32
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	st := NewMemoryCallStore(MemoryCallStoreOptions{})
	e := NewEngine(WithCallStore(st))
	op := Operation{ID: "getCustomer", Method: "GET", Policy: Policy{Idempotency: IdempotencyClient}}
	for range 2 {
		resp, err := e.Do(context.Background(), op, getReq(srv.URL))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	if hits.Load() != 2 || st.Len() != 0 {
		t.Fatalf("GET recorded: hits %d records %d", hits.Load(), st.Len())
	}
}

func TestMemoryCallStoreBoundsAndExpiry(t *testing.T) {
	now := time.Unix(1_000_000, 0)
	st := NewMemoryCallStore(MemoryCallStoreOptions{MaxEntries: 2, Now: func() time.Time { return now }})
	ctx := context.Background()
	rec := func(ref string) CallRecord {
		return CallRecord{Reference: ref, State: CallInFlight, LeaseUntil: now.Add(time.Minute)}
	}
	for _, k := range []string{"a", "b"} {
		if _, created, err := st.Begin(ctx, "op", k, rec(k), time.Hour); !created || err != nil {
			t.Fatalf("%s: %v %v", k, created, err)
		}
	}
	// Full of live records: refuse, never evict.
	if _, _, err := st.Begin(ctx, "op", "c", rec("c"), time.Hour); !errors.Is(err, ErrCallStoreFull) {
		t.Fatalf("full store: %v", err)
	}
	if cur, created, _ := st.Begin(ctx, "op", "a", rec("a2"), time.Hour); created || cur.Reference != "a" || cur.State != CallInFlight {
		t.Fatalf("live record replaced: %+v", cur)
	}
	// Past its lease an in-flight record reads as unknown.
	now = now.Add(2 * time.Minute)
	if cur, _, _ := st.Begin(ctx, "op", "a", rec("a2"), time.Hour); cur.State != CallUnknown {
		t.Fatalf("stale in-flight record: %+v", cur)
	}
	// Expired records make room.
	now = now.Add(time.Hour)
	if _, created, err := st.Begin(ctx, "op", "c", rec("c"), time.Hour); !created || err != nil {
		t.Fatalf("after expiry: %v %v", created, err)
	}
	// Bytes bound too: an outcome too large to keep leaves the record unknown.
	small := NewMemoryCallStore(MemoryCallStoreOptions{MaxBytes: 4 << 10})
	_, _, _ = small.Begin(ctx, "op", "k", CallRecord{Reference: "r", State: CallInFlight}, time.Hour)
	err := small.Finish(ctx, "op", "k", CallRecord{Reference: "r", State: CallDone, Status: 201, Body: make([]byte, 8<<10)}, time.Hour)
	cur, _, _ := small.Begin(ctx, "op", "k", CallRecord{Reference: "r2"}, time.Hour)
	if !errors.Is(err, ErrCallStoreFull) || cur.State != CallUnknown {
		t.Fatalf("oversize outcome: %v %+v", err, cur)
	}
}

func TestClientModeFullStoreRefusesUnsent(t *testing.T) {
	p := newIgnoringProvider(t, nil)
	e := NewEngine(WithCallStore(NewMemoryCallStore(MemoryCallStoreOptions{MaxEntries: 1})))
	resp, err := e.Do(context.Background(), clientOp(), postReq(p.url, `1`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if _, err := e.Do(context.Background(), clientOp(), postReq(p.url, `2`)); !errors.Is(err, ErrCallStoreFull) || p.hits.Load() != 1 {
		t.Fatalf("full store: %v hits %d", err, p.hits.Load())
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 3s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A signed IdempotencyClient call: the body read for the record key is the
// body signed and sent, on every attempt, and a duplicate is not re-signed
// and sent.
func TestClientModeSignedCall(t *testing.T) {
	clk := newTestClock()
	scheme := SignatureScheme{Name: "partner-hmac"}
	secrets := StaticSecrets{[]byte("secret-of-16-bytes")}
	verifier := Verifier{Scheme: scheme, Secrets: secrets, Now: clk.Now, Replay: replayAt(clk.Now)}
	var hits atomic.Int32
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if _, err := verifier.Verify(r.Context(), r, b); err != nil || string(b) != `{"x":1}` {
			t.Errorf("attempt %d: body %q, verify %v", hits.Load()+1, b, err)
		}
		clk.Advance(time.Second)
		if hits.Add(1) == 1 {
			w.WriteHeader(503)
			return
		}
		w.WriteHeader(201)
	})
	e := NewEngine(WithSigner("partner-hmac", Signer{Scheme: scheme, Secrets: secrets, Now: clk.Now}))
	op := clientOp()
	op.Policy.Signature = "partner-hmac"
	for range 2 {
		resp, err := e.Do(context.Background(), op, postReq(srv.URL, `{"x":1}`))
		if err != nil || resp.StatusCode != 201 {
			t.Fatalf("err %v", err)
		}
		resp.Body.Close()
	}
	if hits.Load() != 2 {
		t.Fatalf("hits %d, want 2 (503, 201; the duplicate answered from the record)", hits.Load())
	}
}
