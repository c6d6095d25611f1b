package runtime

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
)

type otelHarness struct {
	o      *OTel
	spans  *tracetest.InMemoryExporter
	reader *sdkmetric.ManualReader
}

func newOTelHarness(t *testing.T) *otelHarness {
	t.Helper()
	exp := tracetest.NewInMemoryExporter()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(exp))
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	t.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	o, err := NewOTel(OTelOptions{TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		t.Fatal(err)
	}
	return &otelHarness{o: o, spans: exp, reader: reader}
}

func (h *otelHarness) metrics(t *testing.T) map[string]metricdata.Aggregation {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]metricdata.Aggregation{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			out[m.Name] = m.Data
		}
	}
	return out
}

func histCount(t *testing.T, a metricdata.Aggregation) (n uint64, withError uint64) {
	t.Helper()
	hist, ok := a.(metricdata.Histogram[float64])
	if !ok {
		t.Fatalf("not a histogram: %T", a)
	}
	for _, dp := range hist.DataPoints {
		n += dp.Count
		if _, ok := dp.Attributes.Value("error.type"); ok {
			withError += dp.Count
		}
	}
	return n, withError
}

func sumOf(t *testing.T, a metricdata.Aggregation) int64 {
	t.Helper()
	s, ok := a.(metricdata.Sum[int64])
	if !ok {
		t.Fatalf("not an int64 sum: %T", a)
	}
	var v int64
	for _, dp := range s.DataPoints {
		v += dp.Value
	}
	return v
}

func spanAttr(s tracetest.SpanStub, key string) (attribute.Value, bool) {
	for _, kv := range s.Attributes {
		if string(kv.Key) == key {
			return kv.Value, true
		}
	}
	return attribute.Value{}, false
}

