package e2e

// The signature attack suite (issue 7, items 1, 2, 4, 5): each test is an
// attack that succeeded against the generated code before the fix.

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-dev/accord/examples/payments/paymentsapi"
)

// hijack is a man in the middle: it keeps the signed requests a client
// sends and never delivers them, so the attacker can use them elsewhere
// without the replay cache having seen them.
type hijack struct {
	mu   sync.Mutex
	reqs []hijacked
}

type hijacked struct {
	header http.Header
	body   []byte
}

func (h *hijack) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	_ = r.Body.Close()
	h.mu.Lock()
	h.reqs = append(h.reqs, hijacked{header: r.Header.Clone(), body: b})
	h.mu.Unlock()
	return nil, errors.New("connection reset (by the attacker)")
}

// refund has the client sign one CreateRefund for paymentID and returns
// what the attacker captured.
func (h *hijack) refund(t *testing.T, sign paymentsapi.ClientOption, paymentID string) hijacked {
	t.Helper()
	c := newClient(t, "http://127.0.0.1:1", sign, paymentsapi.WithHTTPClient(&http.Client{Transport: h}))
	_, _ = c.CreateRefund(context.Background(), paymentID, nil, paymentsapi.CreateRefundJSONRequestBody{AmountMinor: 4200}, paymentsapi.WithRetries(0))
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.reqs) == 0 {
		t.Fatal("the client sent nothing")
	}
	return h.reqs[len(h.reqs)-1]
}

func (c hijacked) send(t *testing.T, method, url string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = c.header.Clone()
	return send(t, req)
}

// (a) A signed refund for payment A, held back by a man in the middle,
// was accepted at payment B's refund URL (201): the signature covered
// only timestamp, nonce and body. Now it binds method and target.
func TestAttackSignatureReboundToAnotherResource(t *testing.T) {
	t.Parallel()
	partner := paymentsapi.WithSigningSecrets("partner-hmac", paymentsapi.StaticSecrets{[]byte(partnerKey)})
	prov := newProvider()
	srv := startPayments(t, prov)
	// Control: delivered where it was meant to go, the request is fine.
	if status, body := (&hijack{}).refund(t, partner, "pay_AAAAAAAA").send(t, http.MethodPost, srv.URL+"/v1/payments/pay_AAAAAAAA/refunds"); status != http.StatusCreated {
		t.Fatalf("the captured request itself is refused: %d %s", status, body)
	}
	for _, c := range []struct{ name, url string }{
		{"another payment", "/v1/payments/pay_BBBBBBBB/refunds"},
		{"a changed query", "/v1/payments/pay_AAAAAAAA/refunds?reason=fraudulent"},
		{"another escaping of the same path", "/v1/payments/pay%5FA/refunds"},
	} {
		status, body := (&hijack{}).refund(t, partner, "pay_AAAAAAAA").send(t, http.MethodPost, srv.URL+c.url)
		if status != http.StatusUnauthorized || !strings.Contains(body, "no signature matches") {
			t.Errorf("%s: %d %s", c.name, status, body)
		}
	}

	// A method change needs an endpoint serving more than one method: the
	// runtime's chain for createRefund behind a method-agnostic route.
	op, _ := paymentsapi.OperationByID("createRefund")
	op.Security = nil // signatures alone are under test on this hand-built chain
	settings := &paymentsapi.ServerSettings{Logger: quietLogger(), Verifiers: map[string]paymentsapi.Verifier{
		"partner-hmac": {Scheme: mustScheme(t, "partner-hmac"), Secrets: paymentsapi.StaticSecrets{[]byte(partnerKey)}}}}
	mux := http.NewServeMux()
	mux.Handle("/v1/payments/{payment_id}/refunds", paymentsapi.Chain(op, settings, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusCreated)
	})))
	legacy := serve(t, mux)
	if status, body := (&hijack{}).refund(t, partner, "pay_AAAAAAAA").send(t, http.MethodPost, legacy.URL+"/v1/payments/pay_AAAAAAAA/refunds"); status != http.StatusCreated {
		t.Fatalf("control on the legacy endpoint: %d %s", status, body)
	}
	if status, body := (&hijack{}).refund(t, partner, "pay_AAAAAAAA").send(t, http.MethodPut, legacy.URL+"/v1/payments/pay_AAAAAAAA/refunds"); status != http.StatusUnauthorized {
		t.Errorf("a changed method: %d %s", status, body)
	}
}

