package runtime

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestEngineRetryAfterThenSuccess(t *testing.T) {
	var hits atomic.Int32
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		switch hits.Add(1) {
		case 1:
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(503)
			_, _ = io.WriteString(w, strings.Repeat("x", 1000))
		case 2:
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(503)
		default:
			_, _ = io.WriteString(w, "ok")
		}
	})
	var reasons []string
	e := NewEngine(WithHooks(Hooks{OnAttempt: func(a AttemptInfo) { reasons = append(reasons, a.RetryReason) }}))
	op := Operation{ID: "getThing", Method: "GET", Policy: Policy{
		Timeout: time.Second, Budget: 5 * time.Second, Retries: 3, BackoffBase: time.Hour, RetryOn: []int{503},
	}}
	start := time.Now()
	resp, err := e.Do(context.Background(), op, getReq(srv.URL))
	elapsed := time.Since(start)
	if err != nil {
		t.Fatalf("Do: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if string(b) != "ok" || hits.Load() != 3 {
		t.Fatalf("body %q hits %d", b, hits.Load())
	}
	// Retry-After replaced the (hour-long) backoff: 1s then 0s.
	if elapsed < time.Second || elapsed > 3*time.Second {
		t.Fatalf("elapsed %v, want about 1s", elapsed)
	}
	if strings.Join(reasons, ",") != "status,status," {
		t.Fatalf("reasons %q", reasons)
	}
}

func TestEngineRetryAfterBeyondBudgetReturnsResponse(t *testing.T) {
	var hits atomic.Int32
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "10")
		w.Header().Set("Content-Type", "application/problem+json")
		w.WriteHeader(503)
		_, _ = io.WriteString(w, `{"title":"Maintenance","detail":"back soon"}`)
	})
	e := NewEngine()
	op := Operation{ID: "getThing", Method: "GET", Policy: Policy{Budget: time.Second, Retries: 3, RetryOn: []int{503}}}
	start := time.Now()
	resp, err := e.Do(context.Background(), op, getReq(srv.URL))
	if time.Since(start) > 500*time.Millisecond {
		t.Fatalf("waited %v for a Retry-After that cannot fit", time.Since(start))
	}
	var re *ResponseError
	if !errors.As(err, &re) || re.StatusCode != 503 || re.Attempts != 1 || hits.Load() != 1 {
		t.Fatalf("err %v hits %d", err, hits.Load())
	}
	if re.Problem == nil || re.Problem.Detail != "back soon" {
		t.Fatalf("problem %+v", re.Problem)
	}
	b, _ := io.ReadAll(resp.Body)
	if !strings.Contains(string(b), "back soon") || resp.Header.Get("Retry-After") != "10" {
		t.Fatalf("response body not re-readable: %q", b)
	}
}

func TestEnginePostWithoutKeyNeverRetried(t *testing.T) {
	var hits atomic.Int32
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.Header.Get("Idempotency-Key") != "" {
			t.Errorf("unexpected key %q", r.Header.Get("Idempotency-Key"))
		}
		w.WriteHeader(503)
	})
	e := NewEngine()
	op := Operation{ID: "createThing", Method: "POST", Policy: Policy{Retries: 3, RetryOn: []int{503}, Idempotency: IdempotencyOff}}
	_, err := e.Do(context.Background(), op, postReq(srv.URL, `{"a":1}`))
	var re *ResponseError
	if !errors.As(err, &re) || re.Attempts != 1 || hits.Load() != 1 {
		t.Fatalf("err %v hits %d", err, hits.Load())
	}
	// Transport errors too: a POST that may have reached the server is not repeated.
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	_, err = e.Do(context.Background(), op, postReq("http://"+addr, "x"))
	var ce *CallError
	if !errors.As(err, &ce) || ce.Attempts != 1 {
		t.Fatalf("transport error: %v", err)
	}
}

