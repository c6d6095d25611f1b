package runtime

// The OpenTelemetry adapter: the only runtime file importing
// go.opentelemetry.io/otel, copied into generated code only when the
// integration asks for it (--generate otel).

import (
	"context"
	"database/sql"
	"errors"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
	"go.opentelemetry.io/otel/trace"
)

// OTelOptions configures NewOTel. Nil fields take the global providers
// (otel.GetTracerProvider, otel.GetMeterProvider) and W3C trace context,
// the format the runtime itself propagates.
type OTelOptions struct {
	TracerProvider trace.TracerProvider
	MeterProvider  metric.MeterProvider
	Propagator     propagation.TextMapPropagator
}

// OTel produces spans and metrics for clients (WithOTel), servers
// (ServerSettings.Wrap = o.ServerWrap) and events (o.EventSink,
// o.EventHandler, o.EventTxHandler):
//
//   - spans: one per logical call (internal) with one child per HTTP
//     attempt (client, http.request.resend_count on retries), one per
//     served request (server), one per message sent (producer) and handled
//     (consumer), with the HTTP and messaging semantic conventions;
//   - RED metrics: http.client.request.duration (attempts),
//     accord.client.call.duration (calls), http.server.request.duration,
//     messaging.client.operation.duration, messaging.process.duration,
//     each with error.type on failures;
//   - USE gauges: in-flight calls, attempts and server requests, and each
//     operation's breaker state (0 closed, 1 half-open, 2 open), plus
//     accord.client.retries.denied (retry budget or switch).
type OTel struct {
	tracer trace.Tracer
	prop   propagation.TextMapPropagator

	callDur, attemptDur, serverDur, sendDur, processDur metric.Float64Histogram
	callsActive, attemptsActive, serverActive           metric.Int64UpDownCounter
	retriesDenied                                       metric.Int64Counter

	mu       sync.RWMutex
	breakers map[string]int64 // operation → state gauge value

	setsMu sync.RWMutex
	sets   map[rtOTelSetKey]metric.MeasurementOption
}

// rtOTelSetKey names one combination of metric attributes. Building and
// sorting an attribute set costs allocations on every measurement; the
// combinations are few (operations × statuses × error types), so each set
// is built once.
type rtOTelSetKey struct {
	kind         uint8 // which instrument family the set is for
	op, method   string
	host, scheme string
	port, status int
	errType      string
}

// rtOTelMaxSets bounds the cache, should hosts or statuses be unbounded;
// past it, sets are built per measurement as without the cache.
const rtOTelMaxSets = 4096

func (o *OTel) set(k rtOTelSetKey, kvs func() []attribute.KeyValue) metric.MeasurementOption {
	o.setsMu.RLock()
	opt, ok := o.sets[k]
	o.setsMu.RUnlock()
	if ok {
		return opt
	}
	opt = metric.WithAttributeSet(attribute.NewSet(kvs()...))
	o.setsMu.Lock()
	if len(o.sets) < rtOTelMaxSets {
		o.sets[k] = opt
	}
	o.setsMu.Unlock()
	return opt
}

// rtOTelWithResult adds the status code and error type to base.
func rtOTelWithResult(base []attribute.KeyValue, status int, et string) []attribute.KeyValue {
	out := base[:len(base):len(base)]
	if status != 0 {
		out = append(out, semconv.HTTPResponseStatusCode(status))
	}
	if et != "" {
		out = append(out, semconv.ErrorTypeKey.String(et))
	}
	return out
}

const rtOTelScope = "github.com/accord-dev/accord/runtime"

// rtDurationBuckets are the semantic conventions' advice for HTTP and
// messaging durations, in seconds.
func rtDurationBuckets() []float64 {
	return []float64{0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10}
}

