package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	goruntime "runtime"
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
	if rec, err := s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "fp", time.Minute, time.Hour); rec != nil || err != nil {
		t.Fatalf("first claim: %v %v", rec, err)
	}
	rec, _ := s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "fp", time.Minute, time.Hour)
	if rec == nil || rec.Done || rec.Fingerprint != "fp" {
		t.Fatalf("in-flight record %+v", rec)
	}
	if rec, _ := s.Claim(ctx, IdempotencyID{Operation: "other-op", Key: "k"}, "fp", time.Minute, time.Hour); rec != nil {
		t.Fatal("scopes not separate")
	}
	// Lease expiry: the claim was abandoned, another caller may take it.
	clk.Advance(2 * time.Minute)
	if rec, _ := s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "fp2", time.Minute, time.Hour); rec != nil {
		t.Fatalf("expired lease not re-claimable: %+v", rec)
	}
	// The old owner's late Complete must not overwrite the new claim.
	_ = s.Complete(ctx, IdempotencyID{Operation: "op", Key: "k"}, IdempotencyRecord{Fingerprint: "fp", StatusCode: 200, ExpiresAt: clk.Now().Add(time.Hour)})
	if rec, _ := s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "fp2", time.Minute, time.Hour); rec == nil || rec.Done {
		t.Fatalf("stale complete took over: %+v", rec)
	}
	if err := s.Complete(ctx, IdempotencyID{Operation: "op", Key: "k"}, IdempotencyRecord{Fingerprint: "fp2", StatusCode: 201, Body: []byte("b"),
		Header: http.Header{"Location": {"/x"}}, ExpiresAt: clk.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rec, _ = s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "fp2", time.Minute, time.Hour)
	if rec == nil || !rec.Done || rec.StatusCode != 201 || string(rec.Body) != "b" || rec.Header.Get("Location") != "/x" {
		t.Fatalf("done record %+v", rec)
	}
	// Release never drops a finished record.
	_ = s.Release(ctx, IdempotencyID{Operation: "op", Key: "k"})
	if rec, _ := s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "fp2", time.Minute, time.Hour); rec == nil || !rec.Done {
		t.Fatal("release dropped a done record")
	}
	clk.Advance(2 * time.Hour)
	if rec, _ := s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "fp3", time.Minute, time.Hour); rec != nil {
		t.Fatal("TTL not enforced")
	}
	_ = s.Release(ctx, IdempotencyID{Operation: "op", Key: "k"})
	if rec, _ := s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "fp4", time.Minute, time.Hour); rec != nil {
		t.Fatal("release did not free the key")
	}
}

func TestMemoryStoreScopesAreSeparate(t *testing.T) {
	ctx := context.Background()
	s := NewMemoryIdempotencyStore(10)
	a := IdempotencyID{Scope: "principal:bearer:tenant-a", Operation: "op", Key: "k"}
	b := a
	b.Scope = "principal:bearer:tenant-b"
	if rec, err := s.Claim(ctx, a, "fp", time.Minute, time.Hour); rec != nil || err != nil {
		t.Fatalf("claim a: %v %v", rec, err)
	}
	if err := s.Complete(ctx, a, IdempotencyRecord{Fingerprint: "fp", StatusCode: 201, Body: []byte("a's data")}); err != nil {
		t.Fatal(err)
	}
	if rec, err := s.Claim(ctx, b, "fp", time.Minute, time.Hour); rec != nil || err != nil {
		t.Fatalf("tenant b sees tenant a's record: %+v %v", rec, err)
	}
}

