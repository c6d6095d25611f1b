package runtime

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func newLoopback(t testing.TB, h http.HandlerFunc) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func getReq(url string) func(context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	}
}

func postReq(url, body string) func(context.Context) (*http.Request, error) {
	return func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodPost, url, strings.NewReader(body))
	}
}

func noJitter() float64 { return 1 }

func TestEngineBreakerOpensAndProbes(t *testing.T) {
	var hits atomic.Int32
	var healthy atomic.Bool
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if !healthy.Load() {
			w.WriteHeader(500)
		}
	})
	clk := newTestClock()
	e := NewEngine(func(s *ClientSettings) { s.Now = clk.Now })
	op := Operation{ID: "get", Method: "GET", Policy: Policy{Breaker: BreakerPolicy{Failures: 2, Window: time.Minute, Cooldown: 30 * time.Second}}}
	other := Operation{ID: "other", Method: "GET", Policy: op.Policy}
	for i := 0; i < 2; i++ {
		_, err := e.Do(context.Background(), op, getReq(srv.URL))
		var re *ResponseError
		if !errors.As(err, &re) || re.StatusCode != 500 {
			t.Fatalf("call %d: %v", i, err)
		}
	}
	_, err := e.Do(context.Background(), op, getReq(srv.URL))
	if !errors.Is(err, ErrCircuitOpen) || hits.Load() != 2 {
		t.Fatalf("open breaker: err %v hits %d", err, hits.Load())
	}
	var ce *CallError
	if !errors.As(err, &ce) || ce.Operation != "get" {
		t.Fatalf("not a CallError: %T", err)
	}
	// Breakers are per operation.
	if _, err := e.Do(context.Background(), other, getReq(srv.URL)); errors.Is(err, ErrCircuitOpen) {
		t.Fatal("breaker shared across operations")
	}
	clk.Advance(30 * time.Second)
	healthy.Store(true)
	resp, err := e.Do(context.Background(), op, getReq(srv.URL))
	if err != nil {
		t.Fatalf("probe: %v", err)
	}
	resp.Body.Close()
	resp, err = e.Do(context.Background(), op, getReq(srv.URL))
	if err != nil {
		t.Fatalf("after probe: %v", err)
	}
	resp.Body.Close()
	// 4xx are not failures.
	healthy.Store(false)
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(404) })
	for i := 0; i < 5; i++ {
		if _, err := e.Do(context.Background(), op, getReq(srv.URL)); errors.Is(err, ErrCircuitOpen) {
			t.Fatal("404s opened the breaker")
		}
	}
}

func TestEngineBulkheadBusy(t *testing.T) {
	release := make(chan struct{})
	var inHandler sync.WaitGroup
	inHandler.Add(2)
	var n atomic.Int32
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) <= 2 {
			inHandler.Done()
			<-release
		}
	})
	e := NewEngine()
	op := Operation{ID: "get", Method: "GET", Policy: Policy{Concurrency: 2}}
	var wg sync.WaitGroup
	for i := 0; i < 2; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			resp, err := e.Do(context.Background(), op, getReq(srv.URL))
			if err != nil {
				t.Errorf("in-limit call: %v", err)
				return
			}
			resp.Body.Close()
		}()
	}
	inHandler.Wait()
	start := time.Now()
	_, err := e.Do(context.Background(), op, getReq(srv.URL))
	if !errors.Is(err, ErrBusy) || time.Since(start) > time.Second { // queueing would block until release
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
	close(release)
	wg.Wait()
	resp, err := e.Do(context.Background(), op, getReq(srv.URL))
	if err != nil {
		t.Fatalf("after release: %v", err)
	}
	resp.Body.Close()
}