// NewOTel creates the instruments; it fails only when a meter provider
// refuses one.
func NewOTel(opt OTelOptions) (*OTel, error) {
	tp, mp, prop := opt.TracerProvider, opt.MeterProvider, opt.Propagator
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if prop == nil {
		prop = propagation.TraceContext{}
	}
	o := &OTel{tracer: tp.Tracer(rtOTelScope), prop: prop, breakers: map[string]int64{}, sets: map[rtOTelSetKey]metric.MeasurementOption{}}
	m := mp.Meter(rtOTelScope)
	var errs []error
	hist := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc), metric.WithExplicitBucketBoundaries(rtDurationBuckets()...))
		errs = append(errs, err)
		return h
	}
	updown := func(name, unit, desc string) metric.Int64UpDownCounter {
		c, err := m.Int64UpDownCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	o.callDur = hist("accord.client.call.duration", "Duration of logical client calls, all attempts included.")
	o.attemptDur = hist("http.client.request.duration", "Duration of HTTP client requests (attempts).")
	o.serverDur = hist("http.server.request.duration", "Duration of HTTP server requests.")
	o.sendDur = hist("messaging.client.operation.duration", "Duration of messaging operations (send).")
	o.processDur = hist("messaging.process.duration", "Duration of processing a received message.")
	o.callsActive = updown("accord.client.active_calls", "{call}", "Logical client calls in flight.")
	o.attemptsActive = updown("http.client.active_requests", "{request}", "HTTP client requests in flight.")
	o.serverActive = updown("http.server.active_requests", "{request}", "HTTP server requests in flight.")
	var err error
	o.retriesDenied, err = m.Int64Counter("accord.client.retries.denied", metric.WithUnit("{retry}"),
		metric.WithDescription("Retries the policy allowed but the retry budget or the stop-retries switch refused."))
	errs = append(errs, err)
	_, err = m.Int64ObservableGauge("accord.client.breaker.state", metric.WithUnit("{state}"),
		metric.WithDescription("Circuit breaker state per operation: 0 closed, 1 half-open, 2 open."),
		metric.WithInt64Callback(func(_ context.Context, obs metric.Int64Observer) error {
			o.mu.RLock()
			defer o.mu.RUnlock()
			for op, v := range o.breakers {
				obs.Observe(v, metric.WithAttributes(rtAttrOperation.String(op)))
			}
			return nil
		}))
	errs = append(errs, err)
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	return o, nil
}

const rtAttrOperation = attribute.Key("accord.operation")

// WithOTel traces and measures a client's calls and attempts, next to
// its other hooks. Pass it after WithHooks, which replaces every hook set
// before it (AddHooks adds instead).
func WithOTel(o *OTel) ClientOption {
	return func(s *ClientSettings) {
		AddHooks(Hooks{StartCall: o.startCall, OnRetryDenied: o.retryDenied, OnBreakerState: o.breakerState})(s)
		s.Transports = append(s.Transports, func(next http.RoundTripper) http.RoundTripper {
			return &rtOTelTransport{o: o, next: next}
		})
	}
}

type rtOTelCallKey struct{}

// rtOTelCall is what the attempts of one call share: their operation and
// how many went before.
type rtOTelCall struct {
	op       Operation
	mu       sync.Mutex
	attempts int
}

// startCall opens the call's span. Without a span in ctx but with the
// runtime's own trace id (a request served without the adapter), the span
// continues that trace, so Trace-Id headers, errors and traces agree.
func (o *OTel) startCall(ctx context.Context, op Operation) (context.Context, func(CallInfo)) {
	if op.Policy.Breaker.Failures > 0 {
		o.seeBreaker(op.ID)
	}
	ctx = rtOTelAdoptTraceID(ctx)
	start := time.Now()
	ctx, span := o.tracer.Start(ctx, op.ID, trace.WithSpanKind(trace.SpanKindInternal),
		trace.WithAttributes(rtAttrOperation.String(op.ID), semconv.HTTPRequestMethodKey.String(op.Method)))
	// The runtime's trace id (Trace-Id, CallInfo, errors) must be the
	// span's. A served request's state is left in place: replacing it would
	// hide its principal from the call's request editors.
	if tid := span.SpanContext().TraceID().String(); TraceIDFromContext(ctx) != tid {
		if _, served := ctx.Value(rtTraceKey{}).(*rtServerRequest); !served {
			ctx = ContextWithTraceID(ctx, tid)
		}
	}
	ctx = context.WithValue(ctx, rtOTelCallKey{}, &rtOTelCall{op: op})
	baseKVs := func() []attribute.KeyValue {
		return []attribute.KeyValue{rtAttrOperation.String(op.ID), semconv.HTTPRequestMethodKey.String(op.Method)}
	}
	base := o.set(rtOTelSetKey{kind: 1, op: op.ID, method: op.Method}, baseKVs)
	o.callsActive.Add(ctx, 1, base)
	return ctx, func(ci CallInfo) {
		et := rtOTelErrorType(ci.Err, ci.StatusCode)
		if ci.StatusCode != 0 {
			span.SetAttributes(semconv.HTTPResponseStatusCode(ci.StatusCode))
		}
		if et != "" {
			span.SetAttributes(semconv.ErrorTypeKey.String(et))
			span.SetStatus(codes.Error, et)
			if ci.Err != nil {
				span.RecordError(ci.Err)
			}
		}
		span.SetAttributes(attribute.Int("accord.attempts", ci.Attempts))
		o.callsActive.Add(ctx, -1, base)
		final := o.set(rtOTelSetKey{kind: 2, op: op.ID, method: op.Method, status: ci.StatusCode, errType: et},
			func() []attribute.KeyValue { return rtOTelWithResult(baseKVs(), ci.StatusCode, et) })
		o.callDur.Record(ctx, time.Since(start).Seconds(), final)
		span.End()
	}
}

