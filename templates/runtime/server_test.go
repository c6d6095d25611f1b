package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func (s *syncBuffer) lines(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for _, l := range strings.Split(strings.TrimSpace(s.String()), "\n") {
		if l == "" {
			continue
		}
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func testSettings() (*ServerSettings, *syncBuffer) {
	buf := &syncBuffer{}
	return &ServerSettings{Logger: slog.New(slog.NewJSONHandler(buf, nil))}, buf
}

func serveChain(t *testing.T, op Operation, s *ServerSettings, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(op.Method+" "+op.Pattern, Chain(op, s, h))
	return newLoopback(t, mux.ServeHTTP)
}

func decodeProblem(t *testing.T, resp *http.Response) ProblemDetails {
	t.Helper()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q", ct)
	}
	var p ProblemDetails
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	return p
}

func do(t *testing.T, req *http.Request) *http.Response {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func TestChainTraceIDAndAccessLog(t *testing.T) {
	s, logs := testSettings()
	var info ServerRequestInfo
	s.Hooks.OnRequest = func(i ServerRequestInfo) { info = i }
	op := Operation{ID: "getPayment", Method: "GET", Pattern: "/v1/payments/{id}", Policy: Policy{Idempotency: IdempotencyOff}}
	var seen string
	srv := serveChain(t, op, s, func(w http.ResponseWriter, r *http.Request) {
		seen = TraceIDFromContext(r.Context())
		_, _ = io.WriteString(w, "hello")
	})
	const tid = "4bf92f3577b34da6a3ce929d0e0e4736"
	req, _ := http.NewRequest("GET", srv.URL+"/v1/payments/p1", nil)
	req.Header.Set("Traceparent", "00-"+tid+"-00f067aa0ba902b7-01")
	req.Header.Set("Authorization", "Bearer secret-token")
	resp := do(t, req)
	if resp.Header.Get("Trace-Id") != tid || seen != tid {
		t.Fatalf("trace id header %q, handler saw %q", resp.Header.Get("Trace-Id"), seen)
	}
	req, _ = http.NewRequest("GET", srv.URL+"/v1/payments/p2", nil)
	req.Header.Set("Traceparent", "garbage")
	resp = do(t, req)
	if got := resp.Header.Get("Trace-Id"); !rtValidTraceID(got) || got == tid {
		t.Fatalf("generated trace id %q", got)
	}
	lines := logs.lines(t)
	if len(lines) != 2 {
		t.Fatalf("want one access line per request, got %d: %s", len(lines), logs.String())
	}
	l := lines[0]
	if l["op"] != "getPayment" || l["method"] != "GET" || l["route"] != "/v1/payments/{id}" || l["status"] != 200.0 ||
		l["bytes"] != 5.0 || l["trace_id"] != tid || l["replayed"] != false || l["duration"] == nil {
		t.Fatalf("access line %v", l)
	}
	if strings.Contains(logs.String(), "secret-token") || strings.Contains(logs.String(), "hello") {
		t.Fatal("log contains a secret or a body")
	}
	if info.Operation != "getPayment" || info.StatusCode != 200 || info.Bytes != 5 || info.Route != op.Pattern {
		t.Fatalf("hook info %+v", info)
	}
}

func TestChainRecoversPanic(t *testing.T) {
	for _, timeout := range []time.Duration{0, time.Second} {
		s, logs := testSettings()
		op := Operation{ID: "boom", Method: "GET", Pattern: "/boom", Policy: Policy{Timeout: timeout}}
		srv := serveChain(t, op, s, func(w http.ResponseWriter, r *http.Request) {
			panic("kaboom")
		})
		resp := do(t, mustReq("GET", srv.URL+"/boom", ""))
		if resp.StatusCode != 500 {
			t.Fatalf("timeout %v: status %d", timeout, resp.StatusCode)
		}
		p := decodeProblem(t, resp)
		if p.Status != 500 || p.TraceID != resp.Header.Get("Trace-Id") || strings.Contains(p.Detail, "kaboom") {
			t.Fatalf("problem %+v", p)
		}
		out := logs.String()
		if !strings.Contains(out, "kaboom") || !strings.Contains(out, "goroutine") || !strings.Contains(out, `"status":500`) {
			t.Fatalf("timeout %v: panic not logged with stack and access line: %s", timeout, out)
		}
	}
}

func mustReq(method, url, body string) *http.Request {
	var r io.Reader
	if body != "" {
		r = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, r)
	if err != nil {
		panic(err)
	}
	return req
}

func TestChainConcurrencyLimit(t *testing.T) {
	s, _ := testSettings()
	op := Operation{ID: "slow", Method: "GET", Pattern: "/slow", Policy: Policy{Concurrency: 1}}
	entered := make(chan struct{})
	release := make(chan struct{})
	srv := serveChain(t, op, s, func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		<-release
	})
	done := make(chan int)
	go func() {
		resp, err := http.Get(srv.URL + "/slow")
		if err != nil {
			done <- 0
			return
		}
		resp.Body.Close()
		done <- resp.StatusCode
	}()
	<-entered
	resp := do(t, mustReq("GET", srv.URL+"/slow", ""))
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "1" {
		t.Fatalf("status %d retry-after %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	decodeProblem(t, resp)
	close(release)
	if code := <-done; code != 200 {
		t.Fatalf("first request %d", code)
	}
	go func() { <-entered }()
	if resp := do(t, mustReq("GET", srv.URL+"/slow", "")); resp.StatusCode != 200 {
		t.Fatalf("after release: %d", resp.StatusCode)
	}
}

func TestChainTimeout(t *testing.T) {
	s, _ := testSettings()
	op := Operation{ID: "slow", Method: "GET", Pattern: "/slow", Policy: Policy{Timeout: 100 * time.Millisecond}}
	lateWrite := make(chan error, 1)
	srv := serveChain(t, op, s, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("fast") != "" {
			w.Header().Set("X-Handler", "yes")
			w.WriteHeader(201)
			_, _ = io.WriteString(w, "made it")
			return
		}
		w.Header().Set("X-Partial", "yes")
		_, _ = io.WriteString(w, "partial")
		<-r.Context().Done()
		time.Sleep(20 * time.Millisecond)
		w.Header().Set("X-Late", "yes")
		_, err := io.WriteString(w, "late")
		lateWrite <- err
	})
	start := time.Now()
	resp := do(t, mustReq("GET", srv.URL+"/slow", ""))
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") == "" || resp.Header.Get("X-Partial") != "" {
		t.Fatalf("status %d headers %v", resp.StatusCode, resp.Header)
	}
	if time.Since(start) > time.Second {
		t.Fatalf("timeout answered after %v", time.Since(start))
	}
	p := decodeProblem(t, resp)
	if p.Status != 503 || p.TraceID == "" {
		t.Fatalf("problem %+v", p)
	}
	if err := <-lateWrite; err != http.ErrHandlerTimeout {
		t.Fatalf("late write error %v", err)
	}
	resp = do(t, mustReq("GET", srv.URL+"/slow?fast=1", ""))
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 201 || string(b) != "made it" || resp.Header.Get("X-Handler") != "yes" || resp.Header.Get("Trace-Id") == "" {
		t.Fatalf("fast path: %d %q %v", resp.StatusCode, b, resp.Header)
	}
}

func TestChainSignature(t *testing.T) {
	clk := newTestClock()
	scheme := SignatureScheme{Name: "partner-hmac"}
	secrets := StaticSecrets{[]byte("k1-of-16-bytes-or-more")}
	s, _ := testSettings()
	s.Verifiers = map[string]Verifier{"partner-hmac": {Scheme: scheme, Secrets: secrets, Now: clk.Now, Replay: replayAt(clk.Now)}}
	op := Operation{ID: "webhook", Method: "POST", Pattern: "/hook", Policy: Policy{Signature: "partner-hmac", Idempotency: IdempotencyOff}}
	var got atomic.Value
	srv := serveChain(t, op, s, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		got.Store(string(b))
		w.WriteHeader(204)
	})
	signer := Signer{Scheme: scheme, Secrets: secrets, Now: clk.Now}
	signed := func(body string) *http.Request {
		req := mustReq("POST", srv.URL+"/hook", body)
		if err := signer.Sign(context.Background(), req, []byte(body)); err != nil {
			t.Fatal(err)
		}
		return req
	}
	if resp := do(t, signed(`{"ok":1}`)); resp.StatusCode != 204 || got.Load() != `{"ok":1}` {
		t.Fatalf("valid: %d body %v", resp.StatusCode, got.Load())
	}
	replay := signed(`{"n":2}`)
	replayAgain := mustReq("POST", srv.URL+"/hook", `{"n":2}`)
	replayAgain.Header = replay.Header.Clone()
	do(t, replay)
	tampered := signed(`{"amount":1}`)
	tampered.Body = io.NopCloser(strings.NewReader(`{"amount":9}`))
	tampered.ContentLength = int64(len(`{"amount":9}`))
	stale := signed(`{"s":1}`)
	check := func(name string, req *http.Request, detail string) {
		t.Helper()
		resp := do(t, req)
		if resp.StatusCode != 401 {
			t.Fatalf("%s: status %d", name, resp.StatusCode)
		}
		if p := decodeProblem(t, resp); !strings.Contains(p.Detail, detail) {
			t.Fatalf("%s: detail %q", name, p.Detail)
		}
	}
	check("missing", mustReq("POST", srv.URL+"/hook", "x"), "missing")
	check("tampered", tampered, "no signature matches")
	clk.Advance(10 * time.Minute)
	check("stale", stale, "tolerance")
	clk.Advance(-10 * time.Minute)
	resp := do(t, replayAgain)
	if p := decodeProblem(t, resp); resp.StatusCode != 401 || !strings.Contains(p.Detail, "replayed") {
		t.Fatalf("replay: %d %q", resp.StatusCode, p.Detail)
	}
	big := signed(strings.Repeat("a", rtMaxBody+1))
	if resp := do(t, big); resp.StatusCode != 413 {
		t.Fatalf("oversized body: %d", resp.StatusCode)
	}

	// A scheme without a verifier fails closed.
	s2, logs := testSettings()
	op2 := Operation{ID: "webhook2", Method: "POST", Pattern: "/hook2", Policy: Policy{Signature: "nobody"}}
	srv2 := serveChain(t, op2, s2, func(w http.ResponseWriter, r *http.Request) { t.Error("handler reached") })
	if resp := do(t, mustReq("POST", srv2.URL+"/hook2", "x")); resp.StatusCode != 500 {
		t.Fatalf("unconfigured verifier: %d", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), "not configured") {
		t.Fatal("misconfiguration not logged")
	}
}

