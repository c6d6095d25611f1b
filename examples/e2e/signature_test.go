package e2e

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-dev/accord/examples/payments/paymentsapi"
)

// rotatingSecrets is a SecretProvider whose keys change while the server
// and client keep running: signing uses the first, verification all.
type rotatingSecrets struct {
	mu   sync.Mutex
	keys [][]byte
}

func newRotating(keys ...string) *rotatingSecrets {
	r := &rotatingSecrets{}
	r.set(keys...)
	return r
}

func (r *rotatingSecrets) set(keys ...string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.keys = nil
	for _, k := range keys {
		r.keys = append(r.keys, []byte(k))
	}
}

func (r *rotatingSecrets) SigningKey(context.Context) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys[0], nil
}

func (r *rotatingSecrets) VerificationKeys(context.Context) ([][]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.keys), nil
}

// tamper changes the body after the client signed it, as a proxy might.
type tamper struct{ base http.RoundTripper }

func (t tamper) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	_ = r.Body.Close()
	b = bytes.Replace(b, []byte(`"amount_minor":100`), []byte(`"amount_minor":100000`), 1)
	r2 := r.Clone(r.Context())
	r2.Body, r2.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
	return t.base.RoundTrip(r2)
}

// capture keeps a copy of the last request sent, signature included.
type capture struct {
	base   http.RoundTripper
	mu     sync.Mutex
	url    string
	header http.Header
	body   []byte
}

func (c *capture) RoundTrip(r *http.Request) (*http.Response, error) {
	b, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	_ = r.Body.Close()
	c.mu.Lock()
	c.url, c.header, c.body = r.URL.String(), r.Header.Clone(), b
	c.mu.Unlock()
	r2 := r.Clone(r.Context())
	r2.Body = io.NopCloser(bytes.NewReader(b))
	return c.base.RoundTrip(r2)
}

// replay sends the captured request again, byte for byte.
func (c *capture) replay(t *testing.T) *http.Response {
	t.Helper()
	c.mu.Lock()
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(c.body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = c.header.Clone()
	c.mu.Unlock()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { resp.Body.Close() })
	return resp
}

func transport() http.RoundTripper { return http.DefaultTransport.(*http.Transport).Clone() }

// wantRejected checks a signed call was refused with 401 before the handler.
func wantRejected(t *testing.T, resp *paymentsapi.Payment, err error, prov *provider, reason string) {
	t.Helper()
	var oe *paymentsapi.OperationError[paymentsapi.CreatePaymentResponse]
	if !errors.As(err, &oe) || oe.StatusCode != http.StatusUnauthorized {
		t.Fatalf("want 401, got %v", err)
	}
	if oe.Problem == nil || !strings.Contains(oe.Problem.Detail, reason) || resp != nil || oe.Response == nil || oe.Response.ApplicationproblemJSON401 == nil {
		t.Fatalf("problem %+v, want a typed 401 saying %q", oe.Problem, reason)
	}
	if oe.Attempts != 1 || prov.runs.Load() != 0 {
		t.Fatalf("attempts %d, handler runs %d", oe.Attempts, prov.runs.Load())
	}
}

