package runtime

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// The two benchmarks below run the same request against the same loopback
// server over identically configured transports, so their ns/op ratio is
// the engine's overhead.

func benchServer(b *testing.B) (*httptest.Server, *http.Client) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, `{"id":"p_1","amount":100}`)
	}))
	b.Cleanup(srv.Close)
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 64
	b.Cleanup(tr.CloseIdleConnections)
	return srv, &http.Client{Transport: tr}
}

func BenchmarkPlainHTTP(b *testing.B) {
	srv, client := benchServer(b)
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
		if err != nil {
			b.Fatal(err)
		}
		resp, err := client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}

func BenchmarkEngineDo(b *testing.B) {
	srv, client := benchServer(b)
	e := NewEngine(WithHTTPClient(client))
	op := Operation{ID: "getPayment", Method: http.MethodGet, Pattern: "/v1/payments/{id}", Policy: Policy{
		Timeout: time.Second, Budget: 3 * time.Second, Retries: 2, BackoffBase: 50 * time.Millisecond, BackoffCap: 2 * time.Second,
		RetryOn: []int{429, 502, 503, 504}, Idempotency: IdempotencyOff, Concurrency: 64,
		Breaker: BreakerPolicy{Failures: 5, Window: 10 * time.Second, Cooldown: 30 * time.Second},
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