func TestMemoryStoreFailsClosedByEntries(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock()
	s := NewMemoryIdempotencyStore(4)
	s.now = clk.Now
	id := func(k string) IdempotencyID { return IdempotencyID{Operation: "op", Key: k} }
	complete := func(k string, ttl time.Duration) {
		t.Helper()
		if rec, err := s.Claim(ctx, id(k), "fp", time.Minute, ttl); rec != nil || err != nil {
			t.Fatalf("claim %s: %v %v", k, rec, err)
		}
		if err := s.Complete(ctx, id(k), IdempotencyRecord{Fingerprint: "fp", StatusCode: 200, ExpiresAt: clk.Now().Add(ttl)}); err != nil {
			t.Fatal(err)
		}
	}
	complete("a", time.Hour)
	complete("b", 10*time.Minute) // expires first
	complete("c", time.Hour)
	complete("d", time.Hour)
	// Full of live records: the new claim is refused, nothing is dropped.
	_, err := s.Claim(ctx, id("e"), "fp", time.Minute, time.Hour)
	var full *StoreFullError
	if !errors.Is(err, ErrStoreFull) || !errors.As(err, &full) || full.Store != "idempotency" || full.RetryAfter != time.Minute {
		t.Fatalf("claim on a full store: %v", err)
	}
	for _, k := range []string{"a", "b", "c", "d"} {
		if rec, _ := s.Claim(ctx, id(k), "fp", time.Minute, time.Hour); rec == nil || !rec.Done {
			t.Fatalf("%s was dropped to make room: %+v", k, rec)
		}
	}
	// Once b expired, its room is reclaimed, and only its room.
	clk.Advance(10 * time.Minute)
	if rec, err := s.Claim(ctx, id("e"), "fp", time.Minute, time.Hour); rec != nil || err != nil {
		t.Fatalf("after b expired: %v %v", rec, err)
	}
	if n, _ := s.Usage(); n != 4 {
		t.Fatalf("%d entries", n)
	}
	// In-flight claims are live too; an abandoned one (lease over) is not.
	s2 := NewMemoryIdempotencyStore(2)
	s2.now = clk.Now
	_, _ = s2.Claim(ctx, id("x"), "fp", time.Minute, time.Hour)
	_, _ = s2.Claim(ctx, id("y"), "fp", time.Minute, time.Hour)
	if _, err := s2.Claim(ctx, id("z"), "fp", time.Minute, time.Hour); !errors.Is(err, ErrStoreFull) {
		t.Fatalf("in-flight claim evicted: %v", err)
	}
	clk.Advance(2 * time.Minute)
	if rec, err := s2.Claim(ctx, id("z"), "fp", time.Minute, time.Hour); rec != nil || err != nil {
		t.Fatalf("after lease expiry: %v %v", rec, err)
	}
}

func TestMemoryStoreFailsClosedByBytes(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock()
	s := NewMemoryIdempotencyStoreLimits(MemoryLimits{Entries: 1000, Bytes: 4 << 10})
	s.now = clk.Now
	body := bytes.Repeat([]byte("x"), 1000)
	n := 0
	for ; n < 100; n++ {
		id := IdempotencyID{Operation: "op", Key: fmt.Sprint("k", n)}
		rec, err := s.Claim(ctx, id, "fp", time.Minute, time.Hour)
		if errors.Is(err, ErrStoreFull) {
			break
		}
		if rec != nil || err != nil {
			t.Fatalf("claim %d: %v %v", n, rec, err)
		}
		// The buffer is larger than the body: only the body is kept.
		buf := make([]byte, len(body), 64<<10)
		copy(buf, body)
		if err := s.Complete(ctx, id, IdempotencyRecord{Fingerprint: "fp", StatusCode: 201, Body: buf, ExpiresAt: clk.Now().Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
	}
	entries, used := s.Usage()
	if n < 3 || n > 4 || entries != n || used > 4<<10+1400 {
		t.Fatalf("%d records admitted, %d entries, %d bytes", n, entries, used)
	}
	for i := 0; i < n; i++ {
		rec, _ := s.Claim(ctx, IdempotencyID{Operation: "op", Key: fmt.Sprint("k", i)}, "fp", time.Minute, time.Hour)
		if rec == nil || !rec.Done || !bytes.Equal(rec.Body, body) || cap(rec.Body) > 2*len(body) {
			t.Fatalf("record %d lost or bloated", i)
		}
	}
	clk.Advance(time.Hour)
	if rec, err := s.Claim(ctx, IdempotencyID{Operation: "op", Key: "later"}, "fp", time.Minute, time.Hour); rec != nil || err != nil {
		t.Fatalf("after expiry: %v %v", rec, err)
	}
	if entries, used := s.Usage(); entries != 1 || used > 400 {
		t.Fatalf("expired records not reclaimed: %d entries, %d bytes", entries, used)
	}
}

// TestMemoryStoreBytesPerRecord measures what a finished record with a
// small JSON answer costs on the heap, against what the store accounts for
// it: the byte limit must not undercount by much.
func TestMemoryStoreBytesPerRecord(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates ~20 MB")
	}
	const n = 50000
	ctx := context.Background()
	s := NewMemoryIdempotencyStoreLimits(MemoryLimits{Entries: n, Bytes: 1 << 30})
	body := []byte(`{"id":"pay_0123456789","amount":1000,"currency":"eur","status":"succeeded"}`)
	hdr := http.Header{"Content-Type": {"application/json"}, "Location": {"/v1/payments/pay_0123456789"}}
	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		id := IdempotencyID{Scope: "principal:bearer:tenant-42", Operation: "createPayment", Key: fmt.Sprintf("0b7e8f34-5c7a-4b7e-9a8d-%012d", i)}
		fp := fmt.Sprintf("%064x", i) // a fresh SHA-256 hex per request, as the server computes
		if _, err := s.Claim(ctx, id, fp, time.Minute, time.Hour); err != nil {
			t.Fatal(err)
		}
		h := hdr.Clone()
		if err := s.Complete(ctx, id, IdempotencyRecord{Fingerprint: fp, StatusCode: 201, Header: h, Body: body}); err != nil {
			t.Fatal(err)
		}
	}
	goruntime.GC()
	goruntime.ReadMemStats(&after)
	heapPer := float64(after.HeapAlloc-before.HeapAlloc) / n
	_, used := s.Usage()
	accounted := float64(used) / n
	t.Logf("heap %.0f bytes/record, accounted %.0f bytes/record (%d records)", heapPer, accounted, n)
	if accounted < 0.85*heapPer {
		t.Fatalf("the byte limit undercounts: accounted %.0f of %.0f heap bytes per record", accounted, heapPer)
	}
	goruntime.KeepAlive(s)
}

