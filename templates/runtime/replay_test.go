package runtime

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	goruntime "runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoryReplayCacheFailsClosed(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock()
	c := NewMemoryReplayCache(3)
	c.now = clk.Now
	for i, id := range []string{"a", "b", "c"} {
		if seen, err := c.Seen(ctx, id, clk.Now().Add(time.Duration(i+1)*time.Minute)); seen || err != nil {
			t.Fatalf("%s on first use: %v %v", id, seen, err)
		}
	}
	if seen, _ := c.Seen(ctx, "a", clk.Now().Add(time.Minute)); !seen {
		t.Fatal("a not remembered")
	}
	// Full of live ids: a new one is refused and every live one is kept,
	// however many arrive (a flood must not push a captured message out).
	for i := 0; i < 1000; i++ {
		seen, err := c.Seen(ctx, fmt.Sprint("flood-", i), clk.Now().Add(time.Minute))
		var full *StoreFullError
		if seen || !errors.Is(err, ErrStoreFull) || !errors.As(err, &full) || full.Store != "replay" || full.RetryAfter != time.Minute {
			t.Fatalf("flood %d: %v %v", i, seen, err)
		}
	}
	for _, id := range []string{"a", "b", "c"} {
		if seen, err := c.Seen(ctx, id, clk.Now().Add(time.Minute)); !seen || err != nil {
			t.Fatalf("%s forgotten under a flood: %v %v", id, seen, err)
		}
	}
	// a expires: its room is reclaimed and a is accepted again, once,
	// because its message can no longer pass the freshness check anyway.
	clk.Advance(time.Minute)
	if seen, err := c.Seen(ctx, "d", clk.Now().Add(time.Minute)); seen || err != nil {
		t.Fatalf("d after a expired: %v %v", seen, err)
	}
	if n, _ := c.Usage(); n != 3 {
		t.Fatalf("%d entries", n)
	}
	clk.Advance(2 * time.Minute) // b and c expire
	if seen, err := c.Seen(ctx, "a", clk.Now().Add(time.Minute)); seen || err != nil {
		t.Fatalf("expired a: %v %v", seen, err)
	}
	if seen, _ := c.Seen(ctx, "a", clk.Now().Add(time.Minute)); !seen {
		t.Fatal("a accepted twice after expiry")
	}
}

func TestMemoryReplayCacheBoundedByBytes(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock()
	c := NewMemoryReplayCacheLimits(MemoryLimits{Entries: 1 << 20, Bytes: 4 << 10})
	c.now = clk.Now
	n := 0
	for ; n < 1000; n++ {
		seen, err := c.Seen(ctx, fmt.Sprintf("scheme|a|%064d", n), clk.Now().Add(time.Minute))
		if errors.Is(err, ErrStoreFull) {
			break
		}
		if seen || err != nil {
			t.Fatalf("%d: %v %v", n, seen, err)
		}
	}
	if _, used := c.Usage(); n < 10 || n > 25 || used > 4<<10 {
		t.Fatalf("%d ids admitted in %d bytes", n, used)
	}
	// A huge nonce costs no more than a hash of it.
	clk.Advance(time.Minute)
	if seen, err := c.Seen(ctx, strings.Repeat("n", 1<<20), clk.Now().Add(time.Minute)); seen || err != nil {
		t.Fatalf("long id: %v %v", seen, err)
	}
	if _, used := c.Usage(); used > 400 {
		t.Fatalf("a long id accounted %d bytes", used)
	}
}

// TestMemoryReplayCacheBytesPerID compares the heap an id costs with what
// the cache accounts for it.
func TestMemoryReplayCacheBytesPerID(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates ~10 MB")
	}
	const n = 50000
	ctx := context.Background()
	c := NewMemoryReplayCacheLimits(MemoryLimits{Entries: n, Bytes: 1 << 30})
	until := time.Now().Add(time.Hour)
	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		if _, err := c.Seen(ctx, fmt.Sprintf("partner-hmac|a|%032x", i), until); err != nil {
			t.Fatal(err)
		}
	}
	goruntime.GC()
	goruntime.ReadMemStats(&after)
	heapPer := float64(after.HeapAlloc-before.HeapAlloc) / n
	_, used := c.Usage()
	t.Logf("heap %.0f bytes/id, accounted %.0f bytes/id (%d ids)", heapPer, float64(used)/n, n)
	if float64(used)/n < 0.85*heapPer {
		t.Fatalf("the byte limit undercounts: %.0f of %.0f", float64(used)/n, heapPer)
	}
	goruntime.KeepAlive(c)
}

