package runtime

import (
	"context"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// frozenClock makes the budget's per-second floor earn nothing, so the
// counts below depend on calls alone, not on how fast the machine is.
func frozenClock(s *ClientSettings) {
	at := time.Unix(1_700_000_000, 0)
	s.Now = func() time.Time { return at }
}

func TestRetryBudgetBoundsRetriesAcrossCalls(t *testing.T) {
	var hits atomic.Int64
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	var denied atomic.Int64
	e := NewEngine(frozenClock, WithRetryBudget(RetryBudgetPolicy{Ratio: 0.2, Burst: 10}),
		WithHooks(Hooks{OnRetryDenied: func(d RetryDeniedInfo) {
			if d.Reason == "budget" {
				denied.Add(1)
			}
		}}))
	op := Operation{ID: "get", Method: "GET", Policy: Policy{Retries: 2, RetryOn: []int{503}}}
	const calls = 1000
	// Four callers at once: the bucket is shared and lock-free, so the
	// bound must hold under concurrency too.
	var wg sync.WaitGroup
	var failed atomic.Int64
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < calls/4; i++ {
				resp, err := e.Do(context.Background(), op, getReq(srv.URL))
				if err != nil {
					failed.Add(1)
				}
				if resp != nil {
					resp.Body.Close()
				}
			}
		}()
	}
	wg.Wait()
	retries := hits.Load() - calls
	// The budget starts with Burst (10) and earns 0.2 per call: at most
	// 10 + 0.2 × 1000 = 210 retries, where without it there would be 2000.
	if failed.Load() != calls {
		t.Fatalf("%d of %d calls failed; every call must reach the failing server", failed.Load(), calls)
	}
	if retries > 210 || retries < 200 {
		t.Fatalf("retries = %d, want within the budget of 210 (and the budget used: at least 200)", retries)
	}
	// Every call wanted 2 retries: the ones not made were reported.
	if got := denied.Load(); got < calls-retries {
		t.Fatalf("denied reports = %d, want at least %d", got, calls-retries)
	}
	t.Logf("1000 failing calls: %d attempts (%d retries, %.1f%%), %d retries denied", hits.Load(), retries, 100*float64(retries)/calls, denied.Load())
}

func TestRetryBudgetFloorPerSecond(t *testing.T) {
	at := time.Unix(0, 0)
	b := NewRetryBudget(RetryBudgetPolicy{Ratio: 0.1, MinPerSecond: 5, Burst: 3}, func() time.Time { return at })
	for i := 0; i < 3; i++ {
		if !b.withdraw() {
			t.Fatalf("withdraw %d from a full budget of 3 failed", i)
		}
	}
	if b.withdraw() {
		t.Fatal("a spent budget granted a retry")
	}
	at = at.Add(200 * time.Millisecond) // 5/s × 0.2s = one retry
	if !b.withdraw() || b.withdraw() {
		t.Fatal("the floor must earn exactly one retry in 200ms")
	}
	at = at.Add(time.Hour) // the burst caps what quiet time saves up
	if got := b.Available(); got != 3 {
		t.Fatalf("after an hour: %v available, want the burst of 3", got)
	}
	for i := 0; i < 100; i++ {
		b.deposit()
	}
	if got := b.Available(); got != 3 {
		t.Fatalf("deposits past the burst: %v available", got)
	}
}

func TestRetryBudgetOffAndShared(t *testing.T) {
	var hits atomic.Int64
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	})
	op := Operation{ID: "get", Method: "GET", Policy: Policy{Retries: 1, RetryOn: []int{503}}}
	run := func(e *Engine, n int) int64 {
		hits.Store(0)
		for i := 0; i < n; i++ {
			if resp, _ := e.Do(context.Background(), op, getReq(srv.URL)); resp != nil {
				resp.Body.Close()
			}
		}
		return hits.Load()
	}
	if got := run(NewEngine(frozenClock, WithSharedRetryBudget(nil)), 50); got != 100 {
		t.Fatalf("without a budget: %d attempts, want 100", got)
	}
	at := time.Unix(0, 0)
	shared := NewRetryBudget(RetryBudgetPolicy{Burst: 1, Ratio: 0.01}, func() time.Time { return at })
	a := NewEngine(frozenClock, WithSharedRetryBudget(shared))
	b := NewEngine(frozenClock, WithSharedRetryBudget(shared))
	if got := run(a, 1); got != 2 {
		t.Fatalf("first client: %d attempts, want 2 (the one saved retry)", got)
	}
	if got := run(b, 1); got != 1 {
		t.Fatalf("second client: %d attempts: the shared budget is spent", got)
	}
}

// BenchmarkRetryBudget measures the bucket's cost per call (one deposit,
// one withdrawal) under parallel callers.
func BenchmarkRetryBudget(b *testing.B) {
	budget := NewRetryBudget(RetryBudgetPolicy{}, nil)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			budget.deposit()
			budget.withdraw()
		}
	})
}

// benchEngineDo is BenchmarkEngineDo's loop with extra options, so that
// the ratio of two runs is what those options cost per call.
func benchEngineDo(b *testing.B, opts ...ClientOption) {
	srv, client := benchServer(b)
	e := NewEngine(append([]ClientOption{WithHTTPClient(client)}, opts...)...)
	op := Operation{ID: "getPayment", Method: http.MethodGet, Pattern: "/v1/payments/{id}", Policy: Policy{
		Timeout: time.Second, Budget: 3 * time.Second, Retries: 2, RetryOn: []int{503}, Idempotency: IdempotencyOff,
	}}
	build := func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := e.Do(ctx, op, build)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func BenchmarkEngineDoRetryBudgetOn(b *testing.B)  { benchEngineDo(b) }
func BenchmarkEngineDoRetryBudgetOff(b *testing.B) { benchEngineDo(b, WithSharedRetryBudget(nil)) }
func BenchmarkEngineDoSwitches(b *testing.B)       { benchEngineDo(b, WithSwitches(NewMemorySwitches())) }