func idemServer(t *testing.T, mode IdempotencyMode, h http.HandlerFunc) (string, *ServerSettings) {
	s, _ := testSettings()
	s.Idempotency = NewMemoryIdempotencyStore(100)
	op := Operation{ID: "createPayment", Method: "POST", Pattern: "/v1/payments", Policy: Policy{Idempotency: mode, IdempotencyTTL: time.Hour}}
	return serveChain(t, op, s, h).URL + "/v1/payments", s
}

func idemServerWith(t *testing.T, s *ServerSettings, h http.HandlerFunc) (string, *ServerSettings) {
	op := Operation{ID: "createPayment", Method: "POST", Pattern: "/v1/payments", Policy: Policy{Idempotency: IdempotencyOptional, IdempotencyTTL: time.Hour}}
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

// tenantServer authenticates "Authorization: Bearer <tenant>" the way a
// user's middleware would, in front of an idempotent operation whose
// handler answers with the tenant and the run number.
func tenantServer(t *testing.T, s *ServerSettings, runs *atomic.Int32) string {
	t.Helper()
	op := Operation{ID: "createPayment", Method: "POST", Pattern: "/v1/payments", Policy: Policy{Idempotency: IdempotencyRequired, IdempotencyTTL: time.Hour}}
	chain := Chain(op, s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := runs.Add(1)
		p, _ := PrincipalFromContext(r.Context())
		b, _ := io.ReadAll(r.Body)
		w.WriteHeader(201)
		fmt.Fprintf(w, `{"tenant":%q,"run":%d,"req":%s}`, p.Subject, n, b)
	}))
	mux := http.NewServeMux()
	mux.Handle("POST /v1/payments", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tenant, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			r = r.WithContext(ContextWithPrincipal(r.Context(), Principal{Scheme: "bearer", Subject: tenant}))
		}
		chain.ServeHTTP(w, r)
	}))
	return newLoopback(t, mux.ServeHTTP).URL + "/v1/payments"
}

func tenantPost(t *testing.T, url, tenant, key, body string) (int, string, bool) {
	t.Helper()
	req := mustReq("POST", url, body)
	if tenant != "" {
		req.Header.Set("Authorization", "Bearer "+tenant)
	}
	req.Header.Set("Idempotency-Key", key)
	resp := do(t, req)
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Idempotent-Replayed") == "true"
}

func TestChainIdempotencyScopedByPrincipal(t *testing.T) {
	s, _ := testSettings()
	s.Idempotency = NewMemoryIdempotencyStore(100)
	var runs atomic.Int32
	url := tenantServer(t, s, &runs)
	if code, body, _ := tenantPost(t, url, "tenant-a", "shared-key", `{"amount":100}`); code != 201 || body != `{"tenant":"tenant-a","run":1,"req":{"amount":100}}` {
		t.Fatalf("a: %d %s", code, body)
	}
	// B with A's key and another body: its own new request, not a 422 that
	// would tell B the key exists.
	if code, body, replayed := tenantPost(t, url, "tenant-b", "shared-key", `{"amount":5}`); code != 201 || replayed || body != `{"tenant":"tenant-b","run":2,"req":{"amount":5}}` {
		t.Fatalf("b, other body: %d %s replayed %v", code, body, replayed)
	}
	// C with A's key and A's body: its own handler run, never A's answer.
	if code, body, replayed := tenantPost(t, url, "tenant-c", "shared-key", `{"amount":100}`); code != 201 || replayed || strings.Contains(body, "tenant-a") {
		t.Fatalf("c, a's body: %d %s replayed %v", code, body, replayed)
	}
	// Each tenant's retry replays its own answer.
	if code, body, replayed := tenantPost(t, url, "tenant-a", "shared-key", `{"amount":100}`); code != 201 || !replayed || body != `{"tenant":"tenant-a","run":1,"req":{"amount":100}}` {
		t.Fatalf("a's retry: %d %s replayed %v", code, body, replayed)
	}
	if code, _, replayed := tenantPost(t, url, "tenant-b", "shared-key", `{"amount":100}`); code != 422 || replayed {
		t.Fatalf("b reusing its own key with another body: %d", code)
	}
	if runs.Load() != 3 {
		t.Fatalf("%d handler runs", runs.Load())
	}
}