func TestSignatureVerification(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	scheme, ok := paymentsapi.SignatureSchemeByName("partner-hmac")
	if !ok {
		t.Fatal("the contract's partner-hmac scheme is missing")
	}

	t.Run("tampered body", func(t *testing.T) {
		prov := newProvider()
		c := newClient(t, startPayments(t, prov).URL, paymentsapi.WithHTTPClient(&http.Client{Transport: tamper{transport()}}))
		resp, err := c.CreatePayment(ctx, nil, paymentRequest(100))
		wantRejected(t, resp, err, prov, "no signature matches")
	})
	t.Run("stale timestamp", func(t *testing.T) {
		prov := newProvider()
		tenMinutesAgo := func() time.Time { return time.Now().Add(-10 * time.Minute) }
		c := newClient(t, startPayments(t, prov).URL, paymentsapi.WithSigner("partner-hmac",
			paymentsapi.Signer{Scheme: scheme, Secrets: paymentsapi.StaticSecrets{[]byte(partnerKey)}, Now: tenMinutesAgo}))
		resp, err := c.CreatePayment(ctx, nil, paymentRequest(100))
		wantRejected(t, resp, err, prov, "outside tolerance")
	})
	t.Run("wrong key", func(t *testing.T) {
		prov := newProvider()
		c := newClient(t, startPayments(t, prov).URL, paymentsapi.WithSigningSecrets("partner-hmac", paymentsapi.StaticSecrets{[]byte("not-the-key-0123456789")}))
		resp, err := c.CreatePayment(ctx, nil, paymentRequest(100))
		wantRejected(t, resp, err, prov, "no signature matches")
	})
	t.Run("replay", func(t *testing.T) {
		prov := newProvider()
		tap := &capture{base: transport()}
		c := newClient(t, startPayments(t, prov).URL, paymentsapi.WithHTTPClient(&http.Client{Transport: tap}))
		if _, err := c.CreatePayment(ctx, nil, paymentRequest(100)); err != nil {
			t.Fatal(err)
		}
		resp := tap.replay(t)
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("Content-Type") != "application/problem+json" ||
			!bytes.Contains(body, []byte("replayed")) || prov.runs.Load() != 1 {
			t.Fatalf("replay answered %d %s, handler runs %d", resp.StatusCode, body, prov.runs.Load())
		}
	})
	t.Run("missing signature", func(t *testing.T) {
		prov := newProvider()
		srv := startPayments(t, prov)
		c, err := paymentsapi.NewClient(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		// The client refuses to send a call its contract says must be signed...
		if _, err := c.CreatePayment(ctx, nil, paymentRequest(100)); err == nil || !strings.Contains(err.Error(), "no signer") {
			t.Fatalf("want a missing-signer error, got %v", err)
		}
		// ...and the server refuses one that arrives unsigned.
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/payments", strings.NewReader(`{"amount_minor":1,"currency":"EUR","customer_id":"c"}`))
		req.Header.Set("Authorization", "Bearer "+testBearerToken)
		req.Header.Set("Idempotency-Key", "unsigned-1")
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != http.StatusUnauthorized || !bytes.Contains(body, []byte("signature missing")) || prov.runs.Load() != 0 {
			t.Fatalf("unsigned request answered %d %s", resp.StatusCode, body)
		}
	})
	t.Run("rotated key", func(t *testing.T) {
		prov := newProvider()
		serverKeys := newRotating("key-2026-0123456789abc", "key-2025-0123456789abc") // the new key signs, both verify
		srv := startPayments(t, prov, paymentsapi.WithVerificationSecrets("partner-hmac", serverKeys))
		oldClient := newClient(t, srv.URL, paymentsapi.WithSigningSecrets("partner-hmac", paymentsapi.StaticSecrets{[]byte("key-2025-0123456789abc")}))
		current := newClient(t, srv.URL, paymentsapi.WithSigningSecrets("partner-hmac", paymentsapi.StaticSecrets{[]byte("key-2026-0123456789abc")}))
		if _, err := oldClient.CreatePayment(ctx, nil, paymentRequest(1)); err != nil {
			t.Fatalf("old key during rotation: %v", err)
		}
		if _, err := current.CreatePayment(ctx, nil, paymentRequest(2)); err != nil {
			t.Fatalf("new key: %v", err)
		}
		serverKeys.set("key-2026-0123456789abc") // rotation ends, without a restart
		_, err := oldClient.CreatePayment(ctx, nil, paymentRequest(3))
		if re := asResponseError(t, err); re.StatusCode != http.StatusUnauthorized {
			t.Fatalf("retired key: %v", err)
		}
		if _, err := current.CreatePayment(ctx, nil, paymentRequest(4)); err != nil || prov.runs.Load() != 3 {
			t.Fatalf("new key after rotation: %v, runs %d", err, prov.runs.Load())
		}
	})
}