// signedChain serves an idempotent operation signed with the accord format,
// accepting two partners' keys, on the test's clock.
func signedChain(t *testing.T, s *ServerSettings, replay ReplayCache, clk *rtTestClock, h http.HandlerFunc) (string, func(key, body, idemKey string) *http.Request) {
	t.Helper()
	scheme := SignatureScheme{Name: "partner-hmac"}
	s.Verifiers = map[string]Verifier{"partner-hmac": {Scheme: scheme, Now: clk.Now, Replay: replay,
		Secrets: StaticSecrets{[]byte("partner-a-key-of-16-bytes+"), []byte("partner-b-key-of-16-bytes+")}}}
	op := Operation{ID: "createPayment", Method: "POST", Pattern: "/p", Policy: Policy{Signature: "partner-hmac", Idempotency: IdempotencyRequired, IdempotencyTTL: time.Hour}}
	url := serveChain(t, op, s, h).URL + "/p"
	return url, func(key, body, idemKey string) *http.Request {
		req := mustReq("POST", url, body)
		req.Header.Set("Idempotency-Key", idemKey)
		sg := Signer{Scheme: scheme, Secrets: StaticSecrets{[]byte(key)}, Now: clk.Now}
		if err := sg.Sign(context.Background(), req, []byte(body)); err != nil {
			t.Fatal(err)
		}
		return req
	}
}

func resend(req *http.Request, body string) *http.Request {
	r := mustReq(req.Method, req.URL.String(), body)
	r.Header = req.Header.Clone()
	return r
}

// An identical retry of a signed attempt that failed (5xx: the claim was
// released) is served, not refused as a replay; once an attempt succeeded,
// its replay is refused.
func TestChainReplayOfFailedAttemptIsServed(t *testing.T) {
	clk := newTestClock()
	s, _ := testSettings()
	var runs atomic.Int32
	cache := replayAt(clk.Now)
	_, sign := signedChain(t, s, cache, clk, func(w http.ResponseWriter, r *http.Request) {
		if runs.Add(1) == 1 {
			w.WriteHeader(503)
			return
		}
		w.WriteHeader(201)
	})
	first := sign("partner-a-key-of-16-bytes+", `{"a":1}`, "k1")
	if resp := do(t, resend(first, `{"a":1}`)); resp.StatusCode != 503 {
		t.Fatalf("first: %d", resp.StatusCode)
	}
	if resp := do(t, resend(first, `{"a":1}`)); resp.StatusCode != 201 || runs.Load() != 2 {
		t.Fatalf("identical retry after a failure: %d runs %d", resp.StatusCode, runs.Load())
	}
	if resp := do(t, resend(first, `{"a":1}`)); resp.StatusCode != 401 || runs.Load() != 2 {
		t.Fatalf("replay of a success: %d runs %d", resp.StatusCode, runs.Load())
	}
}

// Two partners (two signing keys) with the same Idempotency-Key and body
// each get their own handler run: the verified key is the default scope.
func TestChainIdempotencyScopedBySigningKey(t *testing.T) {
	clk := newTestClock()
	s, _ := testSettings()
	var runs atomic.Int32
	_, sign := signedChain(t, s, replayAt(clk.Now), clk, func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"run":%d}`, runs.Add(1))
	})
	body := func(resp *http.Response) string { b, _ := io.ReadAll(resp.Body); return string(b) }
	a := do(t, sign("partner-a-key-of-16-bytes+", `{"amount":1}`, "same"))
	b := do(t, sign("partner-b-key-of-16-bytes+", `{"amount":1}`, "same"))
	if a.StatusCode != 201 || b.StatusCode != 201 || body(a) != `{"run":1}` || body(b) != `{"run":2}` || b.Header.Get("Idempotent-Replayed") != "" {
		t.Fatalf("a %d, b %d replayed %q", a.StatusCode, b.StatusCode, b.Header.Get("Idempotent-Replayed"))
	}
	// Each partner's retry (a fresh signature) replays its own answer.
	if r := do(t, sign("partner-b-key-of-16-bytes+", `{"amount":1}`, "same")); r.Header.Get("Idempotent-Replayed") != "true" || body(r) != `{"run":2}` {
		t.Fatalf("b's retry: %d %v", r.StatusCode, r.Header)
	}
}

// A full replay cache refuses new signed requests (503, OnStoreError) and
// keeps refusing the replay of every message it holds.
func TestChainReplayCacheFull(t *testing.T) {
	clk := newTestClock()
	s, _ := testSettings()
	var events []StoreErrorInfo
	s.Hooks.OnStoreError = func(i StoreErrorInfo) { events = append(events, i) }
	cache := NewMemoryReplayCache(2)
	cache.now = clk.Now
	var runs atomic.Int32
	_, sign := signedChain(t, s, cache, clk, func(w http.ResponseWriter, r *http.Request) { runs.Add(1); w.WriteHeader(201) })
	victim := sign("partner-a-key-of-16-bytes+", `{"v":1}`, "victim")
	do(t, resend(victim, `{"v":1}`))
	do(t, sign("partner-a-key-of-16-bytes+", `{"v":2}`, "k2"))
	if resp := do(t, sign("partner-a-key-of-16-bytes+", `{"v":3}`, "k3")); resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("full cache: %d", resp.StatusCode)
	}
	if len(events) != 1 || events[0].Store != "replay" || !events[0].Full {
		t.Fatalf("events %+v", events)
	}
	if resp := do(t, resend(victim, `{"v":1}`)); resp.StatusCode != 401 || runs.Load() != 2 {
		t.Fatalf("victim's replay: %d runs %d", resp.StatusCode, runs.Load())
	}
}