func rtOTelAdoptTraceID(ctx context.Context) context.Context {
	if trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	id := TraceIDFromContext(ctx)
	if !rtValidTraceID(id) {
		return ctx
	}
	tid, err := trace.TraceIDFromHex(id)
	if err != nil {
		return ctx
	}
	var b [16]byte
	rtRandomHex(b[:])
	sid, err := trace.SpanIDFromHex(string(b[:]))
	if err != nil {
		return ctx
	}
	return trace.ContextWithRemoteSpanContext(ctx, trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled, Remote: true,
	}))
}

func (o *OTel) retryDenied(d RetryDeniedInfo) {
	o.retriesDenied.Add(context.Background(), 1, metric.WithAttributes(rtAttrOperation.String(d.Operation), attribute.String("accord.reason", d.Reason)))
}

// seeBreaker makes an operation's breaker show as closed before its first
// change, so dashboards list every breaker, not only those that tripped.
func (o *OTel) seeBreaker(id string) {
	o.mu.RLock()
	_, ok := o.breakers[id]
	o.mu.RUnlock()
	if ok {
		return
	}
	o.mu.Lock()
	if _, ok := o.breakers[id]; !ok {
		o.breakers[id] = 0
	}
	o.mu.Unlock()
}

func (o *OTel) breakerState(b BreakerStateInfo) {
	v := int64(0)
	switch b.To {
	case BreakerHalfOpen:
		v = 1
	case BreakerOpen:
		v = 2
	}
	o.mu.Lock()
	o.breakers[b.Operation] = v
	o.mu.Unlock()
}

// rtOTelErrorType is error.type: the status code for an HTTP error, the
// runtime's reason for a call that got no response, "" for success.
func rtOTelErrorType(err error, status int) string {
	var re *ResponseError
	var ne net.Error
	switch {
	case err == nil && status < 400:
		return ""
	case errors.As(err, &re):
		return strconv.Itoa(re.StatusCode)
	case err == nil:
		return strconv.Itoa(status)
	case errors.Is(err, ErrDisabled):
		return "disabled"
	case errors.Is(err, ErrCircuitOpen):
		return "circuit_open"
	case errors.Is(err, ErrBusy):
		return "busy"
	case errors.Is(err, ErrBudgetExhausted):
		return "budget_exhausted"
	case errors.Is(err, ErrResponseTooLarge):
		return "response_too_large"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "_OTHER"
}

// rtOTelTransport makes one client span per attempt and sends its context
// in traceparent, so the provider's span is its child.
type rtOTelTransport struct {
	o    *OTel
	next http.RoundTripper
}

func (t *rtOTelTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	name, route, resend, opID := req.Method, "", 0, ""
	if c, ok := ctx.Value(rtOTelCallKey{}).(*rtOTelCall); ok {
		c.mu.Lock()
		resend = c.attempts
		c.attempts++
		c.mu.Unlock()
		route, opID = c.op.Pattern, c.op.ID
		if route != "" {
			name += " " + route
		}
	}
	host := req.URL.Hostname()
	port, err := strconv.Atoi(req.URL.Port())
	if err != nil {
		port = 80
		if req.URL.Scheme == "https" {
			port = 443
		}
	}
	baseKVs := func() []attribute.KeyValue {
		kvs := []attribute.KeyValue{semconv.HTTPRequestMethodKey.String(req.Method), semconv.ServerAddress(host), semconv.ServerPort(port)}
		if opID != "" {
			kvs = append(kvs, rtAttrOperation.String(opID))
		}
		return kvs
	}
	key := rtOTelSetKey{kind: 3, op: opID, method: req.Method, host: host, port: port}
	mAttrs := t.o.set(key, baseKVs)
	attrs := append(baseKVs(),
		// No query and no userinfo: both carry credentials often enough.
		semconv.URLFull(req.URL.Scheme+"://"+req.URL.Host+req.URL.EscapedPath()))
	if route != "" {
		attrs = append(attrs, semconv.URLTemplate(route))
	}
	if resend > 0 {
		attrs = append(attrs, semconv.HTTPRequestResendCount(resend))
	}
	ctx, span := t.o.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(attrs...))
	defer span.End()
	// RoundTrippers must not change the caller's request: the headers are
	// copied. An RFC 9421 signature that covers traceparent keeps the
	// runtime's (same trace id): rewriting it would break the signature.
	r2 := req.WithContext(ctx)
	if !strings.Contains(req.Header.Get("Signature-Input"), `"traceparent"`) {
		r2.Header = req.Header.Clone()
		t.o.prop.Inject(ctx, propagation.HeaderCarrier(r2.Header))
	}
	t.o.attemptsActive.Add(ctx, 1, mAttrs)
	start := time.Now()
	resp, err := t.next.RoundTrip(r2)
	t.o.attemptsActive.Add(ctx, -1, mAttrs)
	status := 0
	if resp != nil {
		status = resp.StatusCode
		span.SetAttributes(semconv.HTTPResponseStatusCode(status))
	}
	et := rtOTelErrorType(err, status)
	if et != "" {
		span.SetAttributes(semconv.ErrorTypeKey.String(et))
		span.SetStatus(codes.Error, et)
		if err != nil {
			span.RecordError(err)
		}
	}
	key.kind, key.status, key.errType = 4, status, et
	final := t.o.set(key, func() []attribute.KeyValue { return rtOTelWithResult(baseKVs(), status, et) })
	t.o.attemptDur.Record(ctx, time.Since(start).Seconds(), final)
	return resp, err
}

