package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/examples/payments/paymentsapi"
)

// integrator receives payment.succeeded webhooks: the typed handler.
type integrator struct {
	mu     sync.Mutex
	events []paymentsapi.PaymentEvent
	calls  atomic.Int64
	// failFirst makes the first n calls fail with a retryable problem.
	failFirst int64
}

var _ paymentsapi.WebhookHandler = (*integrator)(nil)

type unavailableError struct{}

func (unavailableError) Error() string { return "ledger unavailable" }
func (unavailableError) Problem() paymentsapi.AccordProblemDetails {
	return paymentsapi.AccordProblemDetails{Status: http.StatusServiceUnavailable, Detail: "try again"}
}

func (h *integrator) PaymentSucceeded(_ context.Context, body paymentsapi.PaymentSucceededJSONRequestBody) error {
	if h.calls.Add(1) <= h.failFirst {
		return unavailableError{}
	}
	h.mu.Lock()
	h.events = append(h.events, body)
	h.mu.Unlock()
	return nil
}

func (h *integrator) received() []paymentsapi.PaymentEvent {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]paymentsapi.PaymentEvent(nil), h.events...)
}

// startReceiver serves the generated webhook receiver and returns the URL
// of payment.succeeded.
func startReceiver(t *testing.T, h paymentsapi.WebhookHandler, wrap func(http.Handler) http.Handler) string {
	t.Helper()
	var rc http.Handler = paymentsapi.NewWebhookReceiver(h, paymentsapi.WithLogger(quietLogger()),
		paymentsapi.WithVerificationSecrets("partner-webhook", paymentsapi.StaticSecrets{[]byte(webhookKey)}))
	if wrap != nil {
		rc = wrap(rc)
	}
	return serve(t, rc).URL + "/payment.succeeded"
}