func TestOTelClientAndServerSpansAndMetrics(t *testing.T) {
	h := newOTelHarness(t)
	var hits atomic.Int32
	var traceIDs []string
	op := Operation{ID: "getThing", Method: "GET", Pattern: "/things/{id}", Policy: Policy{
		Retries: 1, RetryOn: []int{503}, Idempotency: IdempotencyOff,
	}}
	srvSettings := &ServerSettings{Logger: slog.New(slog.DiscardHandler), Wrap: h.o.ServerWrap}
	srv := httptest.NewServer(Chain(op, srvSettings, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		traceIDs = append(traceIDs, TraceIDFromContext(r.Context()))
		if trace.SpanContextFromContext(r.Context()).TraceID().String() != TraceIDFromContext(r.Context()) {
			t.Error("the handler's OTel span and the runtime's trace id differ")
		}
		if hits.Add(1) == 1 {
			w.WriteHeader(503)
			return
		}
		_, _ = w.Write([]byte("ok"))
	})))
	t.Cleanup(srv.Close)

	var call CallInfo
	// WithHooks replaces hooks and WithOTel adds to them: hooks first.
	e := NewEngine(WithHooks(Hooks{OnCall: func(c CallInfo) { call = c }}), WithOTel(h.o))
	resp, err := e.Do(context.Background(), op, getReq(srv.URL+"/things/1?api_key=s3cr3t"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()

	spans := h.spans.GetSpans()
	byKind := map[trace.SpanKind][]tracetest.SpanStub{}
	for _, s := range spans {
		byKind[s.SpanKind] = append(byKind[s.SpanKind], s)
	}
	calls, attempts, served := byKind[trace.SpanKindInternal], byKind[trace.SpanKindClient], byKind[trace.SpanKindServer]
	if len(calls) != 1 || len(attempts) != 2 || len(served) != 2 {
		t.Fatalf("spans: %d call, %d attempt, %d server; want 1, 2, 2", len(calls), len(attempts), len(served))
	}
	root := calls[0]
	tid := root.SpanContext.TraceID()
	if root.Name != "getThing" || call.TraceID != tid.String() {
		t.Fatalf("call span %q trace %s, CallInfo trace %s", root.Name, tid, call.TraceID)
	}
	for i, a := range attempts {
		if a.Parent.SpanID() != root.SpanContext.SpanID() || a.SpanContext.TraceID() != tid || a.Name != "GET /things/{id}" {
			t.Errorf("attempt %d: %q parent %s, want the call span", i, a.Name, a.Parent.SpanID())
		}
		if v, _ := spanAttr(a, "url.full"); v.AsString() != srv.URL+"/things/1" {
			t.Errorf("url.full %q: the query must be dropped", v.AsString())
		}
	}
	if v, ok := spanAttr(attempts[1], "http.request.resend_count"); !ok || v.AsInt64() != 1 {
		t.Errorf("second attempt resend_count %v %v", v, ok)
	}
	if _, ok := spanAttr(attempts[0], "http.request.resend_count"); ok {
		t.Error("first attempt carries a resend_count")
	}
	if v, _ := spanAttr(attempts[0], "error.type"); v.AsString() != "503" || attempts[0].Status.Code != codes.Error {
		t.Errorf("first attempt error.type %q status %v", v.AsString(), attempts[0].Status)
	}
	for i, s := range served {
		if s.Parent.SpanID() != attempts[i].SpanContext.SpanID() || !s.Parent.IsRemote() {
			t.Errorf("server span %d is not the child of attempt %d", i, i)
		}
		if v, _ := spanAttr(s, "http.route"); v.AsString() != "/things/{id}" {
			t.Errorf("http.route %q", v.AsString())
		}
		if traceIDs[i] != tid.String() {
			t.Errorf("server %d: runtime trace id %s, want the span's %s", i, traceIDs[i], tid)
		}
	}
	if served[0].Status.Code != codes.Error || served[1].Status.Code == codes.Error {
		t.Errorf("server statuses %v %v", served[0].Status, served[1].Status)
	}

	m := h.metrics(t)
	if n, errs := histCount(t, m["http.client.request.duration"]); n != 2 || errs != 1 {
		t.Errorf("client request duration: %d (%d errors), want 2 (1)", n, errs)
	}
	if n, errs := histCount(t, m["accord.client.call.duration"]); n != 1 || errs != 0 {
		t.Errorf("call duration: %d (%d errors)", n, errs)
	}
	if n, errs := histCount(t, m["http.server.request.duration"]); n != 2 || errs != 1 {
		t.Errorf("server request duration: %d (%d errors)", n, errs)
	}
	for _, g := range []string{"accord.client.active_calls", "http.client.active_requests", "http.server.active_requests"} {
		if v := sumOf(t, m[g]); v != 0 {
			t.Errorf("%s = %d after every call ended", g, v)
		}
	}
}

func TestOTelBreakerGaugeAndDeniedRetries(t *testing.T) {
	h := newOTelHarness(t)
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	e := NewEngine(frozenClock, WithOTel(h.o), WithRetryBudget(RetryBudgetPolicy{Burst: 1, Ratio: 0.01}))
	op := Operation{ID: "flaky", Method: "GET", Policy: Policy{Retries: 1, RetryOn: []int{503}, Breaker: BreakerPolicy{Failures: 3, Cooldown: time.Hour}}}
	healthy := Operation{ID: "steady", Method: "GET", Policy: Policy{Breaker: BreakerPolicy{Failures: 3, Cooldown: time.Hour}}}
	ok200 := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {})
	if resp, err := e.Do(context.Background(), healthy, getReq(ok200.URL)); err == nil {
		resp.Body.Close()
	}
	for i := 0; i < 4; i++ {
		if resp, _ := e.Do(context.Background(), op, getReq(srv.URL)); resp != nil {
			resp.Body.Close()
		}
	}
	m := h.metrics(t)
	g, ok := m["accord.client.breaker.state"].(metricdata.Gauge[int64])
	states := map[string]int64{}
	for _, dp := range g.DataPoints {
		v, _ := dp.Attributes.Value("accord.operation")
		states[v.AsString()] = dp.Value
	}
	if !ok || len(states) != 2 || states["flaky"] != 2 || states["steady"] != 0 {
		t.Fatalf("breaker gauge %v, want flaky = 2 (open) and steady = 0 (closed, never changed)", states)
	}
	denied, ok := m["accord.client.retries.denied"].(metricdata.Sum[int64])
	if !ok || len(denied.DataPoints) != 1 || denied.DataPoints[0].Value != 1 {
		t.Fatalf("retries denied %+v, want 1 (the second call's)", m["accord.client.retries.denied"])
	}
	// The refused fourth call's span says why.
	var refused int
	for _, s := range h.spans.GetSpans() {
		if v, _ := spanAttr(s, "error.type"); s.SpanKind == trace.SpanKindInternal && v.AsString() == "circuit_open" {
			refused++
		}
	}
	if refused != 2 {
		t.Errorf("%d call spans with error.type circuit_open, want 2 (calls 3 and 4)", refused)
	}
}