// ServerWrap is for ServerSettings.Wrap: one server span per request,
// continuing the caller's trace. The request's traceparent is replaced by
// the span's, so that the chain's trace id (Trace-Id, access log, problems)
// is the span's trace and calls the handler makes are the span's children.
func (o *OTel) ServerWrap(op Operation, h http.Handler) http.Handler {
	route := op.Pattern
	name := op.Method + " " + route
	if route == "" {
		name = op.Method
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := o.prop.Extract(r.Context(), propagation.HeaderCarrier(r.Header))
		scheme := "http"
		if r.TLS != nil {
			scheme = "https"
		}
		baseKVs := func() []attribute.KeyValue {
			return []attribute.KeyValue{rtAttrOperation.String(op.ID), semconv.HTTPRequestMethodKey.String(r.Method), semconv.HTTPRoute(route), semconv.URLScheme(scheme)}
		}
		key := rtOTelSetKey{kind: 5, op: op.ID, method: r.Method, scheme: scheme}
		ctx, span := o.tracer.Start(ctx, name, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(append(baseKVs(), semconv.URLPath(r.URL.EscapedPath()))...))
		defer span.End()
		r2 := r.WithContext(ctx)
		r2.Header = r.Header.Clone()
		o.prop.Inject(ctx, propagation.HeaderCarrier(r2.Header))
		mAttrs := o.set(key, baseKVs)
		o.serverActive.Add(ctx, 1, mAttrs)
		rec := &rtOTelRecorder{w: w}
		start := time.Now()
		defer func() {
			o.serverActive.Add(ctx, -1, mAttrs)
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			span.SetAttributes(semconv.HTTPResponseStatusCode(status))
			// For servers only 5xx is an error: a 4xx is the caller's.
			et := ""
			if status >= 500 {
				et = strconv.Itoa(status)
				span.SetStatus(codes.Error, et)
				span.SetAttributes(semconv.ErrorTypeKey.String(et))
			}
			key.kind, key.status, key.errType = 6, status, et
			final := o.set(key, func() []attribute.KeyValue { return rtOTelWithResult(baseKVs(), status, et) })
			o.serverDur.Record(ctx, time.Since(start).Seconds(), final)
		}()
		h.ServeHTTP(rec, r2)
	})
}

// rtOTelRecorder notes the status; Flush and Unwrap keep streaming and
// http.ResponseController working through it.
type rtOTelRecorder struct {
	w      http.ResponseWriter
	status int
}

func (r *rtOTelRecorder) Header() http.Header { return r.w.Header() }

func (r *rtOTelRecorder) WriteHeader(code int) {
	if r.status == 0 && code >= 200 {
		r.status = code
	}
	r.w.WriteHeader(code)
}

func (r *rtOTelRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.w.Write(b)
}

func (r *rtOTelRecorder) Flush() {
	if f, ok := r.w.(http.Flusher); ok {
		if r.status == 0 {
			r.status = http.StatusOK
		}
		f.Flush()
	}
}

func (r *rtOTelRecorder) Unwrap() http.ResponseWriter { return r.w }

// EventSink wraps a transport or outbox sink: one producer span per
// message, whose context replaces the message's traceparent (events sign
// id, time and payload, not the trace context; the trace id stays the one
// EventPublisher.Publish returned). system is the
// messaging.system value: "kafka", "nats" or "memory".
func (o *OTel) EventSink(sink EventSink, system string) EventSink {
	return &rtOTelSink{o: o, next: sink, system: system}
}