func TestEngineTraceparent(t *testing.T) {
	var mu sync.Mutex
	var tps []string
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		tps = append(tps, r.Header.Get("Traceparent"))
		n := len(tps)
		mu.Unlock()
		if n == 1 {
			w.WriteHeader(503)
			return
		}
		if n == 3 {
			w.Header().Set("Trace-Id", "server-side-id")
			w.WriteHeader(400)
		}
	})
	e := NewEngine()
	op := Operation{ID: "get", Method: "GET", Policy: Policy{Retries: 1, RetryOn: []int{503}}}
	const tid = "4bf92f3577b34da6a3ce929d0e0e4736"
	resp, err := e.Do(ContextWithTraceID(context.Background(), tid), op, getReq(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if rtParseTraceparent(tps[0]) != tid || rtParseTraceparent(tps[1]) != tid || tps[0] == tps[1] {
		t.Fatalf("traceparents %q", tps)
	}
	var got CallInfo
	e2 := NewEngine(WithHooks(Hooks{OnCall: func(c CallInfo) { got = c }}))
	_, err = e2.Do(context.Background(), op, getReq(srv.URL))
	var re *ResponseError
	if !errors.As(err, &re) || re.TraceID != "server-side-id" {
		t.Fatalf("err %v", err)
	}
	if !rtValidTraceID(got.TraceID) || rtParseTraceparent(tps[2]) != got.TraceID || got.StatusCode != 400 || got.Attempts != 1 {
		t.Fatalf("generated trace %+v vs %q", got, tps[2])
	}
}

func TestEngineSigningFreshPerAttempt(t *testing.T) {
	clk := newTestClock()
	scheme := SignatureScheme{Name: "partner-hmac"}
	secrets := StaticSecrets{[]byte("secret-of-16-bytes")}
	verifier := Verifier{Scheme: scheme, Secrets: secrets, Now: clk.Now, Replay: replayAt(clk.Now)}
	var mu sync.Mutex
	var stamps []string
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if _, err := verifier.Verify(r.Context(), r, b); err != nil {
			t.Errorf("verify: %v", err)
		}
		mu.Lock()
		stamps = append(stamps, r.Header.Get("X-Timestamp"))
		n := len(stamps)
		mu.Unlock()
		clk.Advance(time.Second)
		if n == 1 {
			w.WriteHeader(503)
		}
	})
	e := NewEngine(WithSigner("partner-hmac", Signer{Scheme: scheme, Secrets: secrets, Now: clk.Now}))
	op := Operation{ID: "notify", Method: "PUT", Policy: Policy{Retries: 1, RetryOn: []int{503}, Signature: "partner-hmac"}}
	build := func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, "PUT", srv.URL, bytes.NewReader([]byte(`{"x":1}`)))
	}
	resp, err := e.Do(context.Background(), op, build)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(stamps) != 2 || stamps[0] == stamps[1] {
		t.Fatalf("timestamps %q", stamps)
	}
	// No signer for the scheme: refused before any request.
	_, err = NewEngine().Do(context.Background(), op, build)
	var ce *CallError
	if !errors.As(err, &ce) || ce.Attempts != 0 || len(stamps) != 2 {
		t.Fatalf("missing signer: %v", err)
	}
}

func TestEnginePolicyPrecedence(t *testing.T) {
	var hits, withCallHeader atomic.Int32
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Authorization") != "Bearer t" {
			t.Errorf("headers %v", r.Header)
		}
		if r.Header.Get("X-Call") == "yes" {
			withCallHeader.Add(1)
		}
		w.WriteHeader(503)
	})
	e := NewEngine(
		WithPolicy(func(id string, p *Policy) {
			if id == "get" {
				p.Retries = 4
				p.RetryOn = []int{503}
			}
		}),
		WithRequestEditor(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer t")
			return nil
		}),
	)
	op := Operation{ID: "get", Method: "GET", Policy: Policy{Retries: 0}}
	_, _ = e.Do(context.Background(), op, getReq(srv.URL))
	if hits.Load() != 5 {
		t.Fatalf("client override: hits %d, want 5", hits.Load())
	}
	hits.Store(0)
	_, _ = e.Do(context.Background(), op, getReq(srv.URL), WithRetries(1), WithHeader("X-Call", "yes"))
	if hits.Load() != 2 || withCallHeader.Load() != 2 {
		t.Fatalf("call option: hits %d (want 2), with header %d", hits.Load(), withCallHeader.Load())
	}
	failing := NewEngine(WithRequestEditor(func(context.Context, *http.Request) error { return errors.New("no token") }))
	if _, err := failing.Do(context.Background(), op, getReq(srv.URL)); err == nil || !strings.Contains(err.Error(), "no token") {
		t.Fatalf("editor error: %v", err)
	}
}