func mustScheme(t *testing.T, name string) paymentsapi.SignatureScheme {
	t.Helper()
	s, ok := paymentsapi.SignatureSchemeByName(name)
	if !ok {
		t.Fatalf("the contract has no %s scheme", name)
	}
	return s
}

// (b) RFC 9421 http-message-signatures end to end: the generated client
// signs, the generated server verifies, and the same attacks fail.
func TestAttackHTTPMessageSignaturesEndToEnd(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	scheme := paymentsapi.SignatureScheme{Name: "partner-hmac", Format: paymentsapi.FormatHTTPMessageSignatures}
	secrets := paymentsapi.StaticSecrets{[]byte(partnerKey)}
	sign := paymentsapi.WithSigner("partner-hmac", paymentsapi.Signer{Scheme: scheme, Secrets: secrets})
	prov := newProvider()
	srv := startPayments(t, prov, paymentsapi.WithVerifier("partner-hmac",
		paymentsapi.Verifier{Scheme: scheme, Secrets: secrets, Replay: paymentsapi.NewMemoryReplayCache(0)}))

	tap := &capture{base: transport()}
	c := newClient(t, srv.URL, sign, paymentsapi.WithHTTPClient(&http.Client{Transport: tap}))
	resp, err := c.CreatePayment(ctx, nil, paymentRequest(100))
	if err != nil || resp == nil {
		t.Fatalf("signed call: %v", err)
	}
	h := tap.header
	if !strings.HasPrefix(h.Get("Signature-Input"), `sig1=("@method" "@path" "@query" "content-digest");created=`) ||
		!strings.HasPrefix(h.Get("Signature"), "sig1=:") || !strings.HasPrefix(h.Get("Content-Digest"), "sha-256=:") || h.Get("X-Signature") != "" {
		t.Fatalf("RFC 9421 headers: %v", h)
	}
	if r := tap.replay(t); r.StatusCode != http.StatusUnauthorized || prov.runs.Load() != 1 {
		t.Fatalf("replay answered %d, handler runs %d", r.StatusCode, prov.runs.Load())
	}
	captured := (&hijack{}).refund(t, sign, "pay_AAAAAAAA")
	if status, body := captured.send(t, http.MethodPost, srv.URL+"/v1/payments/pay_BBBBBBBB/refunds"); status != http.StatusUnauthorized {
		t.Errorf("rebound to another payment: %d %s", status, body)
	}
	tampered := newClient(t, srv.URL, sign, paymentsapi.WithHTTPClient(&http.Client{Transport: tamper{transport()}}))
	if _, err := tampered.CreatePayment(ctx, nil, paymentRequest(100)); asResponseError(t, err).StatusCode != http.StatusUnauthorized {
		t.Errorf("tampered body: %v", err)
	}
	if status, body := (&hijack{}).refund(t, sign, "pay_AAAAAAAA").send(t, http.MethodPost, srv.URL+"/v1/payments/pay_AAAAAAAA/refunds"); status != http.StatusCreated {
		t.Errorf("an honest refund: %d %s", status, body)
	}
}

