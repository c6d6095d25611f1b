// Package e2e runs the committed generated packages of examples/ against
// each other over loopback: the generated client against the generated
// server, with faults injected by wrapping the handler implementation.
package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/examples/payments/paymentsapi"
)

const (
	partnerKey = "partner-hmac-secret-for-tests"
	webhookKey = "whsec_dGVzdC13ZWJob29rLXNpZ25pbmcta2V5LTMyYnl0ZXM=" // Standard Webhooks style
)

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// provider is the payments provider behind the generated server: the
// handler implementation the tests wrap to inject faults.
type provider struct {
	mu       sync.Mutex
	payments map[string]paymentsapi.Payment
	runs     atomic.Int64 // CreatePayment executions
	// hold, when set, makes CreatePayment wait for it to be closed: the
	// window in which duplicates find the first request in flight.
	hold    chan struct{}
	entered chan struct{} // when set, CreatePayment signals its start
}

func newProvider() *provider { return &provider{payments: map[string]paymentsapi.Payment{}} }

var _ paymentsapi.StrictServerInterface = (*provider)(nil)

func (p *provider) CreatePayment(ctx context.Context, req paymentsapi.CreatePaymentRequestObject) (paymentsapi.CreatePaymentResponseObject, error) {
	n := p.runs.Add(1)
	if p.entered != nil {
		p.entered <- struct{}{}
	}
	if p.hold != nil {
		select {
		case <-p.hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	b := req.Body
	pay := paymentsapi.Payment{
		Id: fmt.Sprintf("pay_%08d", n), Status: paymentsapi.PaymentStatusSucceeded, AmountMinor: b.AmountMinor,
		Currency: b.Currency, CustomerId: b.CustomerId, Description: b.Description, CreatedAt: time.Now().UTC().Truncate(time.Second),
	}
	p.mu.Lock()
	p.payments[pay.Id] = pay
	p.mu.Unlock()
	return paymentsapi.CreatePayment201JSONResponse(pay), nil
}

func (p *provider) GetPayment(_ context.Context, req paymentsapi.GetPaymentRequestObject) (paymentsapi.GetPaymentResponseObject, error) {
	p.mu.Lock()
	pay, ok := p.payments[req.PaymentId]
	p.mu.Unlock()
	if !ok {
		detail := "no payment " + req.PaymentId
		return paymentsapi.GetPayment404ApplicationProblemPlusJSONResponse{ProblemApplicationProblemPlusJSONResponse: paymentsapi.ProblemApplicationProblemPlusJSONResponse{Detail: &detail}}, nil
	}
	return paymentsapi.GetPayment200JSONResponse(pay), nil
}

func (p *provider) CreateRefund(_ context.Context, req paymentsapi.CreateRefundRequestObject) (paymentsapi.CreateRefundResponseObject, error) {
	return paymentsapi.CreateRefund201JSONResponse{Id: "re_1", PaymentId: req.PaymentId, AmountMinor: req.Body.AmountMinor,
		Status: paymentsapi.RefundStatusSucceeded, CreatedAt: time.Now().UTC()}, nil
}

func (p *provider) GetEvent(_ context.Context, req paymentsapi.GetEventRequestObject) (paymentsapi.GetEventResponseObject, error) {
	detail := "no event " + req.EventId
	return paymentsapi.GetEvent404ApplicationProblemPlusJSONResponse{ProblemApplicationProblemPlusJSONResponse: paymentsapi.ProblemApplicationProblemPlusJSONResponse{Detail: &detail}}, nil
}

// faults wraps a handler implementation: create and get, when set, answer
// the n-th call (from 1) in its place unless they return nil.
type faults struct {
	paymentsapi.StrictServerInterface
	create      func(ctx context.Context, n int64) paymentsapi.CreatePaymentResponseObject
	get         func(ctx context.Context, n int64) paymentsapi.GetPaymentResponseObject
	createCalls atomic.Int64
	getCalls    atomic.Int64
}

func (f *faults) CreatePayment(ctx context.Context, req paymentsapi.CreatePaymentRequestObject) (paymentsapi.CreatePaymentResponseObject, error) {
	n := f.createCalls.Add(1)
	if f.create != nil {
		if r := f.create(ctx, n); r != nil {
			return r, nil
		}
	}
	return f.StrictServerInterface.CreatePayment(ctx, req)
}

func (f *faults) GetPayment(ctx context.Context, req paymentsapi.GetPaymentRequestObject) (paymentsapi.GetPaymentResponseObject, error) {
	n := f.getCalls.Add(1)
	if f.get != nil {
		if r := f.get(ctx, n); r != nil {
			return r, nil
		}
	}
	return f.StrictServerInterface.GetPayment(ctx, req)
}

// problemAnswer is an injected failure: a problem+json answer of any status,
// with Retry-After when set, for any operation's response interface.
type problemAnswer struct {
	status     int
	retryAfter string
}

func (p problemAnswer) write(w http.ResponseWriter) error {
	if p.retryAfter != "" {
		w.Header().Set("Retry-After", p.retryAfter)
	}
	paymentsapi.WriteProblem(w, nil, paymentsapi.AccordProblemDetails{Status: p.status, Detail: "injected fault"})
	return nil
}

func (p problemAnswer) VisitCreatePaymentResponse(w http.ResponseWriter) error { return p.write(w) }
func (p problemAnswer) VisitGetPaymentResponse(w http.ResponseWriter) error    { return p.write(w) }

// paymentsHandler is the generated server for impl, verifying partner-hmac
// signatures with partnerKey.
func paymentsHandler(impl paymentsapi.StrictServerInterface, opts ...paymentsapi.ServerOption) http.Handler {
	base := []paymentsapi.ServerOption{
		paymentsapi.WithLogger(quietLogger()),
		paymentsapi.WithVerificationSecrets("partner-hmac", paymentsapi.StaticSecrets{[]byte(partnerKey)}),
		paymentsapi.WithAuthenticator(paymentsAuth{}),
	}
	return paymentsapi.NewServer(impl, append(base, opts...)...)
}

// serve runs h on a loopback listener for the test's duration.
func serve(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// startPayments serves impl with the generated server over loopback.
func startPayments(t *testing.T, impl paymentsapi.StrictServerInterface, opts ...paymentsapi.ServerOption) *httptest.Server {
	t.Helper()
	return serve(t, paymentsHandler(impl, opts...))
}

// newClient is a generated client signing with partnerKey.
func newClient(t *testing.T, url string, opts ...paymentsapi.ClientOption) *paymentsapi.Client {
	t.Helper()
	base := []paymentsapi.ClientOption{paymentsapi.WithSigningSecrets("partner-hmac", paymentsapi.StaticSecrets{[]byte(partnerKey)}),
		paymentsapi.WithBearerAuthBearer(paymentsapi.StaticToken(testBearerToken))}
	c, err := paymentsapi.NewClient(url, append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func paymentRequest(amount int64) paymentsapi.CreatePaymentJSONRequestBody {
	return paymentsapi.CreatePaymentJSONRequestBody{AmountMinor: amount, Currency: "EUR", CustomerId: "cus_42"}
}

// serverPolicy overrides one operation's policy on the server.
func serverPolicy(op string, f func(p *paymentsapi.Policy)) paymentsapi.ServerOption {
	return paymentsapi.WithServerPolicy(func(id string, p *paymentsapi.Policy) {
		if id == op {
			f(p)
		}
	})
}

// clientPolicy overrides one operation's policy on a client.
func clientPolicy(op string, f func(p *paymentsapi.Policy)) paymentsapi.ClientOption {
	return paymentsapi.WithPolicy(func(id string, p *paymentsapi.Policy) {
		if id == op {
			f(p)
		}
	})
}

// calls records every logical call's outcome through the client hooks.
type calls struct {
	mu  sync.Mutex
	all []paymentsapi.CallInfo
}

func (c *calls) option() paymentsapi.ClientOption {
	return paymentsapi.WithHooks(paymentsapi.Hooks{OnCall: func(ci paymentsapi.CallInfo) {
		c.mu.Lock()
		c.all = append(c.all, ci)
		c.mu.Unlock()
	}})
}

func (c *calls) last(t *testing.T) paymentsapi.CallInfo {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.all) == 0 {
		t.Fatal("no call recorded")
	}
	return c.all[len(c.all)-1]
}

// seen records the requests that reached the server (headers only), in
// arrival order, by wrapping the generated server's handler.
type seen struct {
	mu   sync.Mutex
	reqs []http.Header
}

func (s *seen) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.reqs = append(s.reqs, r.Header.Clone())
		s.mu.Unlock()
		h.ServeHTTP(w, r)
	})
}

func (s *seen) headers() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.reqs...)
}

// clock is a settable clock for the client's circuit breaker.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// asResponseError returns the runtime's typed error of a non-2xx answer.
func asResponseError(t *testing.T, err error) *paymentsapi.ResponseError {
	t.Helper()
	var re *paymentsapi.ResponseError
	if !errors.As(err, &re) {
		t.Fatalf("want a *ResponseError, got %T: %v", err, err)
	}
	return re
}
