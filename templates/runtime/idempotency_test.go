package runtime

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoryStoreLifecycle(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock()
	s := NewMemoryIdempotencyStore(10)
	s.now = clk.Now
	if rec, err := s.Claim(ctx, "op", "k", "fp", time.Minute, time.Hour); rec != nil || err != nil {
		t.Fatalf("first claim: %v %v", rec, err)
	}
	rec, _ := s.Claim(ctx, "op", "k", "fp", time.Minute, time.Hour)
	if rec == nil || rec.Done || rec.Fingerprint != "fp" {
		t.Fatalf("in-flight record %+v", rec)
	}
	if rec, _ := s.Claim(ctx, "other-op", "k", "fp", time.Minute, time.Hour); rec != nil {
		t.Fatal("scopes not separate")
	}
	// Lease expiry: the claim was abandoned, another caller may take it.
	clk.Advance(2 * time.Minute)
	if rec, _ := s.Claim(ctx, "op", "k", "fp2", time.Minute, time.Hour); rec != nil {
		t.Fatalf("expired lease not re-claimable: %+v", rec)
	}
	// The old owner's late Complete must not overwrite the new claim.
	_ = s.Complete(ctx, "op", "k", IdempotencyRecord{Fingerprint: "fp", StatusCode: 200, ExpiresAt: clk.Now().Add(time.Hour)})
	if rec, _ := s.Claim(ctx, "op", "k", "fp2", time.Minute, time.Hour); rec == nil || rec.Done {
		t.Fatalf("stale complete took over: %+v", rec)
	}
	if err := s.Complete(ctx, "op", "k", IdempotencyRecord{Fingerprint: "fp2", StatusCode: 201, Body: []byte("b"),
		Header: http.Header{"Location": {"/x"}}, ExpiresAt: clk.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rec, _ = s.Claim(ctx, "op", "k", "fp2", time.Minute, time.Hour)
	if rec == nil || !rec.Done || rec.StatusCode != 201 || string(rec.Body) != "b" || rec.Header.Get("Location") != "/x" {
		t.Fatalf("done record %+v", rec)
	}
	// Release never drops a finished record.
	_ = s.Release(ctx, "op", "k")
	if rec, _ := s.Claim(ctx, "op", "k", "fp2", time.Minute, time.Hour); rec == nil || !rec.Done {
		t.Fatal("release dropped a done record")
	}
	clk.Advance(2 * time.Hour)
	if rec, _ := s.Claim(ctx, "op", "k", "fp3", time.Minute, time.Hour); rec != nil {
		t.Fatal("TTL not enforced")
	}
	_ = s.Release(ctx, "op", "k")
	if rec, _ := s.Claim(ctx, "op", "k", "fp4", time.Minute, time.Hour); rec != nil {
		t.Fatal("release did not free the key")
	}
}

func TestMemoryStoreBounded(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock()
	s := NewMemoryIdempotencyStore(4)
	s.now = clk.Now
	complete := func(k string, ttl time.Duration) {
		if rec, err := s.Claim(ctx, "op", k, "fp", time.Minute, ttl); rec != nil || err != nil {
			t.Fatalf("claim %s: %v %v", k, rec, err)
		}
		if err := s.Complete(ctx, "op", k, IdempotencyRecord{Fingerprint: "fp", StatusCode: 200, ExpiresAt: clk.Now().Add(ttl)}); err != nil {
			t.Fatal(err)
		}
	}
	complete("a", time.Hour)
	complete("b", 10*time.Minute) // expires first
	complete("c", time.Hour)
	complete("d", time.Hour)
	complete("e", time.Hour) // full: evicts b, the finished record nearest its expiry
	if len(s.m) != 4 {
		t.Fatalf("size %d", len(s.m))
	}
	if rec, _ := s.Claim(ctx, "op", "a", "fp", time.Minute, time.Hour); rec == nil {
		t.Fatal("a evicted before b")
	}
	if _, ok := s.m[rtIdemID{"op", "b"}]; ok {
		t.Fatal("b not evicted")
	}
	// Fill with in-flight claims: they are never evicted, so claims fail.
	s2 := NewMemoryIdempotencyStore(2)
	s2.now = clk.Now
	_, _ = s2.Claim(ctx, "op", "x", "fp", time.Minute, time.Hour)
	_, _ = s2.Claim(ctx, "op", "y", "fp", time.Minute, time.Hour)
	if _, err := s2.Claim(ctx, "op", "z", "fp", time.Minute, time.Hour); err == nil {
		t.Fatal("in-flight claim evicted")
	}
	clk.Advance(2 * time.Minute) // leases expire: abandoned claims are reclaimable space
	if rec, err := s2.Claim(ctx, "op", "z", "fp", time.Minute, time.Hour); rec != nil || err != nil {
		t.Fatalf("after lease expiry: %v %v", rec, err)
	}
}

func idemServer(t *testing.T, mode IdempotencyMode, h http.HandlerFunc) (string, *ServerSettings) {
	s, _ := testSettings()
	s.Idempotency = NewMemoryIdempotencyStore(100)
	op := Operation{ID: "createPayment", Method: "POST", Pattern: "/v1/payments", Policy: Policy{Idempotency: mode, IdempotencyTTL: time.Hour}}
	return serveChain(t, op, s, h).URL + "/v1/payments", s
}

func TestChainIdempotencyConcurrentDuplicates(t *testing.T) {
	var runs atomic.Int32
	url, _ := idemServer(t, IdempotencyOptional, func(w http.ResponseWriter, r *http.Request) {
		n := runs.Add(1)
		if IdempotencyKeyFromContext(r.Context()) != "dup-key" {
			t.Errorf("key in context %q", IdempotencyKeyFromContext(r.Context()))
		}
		b, _ := io.ReadAll(r.Body)
		time.Sleep(50 * time.Millisecond)
		w.Header().Set("Location", "/v1/payments/p1")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"run":%d,"req":%s}`, n, b)
	})
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 200}}
	defer client.CloseIdleConnections()
	const n = 200
	var wg sync.WaitGroup
	var created, replayed, conflicts, other atomic.Int32
	start := make(chan struct{})
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			req := mustReq("POST", url, `{"amount":100}`)
			req.Header.Set("Idempotency-Key", "dup-key")
			resp, err := client.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			b, _ := io.ReadAll(resp.Body)
			switch {
			case resp.StatusCode == 201 && string(b) == `{"run":1,"req":{"amount":100}}` && resp.Header.Get("Location") == "/v1/payments/p1":
				if resp.Header.Get("Idempotent-Replayed") == "true" {
					replayed.Add(1)
				} else {
					created.Add(1)
				}
			case resp.StatusCode == 409 && resp.Header.Get("Retry-After") == "1":
				conflicts.Add(1)
			default:
				other.Add(1)
				t.Errorf("unexpected response %d %q", resp.StatusCode, b)
			}
		}()
	}
	close(start)
	wg.Wait()
	if runs.Load() != 1 || created.Load() != 1 || other.Load() != 0 {
		t.Fatalf("runs %d created %d replayed %d conflicts %d other %d", runs.Load(), created.Load(), replayed.Load(), conflicts.Load(), other.Load())
	}
	if conflicts.Load() == 0 {
		t.Log("no request overlapped the first one (machine too slow?)")
	}
	// After completion, a retry is a replay with the stored headers.
	req := mustReq("POST", url, `{"amount":100}`)
	req.Header.Set("Idempotency-Key", "dup-key")
	resp := do(t, req)
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 || resp.Header.Get("Idempotent-Replayed") != "true" || resp.Header.Get("Content-Type") != "application/json" ||
		resp.Header.Get("Location") != "/v1/payments/p1" || string(b) != `{"run":1,"req":{"amount":100}}` || runs.Load() != 1 {
		t.Fatalf("replay %d %v %q", resp.StatusCode, resp.Header, b)
	}
	// Same key, different payload.
	req = mustReq("POST", url, `{"amount":999}`)
	req.Header.Set("Idempotency-Key", "dup-key")
	if resp := do(t, req); resp.StatusCode != 422 {
		t.Fatalf("different payload: %d", resp.StatusCode)
	}
	// Different query string is a different request, too.
	req = mustReq("POST", url+"?dry=1", `{"amount":100}`)
	req.Header.Set("Idempotency-Key", "dup-key")
	if resp := do(t, req); resp.StatusCode != 422 {
		t.Fatalf("different query: %d", resp.StatusCode)
	}
}

func TestChainIdempotencyRequiredAndInvalidKeys(t *testing.T) {
	var runs atomic.Int32
	url, _ := idemServer(t, IdempotencyRequired, func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		w.WriteHeader(201)
	})
	resp := do(t, mustReq("POST", url, `{}`))
	if resp.StatusCode != 400 || !strings.Contains(decodeProblem(t, resp).Detail, "requires an Idempotency-Key") {
		t.Fatalf("missing key: %d", resp.StatusCode)
	}
	for _, k := range []string{strings.Repeat("k", 256), "bad\tkey", "ключ"} {
		req := mustReq("POST", url, `{}`)
		req.Header["Idempotency-Key"] = []string{k}
		if resp := do(t, req); resp.StatusCode != 400 {
			t.Fatalf("key %q: %d", k, resp.StatusCode)
		}
	}
	if runs.Load() != 0 {
		t.Fatal("handler ran for a rejected request")
	}
}

func TestChainIdempotencyFailuresRelease(t *testing.T) {
	var runs atomic.Int32
	url, _ := idemServer(t, IdempotencyOptional, func(w http.ResponseWriter, r *http.Request) {
		switch runs.Add(1) {
		case 1:
			w.WriteHeader(503)
		case 2:
			panic("handler bug")
		default:
			w.WriteHeader(200)
		}
	})
	send := func() int {
		req := mustReq("POST", url, `{"a":1}`)
		req.Header.Set("Idempotency-Key", "k-fail")
		return do(t, req).StatusCode
	}
	if c := send(); c != 503 {
		t.Fatalf("first %d", c)
	}
	if c := send(); c != 500 {
		t.Fatalf("second (panic) %d", c)
	}
	if c := send(); c != 200 {
		t.Fatalf("third %d", c)
	}
	if c := send(); c != 200 || runs.Load() != 3 {
		t.Fatalf("replay %d runs %d", c, runs.Load())
	}
}

func TestChainIdempotencyOffAndSafeMethods(t *testing.T) {
	var runs atomic.Int32
	h := func(w http.ResponseWriter, r *http.Request) { runs.Add(1) }
	url, _ := idemServer(t, IdempotencyOff, h)
	for i := 0; i < 2; i++ {
		req := mustReq("POST", url, `{}`)
		req.Header.Set("Idempotency-Key", "k")
		do(t, req)
	}
	if runs.Load() != 2 {
		t.Fatalf("mode off deduplicated: %d", runs.Load())
	}
}

func TestChainIdempotencyWithTimeout(t *testing.T) {
	// The handler outlives the 503; its eventual result is stored and a
	// retry gets it instead of running the handler again.
	s, _ := testSettings()
	s.Idempotency = NewMemoryIdempotencyStore(10)
	var runs atomic.Int32
	finished := make(chan struct{})
	op := Operation{ID: "slowCreate", Method: "POST", Pattern: "/c", Policy: Policy{Timeout: 50 * time.Millisecond, Idempotency: IdempotencyOptional}}
	srv := serveChain(t, op, s, func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		time.Sleep(600 * time.Millisecond) // far past the 50ms timeout, even on a loaded machine
		w.WriteHeader(201)
		_, _ = io.WriteString(w, "created")
		close(finished)
	})
	send := func() *http.Response {
		req := mustReq("POST", srv.URL+"/c", `{}`)
		req.Header.Set("Idempotency-Key", "slow-key")
		return do(t, req)
	}
	if r := send(); r.StatusCode != 503 {
		t.Fatalf("first: %d", r.StatusCode)
	}
	if r := send(); r.StatusCode != 409 {
		t.Fatalf("while in flight: %d", r.StatusCode)
	}
	<-finished
	time.Sleep(20 * time.Millisecond) // let Complete land
	r := send()
	b, _ := io.ReadAll(r.Body)
	if r.StatusCode != 201 || string(b) != "created" || runs.Load() != 1 {
		t.Fatalf("after completion: %d %q runs %d", r.StatusCode, b, runs.Load())
	}
}