func TestEngineReusesConnections(t *testing.T) {
	var conns atomic.Int32
	var hits atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%2 == 1 {
			w.WriteHeader(503)
			_, _ = io.WriteString(w, strings.Repeat("e", 32<<10))
			return
		}
		_, _ = io.WriteString(w, "ok")
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	e := NewEngine()
	op := Operation{ID: "get", Method: "GET", Policy: Policy{Retries: 1, RetryOn: []int{503}}}
	for i := 0; i < 5; i++ {
		resp, err := e.Do(context.Background(), op, getReq(srv.URL))
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	if conns.Load() != 1 {
		t.Fatalf("%d connections for sequential calls; intermediate bodies not drained?", conns.Load())
	}
}

func TestEngineHalfOpenAdmitsOneProbe(t *testing.T) {
	probeIn := make(chan struct{})
	release := make(chan struct{})
	var hits atomic.Int32
	var failing atomic.Bool
	failing.Store(true)
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if failing.Load() {
			w.WriteHeader(503)
			return
		}
		probeIn <- struct{}{}
		<-release
	})
	clk := newTestClock()
	e := NewEngine(func(s *ClientSettings) { s.Now = clk.Now })
	op := Operation{ID: "get", Method: "GET", Policy: Policy{Breaker: BreakerPolicy{Failures: 1, Cooldown: time.Second}}}
	_, _ = e.Do(context.Background(), op, getReq(srv.URL))
	clk.Advance(time.Second)
	failing.Store(false)
	probeDone := make(chan error)
	go func() {
		resp, err := e.Do(context.Background(), op, getReq(srv.URL))
		if err == nil {
			resp.Body.Close()
		}
		probeDone <- err
	}()
	<-probeIn
	for i := 0; i < 5; i++ {
		if _, err := e.Do(context.Background(), op, getReq(srv.URL)); !errors.Is(err, ErrCircuitOpen) {
			t.Fatalf("concurrent call during probe: %v", err)
		}
	}
	close(release)
	if err := <-probeDone; err != nil {
		t.Fatalf("probe: %v", err)
	}
	if hits.Load() != 2 {
		t.Fatalf("hits %d: only the probe may reach the server", hits.Load())
	}
}

// A quick retry on the real clock lands in the same second as the failed
// attempt. A receiver with replay detection must still accept it, in both
// formats: accord through its per-attempt nonce, Standard Webhooks because the
// engine moves the re-signed attempt into the next second.
func TestEngineQuickSignedRetryIsNotAReplay(t *testing.T) {
	for _, format := range []SignatureFormat{FormatAccord, FormatStandardWebhooks} {
		t.Run(string(format), func(t *testing.T) {
			scheme := SignatureScheme{Name: "s", Format: format}
			secrets := StaticSecrets{[]byte("secret-of-16-bytes")}
			verifier := Verifier{Scheme: scheme, Secrets: secrets, Replay: NewMemoryReplayCache(100)}
			var mu sync.Mutex
			var verdicts []error
			var stamps []string
			srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
				b, _ := io.ReadAll(r.Body)
				_, err := verifier.Verify(r.Context(), r, b)
				mu.Lock()
				verdicts = append(verdicts, err)
				stamps = append(stamps, r.Header.Get(scheme.rtResolved().TimestampHeader))
				n := len(verdicts)
				mu.Unlock()
				switch {
				case err != nil:
					w.WriteHeader(401)
				case n == 1:
					w.WriteHeader(503)
				}
			})
			e := NewEngine(WithSigner("s", Signer{Scheme: scheme, Secrets: secrets}), func(s *ClientSettings) { s.Rand = noJitter })
			op := Operation{ID: "notify", Method: "PUT", Policy: Policy{
				Retries: 1, RetryOn: []int{503}, BackoffBase: time.Millisecond, BackoffCap: time.Millisecond,
				Budget: 5 * time.Second, Timeout: time.Second, Signature: "s",
			}}
			build := func(ctx context.Context) (*http.Request, error) {
				return http.NewRequestWithContext(ctx, "PUT", srv.URL, bytes.NewReader([]byte(`{"x":1}`)))
			}
			resp, err := e.Do(context.Background(), op, build)
			if err != nil {
				t.Fatalf("retry refused: %v (verdicts %v)", err, verdicts)
			}
			resp.Body.Close()
			if len(verdicts) != 2 || verdicts[0] != nil || verdicts[1] != nil {
				t.Fatalf("verdicts %v", verdicts)
			}
			if format == FormatStandardWebhooks && stamps[0] == stamps[1] {
				t.Fatalf("standard-webhooks retry re-signed in the same second: %q", stamps)
			}
		})
	}
}