// (c) A Standard Webhooks secret of just "whsec_" decoded to an empty
// key, and a webhook forged with that key passed. Short keys are now
// refused when the client is built, and a receiver holding one refuses
// everything (500, logged) rather than verifying with it.
func TestAttackShortKeysRefused(t *testing.T) {
	t.Parallel()
	for name, key := range map[string]string{"whsec_ alone": "whsec_", "15 bytes": "0123456789abcde"} {
		_, err := paymentsapi.NewClient("http://127.0.0.1:1", paymentsapi.WithSigningSecrets("partner-hmac", paymentsapi.StaticSecrets{[]byte(key)}))
		if !errors.Is(err, paymentsapi.ErrKeyTooShort) || !strings.Contains(err.Error(), `"partner-hmac"`) {
			t.Errorf("NewClient with %s: %v", name, err)
		}
		_, err = paymentsapi.NewWebhookSender(paymentsapi.WithSigningSecrets("partner-webhook", paymentsapi.StaticSecrets{[]byte(key)}))
		if !errors.Is(err, paymentsapi.ErrKeyTooShort) {
			t.Errorf("NewWebhookSender with %s: %v", name, err)
		}
	}

	body := []byte(`{"id":"evt_forged","type":"payment.succeeded","created_at":"2026-11-23T10:00:00Z","data":{"id":"pay_1","status":"succeeded","amount_minor":100000000,"currency":"EUR","customer_id":"c","created_at":"2026-11-23T10:00:00Z"}}`)
	forge := func(url string) *http.Request {
		// The attacker MACs with the empty key, exactly as the broken
		// receiver did after decoding "whsec_".
		req := signedRequest(t, url, "evt_forged", body, "whsec_"+base64.StdEncoding.EncodeToString([]byte("a-throwaway-key!")), time.Now())
		ts := req.Header.Get("Webhook-Timestamp")
		req.Header.Set("Webhook-Signature", "v1,"+base64.StdEncoding.EncodeToString(hmacSHA256(nil, "evt_forged."+ts+"."+string(body))))
		return req
	}
	var logs bytes.Buffer
	var mu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{mu: &mu, w: &logs}, nil))
	h := &integrator{}
	misconfigured := serve(t, paymentsapi.NewWebhookReceiver(h, paymentsapi.WithLogger(logger),
		paymentsapi.WithVerificationSecrets("partner-webhook", paymentsapi.StaticSecrets{[]byte("whsec_")}))).URL + "/payment.succeeded"
	if status, problem := send(t, forge(misconfigured)); status != http.StatusInternalServerError || !strings.Contains(problem, "misconfigured") {
		t.Errorf("forged webhook at a receiver holding whsec_: %d %s", status, problem)
	}
	mu.Lock()
	logged := logs.String()
	mu.Unlock()
	if !strings.Contains(logged, "signature verification misconfigured") || !strings.Contains(logged, "shorter than 16 bytes") {
		t.Errorf("no log line says why: %s", logged)
	}
	if status, _ := send(t, forge(startReceiver(t, h, nil))); status != http.StatusUnauthorized {
		t.Errorf("forged webhook at a correctly keyed receiver: %d", status)
	}
	if n := h.calls.Load(); n != 0 {
		t.Fatalf("a forged webhook reached the handler %d times", n)
	}
}

// (d) A redirect to another host (here another port of 127.0.0.1) got
// X-Signature, X-Nonce and Idempotency-Key. A signed call is no longer
// followed there; an unsigned one arrives without credentials or key.
func TestAttackRedirectToAnotherOriginGetsNoCredentials(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var got []http.Header
	evil := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		got = append(got, r.Header.Clone())
		mu.Unlock()
		paymentsapi.WriteProblem(w, r, paymentsapi.AccordProblemDetails{Status: http.StatusNotFound})
	}))
	moved := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, evil.URL+r.URL.Path, http.StatusTemporaryRedirect)
	}))
	c := newClient(t, moved.URL, paymentsapi.WithRequestEditor(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer partner-token")
		return nil
	}))
	_, err := c.CreatePayment(context.Background(), nil, paymentRequest(100))
	if re := asResponseError(t, err); re.StatusCode != http.StatusTemporaryRedirect || re.Header.Get("Location") == "" {
		t.Fatalf("signed call: want the 307 back, got %v", err)
	}
	mu.Lock()
	n := len(got)
	mu.Unlock()
	if n != 0 {
		t.Fatalf("the signed call was followed to the other origin (%d requests)", n)
	}
	_, _ = c.GetPayment(context.Background(), "pay_1", paymentsapi.WithIdempotencyKey("key-1"))
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 {
		t.Fatalf("unsigned call: the other origin got %d requests", len(got))
	}
	for _, name := range []string{"X-Signature", "X-Nonce", "X-Timestamp", "Idempotency-Key", "Authorization"} {
		if v := got[0].Get(name); v != "" {
			t.Errorf("%s reached the other origin: %q", name, v)
		}
	}
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