type rtOTelSink struct {
	o      *OTel
	next   EventSink
	system string
}

func (s *rtOTelSink) Publish(ctx context.Context, msgs []EventMessage) error {
	out := make([]EventMessage, len(msgs))
	spans := make([]trace.Span, len(msgs))
	outer := trace.SpanContextFromContext(ctx).IsValid()
	for i, m := range msgs {
		// Without a span in ctx, the producer span continues the trace the
		// publisher already wrote into the message (the runtime's own).
		pctx := ctx
		if !outer && m.Traceparent != "" {
			pctx = s.o.prop.Extract(ctx, propagation.MapCarrier{"traceparent": m.Traceparent})
		}
		_, span := s.o.tracer.Start(pctx, "send "+m.Topic, trace.WithSpanKind(trace.SpanKindProducer),
			trace.WithAttributes(semconv.MessagingSystemKey.String(s.system), semconv.MessagingDestinationName(m.Topic),
				semconv.MessagingOperationTypeSend, semconv.MessagingOperationName("send"), semconv.MessagingMessageID(m.ID)))
		carrier := propagation.MapCarrier{}
		s.o.prop.Inject(trace.ContextWithSpan(pctx, span), carrier)
		if tp := carrier["traceparent"]; tp != "" {
			m.Traceparent = tp
		}
		out[i], spans[i] = m, span
	}
	start := time.Now()
	err := s.next.Publish(ctx, out)
	d := time.Since(start).Seconds()
	for i, span := range spans {
		attrs := []attribute.KeyValue{semconv.MessagingSystemKey.String(s.system), semconv.MessagingDestinationName(out[i].Topic), semconv.MessagingOperationName("send")}
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "_OTHER")
			attrs = append(attrs, semconv.ErrorTypeKey.String("_OTHER"))
		}
		s.o.sendDur.Record(ctx, d, metric.WithAttributes(attrs...))
		span.End()
	}
	return err
}

// EventHandler wraps a handler: one consumer span per delivery, the child
// of the producer's span (from the message's traceparent).
func (o *OTel) EventHandler(system string, h EventHandler) EventHandler {
	return func(ctx context.Context, d *EventDelivery) error {
		ctx, end := o.startProcess(ctx, system, d)
		err := h(ctx, d)
		end(err)
		return err
	}
}

// EventTxHandler is EventHandler for handlers that run in the inbox's
// transaction.
func (o *OTel) EventTxHandler(system string, h EventTxHandler) EventTxHandler {
	return func(ctx context.Context, tx *sql.Tx, d *EventDelivery) error {
		ctx, end := o.startProcess(ctx, system, d)
		err := h(ctx, tx, d)
		end(err)
		return err
	}
}

func (o *OTel) startProcess(ctx context.Context, system string, d *EventDelivery) (context.Context, func(error)) {
	if d.Traceparent != "" {
		ctx = o.prop.Extract(ctx, propagation.MapCarrier{"traceparent": d.Traceparent})
	}
	base := []attribute.KeyValue{semconv.MessagingSystemKey.String(system), semconv.MessagingDestinationName(d.Topic), semconv.MessagingOperationName("process")}
	if d.Group != "" {
		base = append(base, semconv.MessagingConsumerGroupName(d.Group))
	}
	attrs := append(base[:len(base):len(base)], semconv.MessagingOperationTypeProcess, semconv.MessagingMessageID(d.ID),
		attribute.Int("accord.delivery.attempt", d.Attempt))
	if d.Partition >= 0 && system == "kafka" {
		attrs = append(attrs, semconv.MessagingDestinationPartitionID(strconv.Itoa(int(d.Partition))), semconv.MessagingKafkaOffset(int(d.Offset)))
	}
	ctx, span := o.tracer.Start(ctx, "process "+d.Topic, trace.WithSpanKind(trace.SpanKindConsumer), trace.WithAttributes(attrs...))
	// The runtime's trace id follows the span, so calls the handler makes
	// through an Engine without the adapter stay in the trace too.
	ctx = ContextWithTraceID(ctx, span.SpanContext().TraceID().String())
	start := time.Now()
	return ctx, func(err error) {
		mattrs := base
		if err != nil {
			span.RecordError(err)
			span.SetStatus(codes.Error, "_OTHER")
			mattrs = append(mattrs, semconv.ErrorTypeKey.String("_OTHER"))
		}
		o.processDur.Record(ctx, time.Since(start).Seconds(), metric.WithAttributes(mattrs...))
		span.End()
	}
}
