package e2e

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/accord-dev/accord/examples/payments/paymentsapi"
)

// Client overhead: the generated client's GetPayment (the whole runtime on:
// attempt timeout, budget, breaker, bulkhead, traceparent, typed parsing)
// against the same request made with plain net/http and decoded into the
// same type, over identically configured transports to the same loopback
// server. Goal: at most 10% more time.

var benchPayment = []byte(`{"id":"pay_00000001","status":"succeeded","amount_minor":4200,"currency":"EUR","customer_id":"cus_42","created_at":"2026-11-23T10:00:00Z"}`)

func benchBackend(b *testing.B) (*httptest.Server, func() *http.Client) {
	b.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(benchPayment)
	}))
	b.Cleanup(srv.Close)
	newHTTP := func() *http.Client {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 64
		b.Cleanup(tr.CloseIdleConnections)
		return &http.Client{Transport: tr}
	}
	return srv, newHTTP
}

// plainGet is what a careful hand-written call does: a request bound to
// ctx, the body decoded and closed.
func plainGet(ctx context.Context, hc *http.Client, url string) (*paymentsapi.Payment, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	var p paymentsapi.Payment
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		return nil, err
	}
	return &p, nil
}

func BenchmarkClientPlainHTTP(b *testing.B) {
	srv, newHTTP := benchBackend(b)
	hc, url, ctx := newHTTP(), srv.URL+"/v1/payments/pay_00000001", context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := plainGet(ctx, hc, url); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkClientGenerated(b *testing.B) {
	srv, newHTTP := benchBackend(b)
	c, err := paymentsapi.NewClient(srv.URL, paymentsapi.WithHTTPClient(newHTTP()))
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if r, err := c.GetPayment(ctx, "pay_00000001"); err != nil || r == nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkClientOverhead alternates the two calls in one loop, so that
// load from elsewhere on the machine hits both alike, and reports their
// times and ratio.
func BenchmarkClientOverhead(b *testing.B) {
	srv, newHTTP := benchBackend(b)
	hc, url, ctx := newHTTP(), srv.URL+"/v1/payments/pay_00000001", context.Background()
	c, err := paymentsapi.NewClient(srv.URL, paymentsapi.WithHTTPClient(newHTTP()))
	if err != nil {
		b.Fatal(err)
	}
	var plain, generated time.Duration
	for b.Loop() {
		t0 := time.Now()
		if _, err := plainGet(ctx, hc, url); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := c.GetPayment(ctx, "pay_00000001"); err != nil {
			b.Fatal(err)
		}
		plain += t1.Sub(t0)
		generated += time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(plain.Nanoseconds())/n, "plain-ns/call")
	b.ReportMetric(float64(generated.Nanoseconds())/n, "accord-ns/call")
	b.ReportMetric(float64(generated)/float64(plain), "ratio")
}

// Server chain overhead: the same strict handler and parameter binding,
// served in process (no network, no store: getPayment is neither
// idempotent nor signed) by oapi-codegen's bare routing and by NewServer
// with the whole chain (recover, trace id, JSON access log, concurrency
// limit, timeout). Goal: under 5 µs per request.

func benchServers() (bare, chained http.Handler) {
	prov := newProvider()
	prov.payments["pay_00000001"] = paymentsapi.Payment{Id: "pay_00000001", Status: paymentsapi.PaymentStatusSucceeded, AmountMinor: 4200, Currency: "EUR"}
	bare = paymentsapi.HandlerWithOptions(paymentsapi.NewStrictHandler(prov, nil), paymentsapi.StdHTTPServerOptions{})
	chained = paymentsapi.NewServer(prov, paymentsapi.WithLogger(slog.New(slog.NewJSONHandler(io.Discard, nil))),
		paymentsapi.WithAuthenticator(paymentsAuth{}))
	return bare, chained
}

func serveOnce(b *testing.B, h http.Handler, req *http.Request) {
	if req.Header.Get("Authorization") == "" {
		req.Header.Set("Authorization", "Bearer "+testBearerToken)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if w.Code != http.StatusOK {
		b.Fatalf("status %d: %s", w.Code, w.Body)
	}
}

func BenchmarkServerBare(b *testing.B) {
	bare, _ := benchServers()
	req := httptest.NewRequest(http.MethodGet, "/v1/payments/pay_00000001", nil)
	b.ReportAllocs()
	for b.Loop() {
		serveOnce(b, bare, req)
	}
}

func BenchmarkServerChain(b *testing.B) {
	_, chained := benchServers()
	req := httptest.NewRequest(http.MethodGet, "/v1/payments/pay_00000001", nil)
	b.ReportAllocs()
	for b.Loop() {
		serveOnce(b, chained, req)
	}
}

// BenchmarkServerChainOverhead alternates bare and chained requests and
// reports the chain's cost per request.
func BenchmarkServerChainOverhead(b *testing.B) {
	bare, chained := benchServers()
	req := httptest.NewRequest(http.MethodGet, "/v1/payments/pay_00000001", nil)
	var tb, tc time.Duration
	for b.Loop() {
		t0 := time.Now()
		serveOnce(b, bare, req)
		t1 := time.Now()
		serveOnce(b, chained, req)
		tb += t1.Sub(t0)
		tc += time.Since(t1)
	}
	n := float64(b.N)
	b.ReportMetric(float64(tb.Nanoseconds())/n, "bare-ns/req")
	b.ReportMetric(float64(tc.Nanoseconds())/n, "chain-ns/req")
	b.ReportMetric(float64((tc-tb).Nanoseconds())/n/1000, "overhead-µs/req")
}