func newSender(t *testing.T, opts ...paymentsapi.ClientOption) *paymentsapi.WebhookSender {
	t.Helper()
	base := []paymentsapi.ClientOption{paymentsapi.WithSigningSecrets("partner-webhook", paymentsapi.StaticSecrets{[]byte(webhookKey)})}
	s, err := paymentsapi.NewWebhookSender(append(base, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func event(id string) paymentsapi.PaymentSucceededJSONRequestBody {
	return paymentsapi.PaymentSucceededJSONRequestBody{Id: id, Type: "payment.succeeded", CreatedAt: time.Now().UTC().Truncate(time.Second),
		Data: paymentsapi.Payment{Id: "pay_00000042", Status: paymentsapi.PaymentStatusSucceeded, AmountMinor: 4200, Currency: "EUR", CustomerId: "cus_42"}}
}

// A webhook is signed per Standard Webhooks, verified and decoded into the
// typed event; a failed delivery is retried with the same webhook id.
func TestWebhookSignedVerifiedRetried(t *testing.T) {
	t.Parallel()
	var got seen
	h := &integrator{failFirst: 1}
	url := startReceiver(t, h, got.wrap)
	if err := newSender(t).SendPaymentSucceeded(context.Background(), url, event("evt_1"), paymentsapi.WithWebhookID("evt_1")); err != nil {
		t.Fatal(err)
	}
	ev := h.received()
	if len(ev) != 1 || ev[0].Id != "evt_1" || ev[0].Data.AmountMinor != 4200 || h.calls.Load() != 2 {
		t.Fatalf("received %+v after %d handler calls", ev, h.calls.Load())
	}
	hs := got.headers()
	if len(hs) != 2 {
		t.Fatalf("%d deliveries", len(hs))
	}
	for _, hh := range hs {
		if hh.Get("Webhook-Id") != "evt_1" || !strings.HasPrefix(hh.Get("Webhook-Signature"), "v1,") || hh.Get("Webhook-Timestamp") == "" {
			t.Fatalf("delivery headers %v", hh)
		}
	}
}

// The same message sent again later (same webhook id, a new timestamp and
// signature) is answered from the store: the handler runs once.
func TestWebhookRedeliveryIsDeduplicated(t *testing.T) {
	t.Parallel()
	h := &integrator{}
	url := startReceiver(t, h, nil)
	ctx := context.Background()
	if err := newSender(t).SendPaymentSucceeded(ctx, url, event("evt_2"), paymentsapi.WithWebhookID("evt_2")); err != nil {
		t.Fatal(err)
	}
	// "Later" without waiting: a sender whose clock is a minute ahead,
	// well inside the five-minute tolerance.
	scheme, _ := paymentsapi.SignatureSchemeByName("partner-webhook")
	later := newSender(t, paymentsapi.WithSigner("partner-webhook", paymentsapi.Signer{Scheme: scheme,
		Secrets: paymentsapi.StaticSecrets{[]byte(webhookKey)}, Now: func() time.Time { return time.Now().Add(time.Minute) }}))
	if err := later.SendPaymentSucceeded(ctx, url, event("evt_2"), paymentsapi.WithWebhookID("evt_2")); err != nil {
		t.Fatal(err)
	}
	if n := h.calls.Load(); n != 1 {
		t.Fatalf("handler ran %d times for one event", n)
	}
}

// signedRequest signs body like a Standard Webhooks sender would.
func signedRequest(t *testing.T, url, id string, body []byte, key string, now time.Time) *http.Request {
	t.Helper()
	scheme, _ := paymentsapi.SignatureSchemeByName("partner-webhook")
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Webhook-Id", id)
	sg := paymentsapi.Signer{Scheme: scheme, Secrets: paymentsapi.StaticSecrets{[]byte(key)}, Now: func() time.Time { return now }}
	if err := sg.Sign(context.Background(), req, body); err != nil {
		t.Fatal(err)
	}
	return req
}

func send(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 400 && resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d answered as %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	return resp.StatusCode, string(b)
}

// Tampered, unsigned, stale and wrongly keyed webhooks are refused before
// the handler; a validly signed body that is not the event is a 400.
func TestWebhookReceiverRejects(t *testing.T) {
	t.Parallel()
	h := &integrator{}
	url := startReceiver(t, h, nil)
	body := []byte(`{"id":"evt_3","type":"payment.succeeded","created_at":"2026-11-23T10:00:00Z","data":{"id":"pay_1","status":"succeeded","amount_minor":1,"currency":"EUR","customer_id":"c","created_at":"2026-11-23T10:00:00Z"}}`)
	now := time.Now()

	tampered := signedRequest(t, url, "evt_3", body, webhookKey, now)
	tampered.Body = io.NopCloser(bytes.NewReader(bytes.Replace(body, []byte(`"amount_minor":1`), []byte(`"amount_minor":9`), 1)))
	unsigned, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	unsigned.Header.Set("Webhook-Id", "evt_3")
	cases := []struct {
		name string
		req  *http.Request
		want int
		why  string
	}{
		{"tampered", tampered, 401, "no signature matches"},
		{"unsigned", unsigned, 401, "signature missing"},
		{"stale", signedRequest(t, url, "evt_3", body, webhookKey, now.Add(-10*time.Minute)), 401, "outside tolerance"},
		{"wrong key", signedRequest(t, url, "evt_3", body, "whsec_d3Jvbmcta2V5LTAxMjM0NTY3ODk=", now), 401, "no signature matches"},
		{"not an event", signedRequest(t, url, "evt_4", []byte(`[1,2,3]`), webhookKey, now), 400, "decoding the webhook body"},
	}
	for _, c := range cases {
		if status, problem := send(t, c.req); status != c.want || !strings.Contains(problem, c.why) {
			t.Errorf("%s: %d %s", c.name, status, problem)
		}
	}
	if n := h.calls.Load(); n != 0 {
		t.Fatalf("handler ran %d times", n)
	}
	// The sender sees the receiver's refusal as a typed error, not retried.
	err := newSender(t, paymentsapi.WithSigningSecrets("partner-webhook", paymentsapi.StaticSecrets{[]byte("whsec_d3Jvbmcta2V5LTAxMjM0NTY3ODk=")})).
		SendPaymentSucceeded(context.Background(), url, event("evt_5"))
	var re *paymentsapi.ResponseError
	if !errors.As(err, &re) || re.StatusCode != 401 || re.Attempts != 1 {
		t.Fatalf("sender: %v", err)
	}
}

// An exact replay of an accepted webhook does not run the handler again.
func TestWebhookReplayDoesNotRunTheHandler(t *testing.T) {
	t.Parallel()
	h := &integrator{}
	url := startReceiver(t, h, nil)
	body := []byte(`{"id":"evt_6","type":"payment.succeeded","created_at":"2026-11-23T10:00:00Z","data":{"id":"pay_1","status":"succeeded","amount_minor":1,"currency":"EUR","customer_id":"c","created_at":"2026-11-23T10:00:00Z"}}`)
	first := signedRequest(t, url, "evt_6", body, webhookKey, time.Now())
	replay := first.Clone(context.Background())
	replay.Body = io.NopCloser(bytes.NewReader(body))
	if status, _ := send(t, first); status != http.StatusNoContent {
		t.Fatalf("first delivery: %d", status)
	}
	resp, err := http.DefaultClient.Do(replay)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	// The replay cache refuses it before the idempotency store is asked,
	// so the refusal holds whatever the store still remembers.
	if resp.StatusCode != http.StatusUnauthorized || h.calls.Load() != 1 {
		t.Fatalf("replay: %d, handler calls %d", resp.StatusCode, h.calls.Load())
	}
}