func TestChainIdempotencyCustomScope(t *testing.T) {
	s, _ := testSettings()
	s.Idempotency = NewMemoryIdempotencyStore(100)
	// The principal says nothing here; the tenant header does (e.g. set by
	// a gateway the server trusts).
	s.Scope = func(r *http.Request) string { return "tenant:" + r.Header.Get("X-Tenant") }
	var runs atomic.Int32
	url := tenantServer(t, s, &runs)
	send := func(tenant string) (int, bool) {
		req := mustReq("POST", url, `{}`)
		req.Header.Set("Authorization", "Bearer same-principal")
		req.Header.Set("X-Tenant", tenant)
		req.Header.Set("Idempotency-Key", "k")
		resp := do(t, req)
		return resp.StatusCode, resp.Header.Get("Idempotent-Replayed") == "true"
	}
	for _, tc := range []struct {
		tenant   string
		replayed bool
	}{{"x", false}, {"y", false}, {"x", true}, {"y", true}} {
		if code, replayed := send(tc.tenant); code != 201 || replayed != tc.replayed {
			t.Fatalf("tenant %s: %d replayed %v", tc.tenant, code, replayed)
		}
	}
	if runs.Load() != 2 {
		t.Fatalf("%d runs", runs.Load())
	}
	// A scope longer than the SQL column is hashed, not truncated: two
	// long scopes sharing a prefix stay apart.
	long := strings.Repeat("t", 200)
	if a, b := rtScopeID(long+"1"), rtScopeID(long+"2"); a == b || len(a) > rtMaxScopeLen {
		t.Fatalf("long scopes: %q %q", a, b)
	}
}

func TestDefaultScope(t *testing.T) {
	r := httptestRequest()
	if got := rtDefaultScope(r); got != "" {
		t.Fatalf("anonymous scope %q", got)
	}
	st := &rtServerRequest{keyID: "kid-1"}
	r = r.WithContext(context.WithValue(r.Context(), rtTraceKey{}, st))
	if got := rtDefaultScope(r); got != "key:kid-1" {
		t.Fatalf("signed scope %q", got)
	}
	r = r.WithContext(ContextWithPrincipal(r.Context(), Principal{Scheme: "oauth", Subject: "acct_9"}))
	if got := rtDefaultScope(r); got != "principal:5:oauth:acct_9" {
		t.Fatalf("principal scope %q", got)
	}
	ambiguous := r.WithContext(ContextWithPrincipal(r.Context(), Principal{Scheme: "oauth:acct", Subject: "9"}))
	if rtDefaultScope(ambiguous) == rtDefaultScope(r) {
		t.Fatal("scheme and subject boundaries collide")
	}
	if _, ok := PrincipalFromContext(ContextWithPrincipal(context.Background(), Principal{Scheme: "oauth"})); ok {
		t.Fatal("a principal without a subject counts as authenticated")
	}
}

func httptestRequest() *http.Request { return mustReq("POST", "http://127.0.0.1/x", "{}") }

func TestChainIdempotencyStoreFull(t *testing.T) {
	s, _ := testSettings()
	s.Idempotency = NewMemoryIdempotencyStore(2)
	var events []StoreErrorInfo
	var mu sync.Mutex
	s.Hooks.OnStoreError = func(i StoreErrorInfo) { mu.Lock(); events = append(events, i); mu.Unlock() }
	var runs atomic.Int32
	url, _ := idemServerWith(t, s, func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		w.WriteHeader(201)
	})
	send := func(key string) *http.Response {
		req := mustReq("POST", url, `{"a":1}`)
		req.Header.Set("Idempotency-Key", key)
		return do(t, req)
	}
	send("victim")
	send("k2")
	resp := send("k3")
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || !strings.Contains(decodeProblem(t, resp).Detail, "full") {
		t.Fatalf("full store: %d retry-after %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if len(events) != 1 || !events[0].Full || events[0].Store != "idempotency" || events[0].Operation != "createPayment" || !errors.Is(events[0].Err, ErrStoreFull) {
		t.Fatalf("hook events %+v", events)
	}
	if r := send("victim"); r.StatusCode != 201 || r.Header.Get("Idempotent-Replayed") != "true" || runs.Load() != 2 {
		t.Fatalf("victim's retry: %d replayed %q runs %d", r.StatusCode, r.Header.Get("Idempotent-Replayed"), runs.Load())
	}
}