func TestOTelEventSpans(t *testing.T) {
	h := newOTelHarness(t)
	tr := NewMemoryTransport(MemoryTransportOptions{})
	t.Cleanup(func() { _ = tr.Close() })
	pub := NewEventPublisher(h.o.EventSink(tr, "memory"), EventPublisherOptions{})
	sent, err := pub.Publish(context.Background(), EventMessage{Topic: "payments", Key: "k", Payload: []byte(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	var got atomic.Pointer[EventDelivery]
	fail := errors.New("handler failed")
	var runs atomic.Int32
	handler := h.o.EventHandler("memory", func(ctx context.Context, d *EventDelivery) error {
		if runs.Add(1) == 1 {
			return &EventNak{Err: fail, Delay: time.Millisecond}
		}
		got.Store(d)
		if TraceIDFromContext(ctx) != trace.SpanContextFromContext(ctx).TraceID().String() {
			t.Error("handler's runtime trace id is not its span's")
		}
		return nil
	})
	runConsume(t, tr, "g", []string{"payments"}, handler)
	evWait(t, 5*time.Second, "the message handled", func() bool { return got.Load() != nil })

	var producer, consumers []tracetest.SpanStub
	evWait(t, 5*time.Second, "two consumer spans", func() bool {
		producer, consumers = nil, nil
		for _, s := range h.spans.GetSpans() {
			switch s.SpanKind {
			case trace.SpanKindProducer:
				producer = append(producer, s)
			case trace.SpanKindConsumer:
				consumers = append(consumers, s)
			}
		}
		return len(consumers) == 2
	})
	if len(producer) != 1 || producer[0].Name != "send payments" {
		t.Fatalf("producer spans %v", producer)
	}
	if sent.Traceparent == "" || rtParseTraceparent(sent.Traceparent) != producer[0].SpanContext.TraceID().String() {
		t.Fatalf("message traceparent %q does not carry the producer span", sent.Traceparent)
	}
	for _, c := range consumers {
		if c.Parent.SpanID() != producer[0].SpanContext.SpanID() || c.Name != "process payments" {
			t.Errorf("consumer span %q parent %s, want the producer span", c.Name, c.Parent.SpanID())
		}
		if v, _ := spanAttr(c, "messaging.message.id"); v.AsString() != sent.ID {
			t.Errorf("message id %q", v.AsString())
		}
	}
	if consumers[0].Status.Code != codes.Error {
		t.Error("the failed run's span is not an error")
	}
	m := h.metrics(t)
	if n, errs := histCount(t, m["messaging.process.duration"]); n != 2 || errs != 1 {
		t.Errorf("process duration %d (%d errors)", n, errs)
	}
	if n, _ := histCount(t, m["messaging.client.operation.duration"]); n != 1 {
		t.Errorf("send duration %d", n)
	}
}

func TestOTelCallContinuesRuntimeTrace(t *testing.T) {
	h := newOTelHarness(t)
	var sent string
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) { sent = r.Header.Get("Traceparent") })
	e := NewEngine(WithOTel(h.o))
	const id = "4bf92f3577b34da6a3ce929d0e0e4736"
	resp, err := e.Do(ContextWithTraceID(context.Background(), id), Operation{ID: "get", Method: "GET"}, getReq(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	for _, s := range h.spans.GetSpans() {
		if s.SpanContext.TraceID().String() != id {
			t.Errorf("span %q in trace %s, want the caller's %s", s.Name, s.SpanContext.TraceID(), id)
		}
		if s.SpanKind == trace.SpanKindClient && sent != "00-"+id+"-"+s.SpanContext.SpanID().String()+"-01" {
			t.Errorf("traceparent sent %q is not the attempt span %s", sent, s.SpanContext.SpanID())
		}
	}
}

// BenchmarkEngineDoOTel against BenchmarkEngineDoRetryBudgetOn (same loop,
// same server) is what tracing and metrics cost per call with the SDK
// recording every span.
func BenchmarkEngineDoOTel(b *testing.B) {
	tp := sdktrace.NewTracerProvider(sdktrace.WithSyncer(tracetest.NewNoopExporter()))
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()); _ = mp.Shutdown(context.Background()) })
	o, err := NewOTel(OTelOptions{TracerProvider: tp, MeterProvider: mp})
	if err != nil {
		b.Fatal(err)
	}
	benchEngineDo(b, WithOTel(o))
}

func TestOTelKeepsSignedTraceparent(t *testing.T) {
	h := newOTelHarness(t)
	var sent string
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) { sent = r.Header.Get("Traceparent") })
	var built string
	e := NewEngine(WithOTel(h.o), WithRequestEditor(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Signature-Input", `sig1=("@method" "traceparent");created=1`)
		built = r.Header.Get("Traceparent")
		return nil
	}))
	resp, err := e.Do(context.Background(), Operation{ID: "get", Method: "GET"}, getReq(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if sent == "" || sent != built {
		t.Fatalf("signed traceparent rewritten: built %q, sent %q", built, sent)
	}
}

func TestOTelServerWrapKeepsStreamingAndController(t *testing.T) {
	h := newOTelHarness(t)
	op := Operation{ID: "stream", Method: "GET", Pattern: "/events", Policy: Policy{Idempotency: IdempotencyOff}}
	flushed := make(chan struct{})
	srv := httptest.NewServer(Chain(op, &ServerSettings{Logger: slog.New(slog.DiscardHandler), Wrap: h.o.ServerWrap},
		http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = w.Write([]byte("first\n"))
			if err := http.NewResponseController(w).Flush(); err != nil {
				t.Errorf("flush through the wrap: %v", err)
			}
			<-flushed
			_, _ = w.Write([]byte("second\n"))
		})))
	t.Cleanup(srv.Close)
	resp, err := http.Get(srv.URL + "/events")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	buf := make([]byte, 6)
	if _, err := io.ReadFull(resp.Body, buf); err != nil || string(buf) != "first\n" {
		t.Fatalf("first chunk %q before the handler finished: %v", buf, err)
	}
	close(flushed)
	rest, _ := io.ReadAll(resp.Body)
	if string(rest) != "second\n" {
		t.Fatalf("rest %q", rest)
	}
	resp.Body.Close()
	evWait(t, 2*time.Second, "the server span", func() bool { return len(h.spans.GetSpans()) == 1 })
	if v, _ := spanAttr(h.spans.GetSpans()[0], "http.response.status_code"); v.AsInt64() != 200 {
		t.Errorf("status attribute %v", v)
	}
}