func TestEnginePostWithKeyRetriedWithSameKey(t *testing.T) {
	var mu sync.Mutex
	var keys, bodies []string
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		bodies = append(bodies, string(b))
		n := len(keys)
		mu.Unlock()
		if n < 3 {
			w.WriteHeader(502)
			return
		}
		w.WriteHeader(201)
	})
	e := NewEngine(func(s *ClientSettings) { s.Rand = noJitter })
	op := Operation{ID: "createThing", Method: "POST", Policy: Policy{Retries: 2, RetryOn: []int{502}, BackoffBase: time.Millisecond, Idempotency: IdempotencyOptional, KeyHonoured: true}}
	resp, err := e.Do(context.Background(), op, postReq(srv.URL, `{"a":1}`))
	if err != nil || resp.StatusCode != 201 {
		t.Fatalf("err %v", err)
	}
	resp.Body.Close()
	uuid := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	if len(keys) != 3 || keys[0] != keys[1] || keys[1] != keys[2] || !uuid.MatchString(keys[0]) {
		t.Fatalf("keys %q", keys)
	}
	for _, b := range bodies {
		if b != `{"a":1}` {
			t.Fatalf("bodies %q", bodies)
		}
	}
	// A caller-supplied key wins, a generator option is used otherwise.
	keys = nil
	e2 := NewEngine(WithKeyGenerator(func() string { return "gen-key" }))
	resp, _ = e2.Do(context.Background(), op, postReq(srv.URL, "x"), WithIdempotencyKey("caller-key"), WithRetries(0))
	resp.Body.Close()
	resp, _ = e2.Do(context.Background(), op, postReq(srv.URL, "x"), WithRetries(0))
	resp.Body.Close()
	if keys[0] != "caller-key" || keys[1] != "gen-key" {
		t.Fatalf("keys %q", keys)
	}
}

func TestEngineSlowServerBoundedByBudget(t *testing.T) {
	var hits atomic.Int32
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		select {
		case <-r.Context().Done():
		case <-time.After(3 * time.Second):
		}
	})
	e := NewEngine()
	budget := 800 * time.Millisecond
	op := Operation{ID: "getSlow", Method: "GET", Policy: Policy{Timeout: 300 * time.Millisecond, Budget: budget, Retries: 5, BackoffBase: time.Millisecond}}
	start := time.Now()
	_, err := e.Do(context.Background(), op, getReq(srv.URL))
	elapsed := time.Since(start)
	if elapsed > budget+150*time.Millisecond {
		t.Fatalf("Do took %v, budget %v", elapsed, budget)
	}
	var ce *CallError
	if !errors.As(err, &ce) || !errors.Is(err, ErrBudgetExhausted) {
		t.Fatalf("err %v", err)
	}
	if ce.Attempts < 2 || ce.Attempts > 3 {
		t.Fatalf("attempts %d (timeouts are retryable while the budget lasts)", ce.Attempts)
	}
}

func TestEngineCallerDeadlineWins(t *testing.T) {
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done()
	})
	e := NewEngine()
	op := Operation{ID: "getSlow", Method: "GET", Policy: Policy{Timeout: 5 * time.Second, Budget: 10 * time.Second, Retries: 5}}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := e.Do(ctx, op, getReq(srv.URL))
	if time.Since(start) > 350*time.Millisecond || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("elapsed %v err %v", time.Since(start), err)
	}
}

func TestEngineCallerCancellationStopsRetries(t *testing.T) {
	var hits atomic.Int32
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(503)
	})
	e := NewEngine(func(s *ClientSettings) { s.Rand = noJitter })
	op := Operation{ID: "get", Method: "GET", Policy: Policy{Retries: 10, RetryOn: []int{503}, BackoffBase: 300 * time.Millisecond}}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := e.Do(ctx, op, getReq(srv.URL))
	if !errors.Is(err, context.Canceled) || time.Since(start) > 250*time.Millisecond || hits.Load() != 1 {
		t.Fatalf("err %v elapsed %v hits %d", err, time.Since(start), hits.Load())
	}
}

func TestEngineTransportErrorsRetried(t *testing.T) {
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := ln.Addr().String()
	ln.Close()
	var attempts int
	e := NewEngine(WithHooks(Hooks{OnAttempt: func(a AttemptInfo) { attempts++ }}))
	op := Operation{ID: "get", Method: "GET", Policy: Policy{Retries: 2, BackoffBase: time.Millisecond}}
	_, err := e.Do(context.Background(), op, getReq("http://"+addr))
	var ce *CallError
	if !errors.As(err, &ce) || ce.Attempts != 3 || attempts != 3 {
		t.Fatalf("err %v attempts %d", err, attempts)
	}
}

func TestEngineAttemptTimeoutRetried(t *testing.T) {
	var hits atomic.Int32
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			<-r.Context().Done()
			return
		}
		_, _ = io.WriteString(w, "fast")
	})
	e := NewEngine()
	op := Operation{ID: "get", Method: "GET", Policy: Policy{Timeout: 100 * time.Millisecond, Budget: 2 * time.Second, Retries: 1}}
	resp, err := e.Do(context.Background(), op, getReq(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	// The body is read after Do returned, under the attempt's context.
	time.Sleep(20 * time.Millisecond)
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil || string(b) != "fast" {
		t.Fatalf("body %q err %v", b, err)
	}
}
