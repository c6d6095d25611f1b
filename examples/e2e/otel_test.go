package e2e

import (
	"context"
	"net/http"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/accord-dev/accord/examples/payments/paymentsapi"
)

// TestOpenTelemetryThroughGeneratedCode: the payments integration is
// generated with the otel part. A generated client (WithOTel) calls the
// generated server (WithServerWrap(o.ServerWrap)) through an injected 503:
// the spans form one trace (call, two attempts, two served requests, the
// server's spans children of the client's attempts), and the RED metrics
// count the attempts.
func TestOpenTelemetryThroughGeneratedCode(t *testing.T) {
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	o, err := paymentsapi.NewOTel(paymentsapi.OTelOptions{TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	f := &faults{StrictServerInterface: newProvider(), create: func(_ context.Context, n int64) paymentsapi.CreatePaymentResponseObject {
		if n == 1 {
			return problemAnswer{status: http.StatusServiceUnavailable, retryAfter: "0"}
		}
		return nil
	}}
	srv := startPayments(t, f, paymentsapi.WithServerWrap(o.ServerWrap))
	fast := paymentsapi.WithPolicy(func(_ string, p *paymentsapi.Policy) {
		p.BackoffBase, p.BackoffCap = time.Millisecond, time.Millisecond
	})
	c := newClient(t, srv.URL, paymentsapi.WithOTel(o), fast)

	if _, err := c.CreatePayment(context.Background(), nil, paymentRequest(42)); err != nil {
		t.Fatal(err)
	}
	spans := exp.GetSpans()
	var call, attempts, served []tracetest.SpanStub
	for _, s := range spans {
		switch s.SpanKind {
		case trace.SpanKindInternal:
			call = append(call, s)
		case trace.SpanKindClient:
			attempts = append(attempts, s)
		case trace.SpanKindServer:
			served = append(served, s)
		}
	}
	if len(call) != 1 || len(attempts) != 2 || len(served) != 2 {
		t.Fatalf("spans: %d call, %d attempts, %d served (%d in all)", len(call), len(attempts), len(served), len(spans))
	}
	tid := call[0].SpanContext.TraceID()
	parents := map[trace.SpanID]bool{}
	for _, a := range attempts {
		if a.SpanContext.TraceID() != tid || a.Parent.SpanID() != call[0].SpanContext.SpanID() {
			t.Errorf("attempt span %q is not a child of the call", a.Name)
		}
		parents[a.SpanContext.SpanID()] = true
	}
	for _, s := range served {
		if s.SpanContext.TraceID() != tid || !parents[s.Parent.SpanID()] {
			t.Errorf("server span %q is not a child of an attempt: the traceparent did not cross", s.Name)
		}
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var attemptsCounted uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if h, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == "http.client.request.duration" {
				for _, dp := range h.DataPoints {
					attemptsCounted += dp.Count
				}
			}
		}
	}
	if attemptsCounted != 2 {
		t.Errorf("http.client.request.duration counted %d attempts, want 2", attemptsCounted)
	}
}