func TestChainNilSettingsAndResponseController(t *testing.T) {
	op := Operation{ID: "stream", Method: "GET", Pattern: "/s"}
	srv := serveChain(t, op, nil, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "a")
		if err := http.NewResponseController(w).Flush(); err != nil {
			t.Errorf("flush through chain: %v", err)
		}
	})
	if resp := do(t, mustReq("GET", srv.URL+"/s", "")); resp.StatusCode != 200 {
		t.Fatalf("status %d", resp.StatusCode)
	}
}

// BenchmarkChain measures the chain's own cost per request (recover, trace,
// access log to a discarding handler, concurrency limit, timeout with its
// goroutine and buffer) against the bare handler, without network or store
// I/O.
func BenchmarkChain(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"p_1"}`)
	})
	s := &ServerSettings{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil))}
	op := Operation{ID: "getPayment", Method: "GET", Pattern: "/v1/payments/{id}", Policy: Policy{
		Timeout: time.Second, Concurrency: 64, Idempotency: IdempotencyOptional,
	}}
	chained := Chain(op, s, h)
	req := httptest.NewRequest("GET", "/v1/payments/p_1", nil)
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	run := func(b *testing.B, h http.Handler) {
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != 200 {
				b.Fatal(w.Code)
			}
		}
	}
	b.Run("bare", func(b *testing.B) { run(b, h) })
	b.Run("chain", func(b *testing.B) { run(b, chained) })
	op.Policy.Timeout = 0
	b.Run("chain-no-timeout", func(b *testing.B) { run(b, Chain(op, s, h)) })
}
