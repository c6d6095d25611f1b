package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accord-dev/accord/examples/payments/paymentsapi"
)

// provider is the payments provider's handler implementation. Its first
// `flaky` createPayment calls fail with 503 + Retry-After: 1, as a provider
// under load would answer.
type provider struct {
	flaky int64
	calls atomic.Int64
	runs  atomic.Int64 // payments really created
}

var _ paymentsapi.StrictServerInterface = (*provider)(nil)

// unavailable is a 503 problem with Retry-After; the contract does not
// declare 503, so it is written as a problem rather than a typed response.
type unavailable struct{}

func (unavailable) VisitCreatePaymentResponse(w http.ResponseWriter) error {
	w.Header().Set("Retry-After", "1")
	paymentsapi.WriteProblem(w, nil, paymentsapi.AccordProblemDetails{Status: http.StatusServiceUnavailable, Detail: "the ledger is busy"})
	return nil
}

func (p *provider) CreatePayment(_ context.Context, req paymentsapi.CreatePaymentRequestObject) (paymentsapi.CreatePaymentResponseObject, error) {
	if p.calls.Add(1) <= p.flaky {
		return unavailable{}, nil
	}
	n := p.runs.Add(1)
	return paymentsapi.CreatePayment201JSONResponse{
		Id: fmt.Sprintf("pay_demo%04d", n), Status: paymentsapi.PaymentStatusSucceeded, AmountMinor: req.Body.AmountMinor,
		Currency: req.Body.Currency, CustomerId: req.Body.CustomerId, CreatedAt: time.Now().UTC().Truncate(time.Second),
	}, nil
}

func (p *provider) GetPayment(context.Context, paymentsapi.GetPaymentRequestObject) (paymentsapi.GetPaymentResponseObject, error) {
	return paymentsapi.GetPayment404ApplicationProblemPlusJSONResponse{}, nil
}

func (p *provider) CreateRefund(context.Context, paymentsapi.CreateRefundRequestObject) (paymentsapi.CreateRefundResponseObject, error) {
	return paymentsapi.CreateRefund404ApplicationProblemPlusJSONResponse{}, nil
}

func (p *provider) GetEvent(context.Context, paymentsapi.GetEventRequestObject) (paymentsapi.GetEventResponseObject, error) {
	return paymentsapi.GetEvent404ApplicationProblemPlusJSONResponse{}, nil
}

// webhookHandler is the integrator's typed webhook handler.
type webhookHandler chan<- paymentsapi.PaymentEvent

func (h webhookHandler) PaymentSucceeded(_ context.Context, body paymentsapi.PaymentSucceededJSONRequestBody) error {
	h <- body
	return nil
}

// wireTap prints what reaches the provider: the idempotency key and the
// signature of every attempt, and the answer.
type wireTap struct {
	out  io.Writer
	mu   sync.Mutex
	keys []string // of every request, in arrival order
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (t *wireTap) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		key := r.Header.Get("Idempotency-Key")
		t.mu.Lock()
		t.keys = append(t.keys, key)
		t.mu.Unlock()
		answer := fmt.Sprint(sw.status)
		if ra := sw.Header().Get("Retry-After"); ra != "" {
			answer += " Retry-After: " + ra
		}
		if sw.Header().Get("Idempotent-Replayed") == "true" {
			answer += " Idempotent-Replayed: true"
		}
		fmt.Fprintf(t.out, "    server: %s %s key=%s… ts=%s sig=%s… → %s\n", r.Method, r.URL.Path,
			prefix(key, 8), r.Header.Get("X-Timestamp"), prefix(r.Header.Get("X-Signature"), 12), answer)
	})
}

// sentKeys returns the keys seen so far.
func (t *wireTap) sentKeys() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.keys...)
}

func prefix(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// tamper changes a request body after it was signed, as a hostile proxy
// would.
type tamper struct{ base http.RoundTripper }

func (t tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	_ = r.Body.Close()
	b = bytes.Replace(b, []byte(`"amount_minor":4200`), []byte(`"amount_minor":420000`), 1)
	r2 := r.Clone(r.Context())
	r2.Body, r2.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	return t.base.RoundTrip(r2)
}

// demoAuth is the provider's Authenticator for the contract's bearerAuth:
// the integrator's token names its account.
type demoAuth struct{}

func (demoAuth) AuthenticateBearerAuth(_ context.Context, token string) (paymentsapi.Principal, error) {
	if token != demoToken {
		return paymentsapi.Principal{}, fmt.Errorf("unknown token")
	}
	return paymentsapi.Principal{Subject: "acct_demo"}, nil
}
