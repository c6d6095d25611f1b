package runtime

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

var rtTestNow = time.Unix(1700000000, 0)

func fixedNow() time.Time { return rtTestNow }

// Test keys are at least MinKeyLength bytes.
const (
	testKeyNew = "k-new-0123456789abcdef"
	testKeyOld = "k-old-0123456789abcdef"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// signedReq builds a client request, signs it, and returns what a server
// receives (RequestURI set as on the wire).
func signedReq(t *testing.T, s Signer, method, url, body string) *http.Request {
	t.Helper()
	req := httptest.NewRequest(method, url, strings.NewReader(body))
	req.RequestURI = "" // a client request
	if err := s.Sign(context.Background(), req, []byte(body)); err != nil {
		t.Fatal(err)
	}
	r := req.Clone(req.Context())
	r.RequestURI = req.URL.RequestURI()
	return r
}

// The README's test vector, byte for byte: if this fails, the README and
// every partner implementation built from it disagree with the code.
func TestAccordCanonicalVector(t *testing.T) {
	const (
		key    = "accord-test-key-0123456789abcdef"
		method = "POST"
		target = "/v1/payments/pay_123/refunds?reason=duplicate"
		ts     = "1700000000"
		nonce  = "0123456789abcdef0123456789abcdef"
		body   = `{"amount_minor":500}`
		// Computed independently with Python's hashlib and hmac.
		canonical = "accord-v2\n1700000000\n0123456789abcdef0123456789abcdef\nPOST\n" +
			"/v1/payments/pay_123/refunds?reason=duplicate\n" +
			"d1ce19b2374ca5627e0a309e053d7b9c9ec1643fc81b721314c536409a6f69fa"
		signature = "fddafd52fa7da5033a32caf7c1a5cb6f9c20b3963773442bf332be46757eeacc"
	)
	if got := string(AccordCanonical(ts, nonce, method, target, []byte(body))); got != canonical {
		t.Fatalf("canonical string\n%q\nwant\n%q", got, canonical)
	}
	if got := hexMAC(key, canonical); got != signature {
		t.Fatalf("signature %s, want %s", got, signature)
	}
	r := httptest.NewRequest(method, "http://api.example.com"+target, strings.NewReader(body))
	r.Header.Set("X-Timestamp", ts)
	r.Header.Set("X-Nonce", nonce)
	r.Header.Set("X-Signature", signature)
	v := Verifier{Scheme: SignatureScheme{Name: "partner-hmac"}, Secrets: StaticSecrets{[]byte(key)}, Now: fixedNow}
	if _, err := v.Verify(context.Background(), r, []byte(body)); err != nil {
		t.Fatalf("the documented vector is rejected: %v", err)
	}
}

func TestAccordSignVerify(t *testing.T) {
	ctx := context.Background()
	scheme := SignatureScheme{Name: "partner-hmac", Format: FormatAccord}
	secrets := StaticSecrets{[]byte(testKeyNew), []byte(testKeyOld)}
	s := Signer{Scheme: scheme, Secrets: secrets, Now: fixedNow}
	body := `{"amount":100}`
	url := "http://api.example.com/v1/payments?expand=customer"
	r := signedReq(t, s, "POST", url, body)
	h := r.Header
	if h.Get("X-Timestamp") != "1700000000" || len(h.Get("X-Signature")) != 64 || len(h.Get("X-Nonce")) != 32 {
		t.Fatalf("headers %v", h)
	}
	// Independent computation of the documented format.
	want := hexMAC(testKeyNew, "accord-v2\n1700000000\n"+h.Get("X-Nonce")+"\nPOST\n/v1/payments?expand=customer\n"+sha256Hex(body))
	if h.Get("X-Signature") != want {
		t.Fatalf("signature %s, want %s", h.Get("X-Signature"), want)
	}
	v := Verifier{Scheme: scheme, Secrets: secrets, Now: fixedNow, Replay: replayAt(fixedNow)}
	got, err := v.Verify(ctx, r, []byte(body))
	if err != nil {
		t.Fatalf("valid signature rejected: %v", err)
	}
	if got.KeyID != rtKeyID([]byte(testKeyNew)) || !strings.HasPrefix(got.KeyID, "k_") || strings.Contains(got.KeyID, testKeyNew) {
		t.Fatalf("key id %q", got.KeyID)
	}
	if _, err := v.Verify(ctx, r, []byte(body)); !errors.Is(err, ErrSignatureReplayed) {
		t.Fatalf("replay: %v", err)
	}

	fresh := func() *http.Request { return signedReq(t, s, "POST", url, body) }
	edit := func(f func(r *http.Request)) *http.Request { r := fresh(); f(r); return r }
	bare := func(h http.Header) *http.Request {
		r := httptest.NewRequest("POST", url, nil)
		r.Header = h
		return r
	}
	noReplay := Verifier{Scheme: scheme, Secrets: secrets, Now: fixedNow}
	cases := []struct {
		name string
		r    *http.Request
		body string
		v    Verifier
		want error
	}{
		{"tampered body", fresh(), `{"amount":1000}`, noReplay, ErrSignatureInvalid},
		{"other path", edit(func(r *http.Request) { r.RequestURI = "/v1/refunds?expand=customer" }), body, noReplay, ErrSignatureInvalid},
		{"other query", edit(func(r *http.Request) { r.RequestURI = "/v1/payments?expand=all" }), body, noReplay, ErrSignatureInvalid},
		{"query dropped", edit(func(r *http.Request) { r.RequestURI = "/v1/payments" }), body, noReplay, ErrSignatureInvalid},
		{"other method", edit(func(r *http.Request) { r.Method = "PUT" }), body, noReplay, ErrSignatureInvalid},
		{"missing signature", bare(http.Header{"X-Timestamp": {"1700000000"}, "X-Nonce": {"n"}}), body, noReplay, ErrSignatureMissing},
		{"missing timestamp", bare(http.Header{"X-Signature": {"ab"}, "X-Nonce": {"n"}}), body, noReplay, ErrSignatureMissing},
		{"missing nonce", edit(func(r *http.Request) { r.Header.Del("X-Nonce") }), body, noReplay, ErrSignatureMissing},
		{"nonce swapped", edit(func(r *http.Request) { r.Header.Set("X-Nonce", "00") }), body, noReplay, ErrSignatureInvalid},
		{"non-hex signature", bare(http.Header{"X-Signature": {"zz"}, "X-Timestamp": {"1700000000"}, "X-Nonce": {"n"}}), body, noReplay, ErrSignatureInvalid},
		{"malformed timestamp", bare(http.Header{"X-Signature": {"ab"}, "X-Timestamp": {"yesterday"}, "X-Nonce": {"n"}}), body, noReplay, ErrSignatureInvalid},
		{"stale", fresh(), body, Verifier{Scheme: scheme, Secrets: secrets, Now: func() time.Time { return rtTestNow.Add(6 * time.Minute) }}, ErrSignatureStale},
		{"future", fresh(), body, Verifier{Scheme: scheme, Secrets: secrets, Now: func() time.Time { return rtTestNow.Add(-6 * time.Minute) }}, ErrSignatureStale},
		{"wrong key", fresh(), body, Verifier{Scheme: scheme, Secrets: StaticSecrets{[]byte("other-key-0123456789")}, Now: fixedNow}, ErrSignatureInvalid},
		{"within tolerance", fresh(), body, Verifier{Scheme: scheme, Secrets: secrets, Now: func() time.Time { return rtTestNow.Add(4 * time.Minute) }}, nil},
	}
	for _, c := range cases {
		_, err := c.v.Verify(ctx, c.r, []byte(c.body))
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

// The server checks the target as the client sent it, not r.URL after a
// router rewrote it: behind http.StripPrefix an honest request must pass.
func TestServerTargetAsSent(t *testing.T) {
	scheme := SignatureScheme{Name: "s"}
	secrets := StaticSecrets{[]byte(testKeyNew)}
	s := Signer{Scheme: scheme, Secrets: secrets, Now: fixedNow}
	v := Verifier{Scheme: scheme, Secrets: secrets, Now: fixedNow}
	verdict := errors.New("handler not reached")
	h := http.StripPrefix("/api", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/x" {
			t.Errorf("prefix not stripped: %q", r.URL.Path)
		}
		_, verdict = v.Verify(r.Context(), r, nil)
	}))
	h.ServeHTTP(httptest.NewRecorder(), signedReq(t, s, "GET", "http://h/api/v1/x?a=%2F", ""))
	if verdict != nil {
		t.Fatalf("behind StripPrefix: %v", verdict)
	}
	for _, c := range []struct{ requestURI, want string }{
		{"/api/v1/x?a=%2F", "/api/v1/x?a=%2F"},
		{"http://h/api/v1/x?a=%2F", "/api/v1/x?a=%2F"}, // absolute form
		{"", "/api/v1/x?a=%2F"},                        // a handler called directly
	} {
		r := httptest.NewRequest("GET", "http://h/api/v1/x?a=%2F", nil)
		r.RequestURI = c.requestURI
		if got := rtServerTarget(r); got != c.want {
			t.Errorf("RequestURI %q: target %q, want %q", c.requestURI, got, c.want)
		}
	}
}

// Keys under 16 bytes, "whsec_" alone above all, are refused by every
// format when signing, verifying and checking at construction.
func TestShortKeysRefused(t *testing.T) {
	ctx := context.Background()
	short := map[string][]byte{
		"empty":           {},
		"15 bytes":        []byte("0123456789abcde"),
		"whsec_ only":     []byte("whsec_"),
		"whsec_ 15 bytes": []byte("whsec_" + b64("0123456789abcde")),
	}
	for _, f := range []SignatureFormat{FormatAccord, FormatStandardWebhooks, FormatHTTPMessageSignatures} {
		for name, key := range short {
			if f != FormatStandardWebhooks && name == "whsec_ 15 bytes" {
				continue // that text is 26 bytes: a valid key for formats that take keys as given
			}
			scheme := SignatureScheme{Name: "s", Format: f}
			secrets := StaticSecrets{[]byte(testKeyNew), key}
			if err := CheckSecrets(scheme, secrets); !errors.Is(err, ErrKeyTooShort) || !strings.Contains(err.Error(), "key 2") {
				t.Errorf("%s %s: check %v", f, name, err)
			}
			if err := (Signer{Scheme: scheme, Secrets: StaticSecrets{key}}).Check(); !errors.Is(err, ErrKeyTooShort) {
				t.Errorf("%s %s: signer check %v", f, name, err)
			}
			req := httptest.NewRequest("POST", "http://h/x", nil)
			if err := (Signer{Scheme: scheme, Secrets: StaticSecrets{key}}).Sign(ctx, req, nil); !errors.Is(err, ErrKeyTooShort) {
				t.Errorf("%s %s: sign %v", f, name, err)
			}
			// A request signed with the good key is still refused: the
			// verifier must not quietly skip the bad one.
			r := signedReq(t, Signer{Scheme: scheme, Secrets: secrets, Now: fixedNow}, "POST", "http://h/x", "{}")
			if _, err := (Verifier{Scheme: scheme, Secrets: secrets, Now: fixedNow}).Verify(ctx, r, []byte("{}")); !errors.Is(err, ErrKeyTooShort) {
				t.Errorf("%s %s: verify %v", f, name, err)
			}
		}
		if err := CheckSecrets(SignatureScheme{Name: "s", Format: f}, StaticSecrets{[]byte("0123456789abcdef")}); err != nil {
			t.Errorf("%s: a 16-byte key is refused: %v", f, err)
		}
	}
	if err := CheckSecrets(SignatureScheme{Name: "s"}, &rotatingSecrets{keys: [][]byte{nil}}); err != nil {
		t.Errorf("dynamic providers are checked on use, not at construction: %v", err)
	}
}

// A forged Standard Webhooks message MACed with the empty key (what
// "whsec_" decoded to) never passes.
func TestEmptyKeyForgeryRefused(t *testing.T) {
	scheme := SignatureScheme{Name: "sw", Format: FormatStandardWebhooks}
	r := httptest.NewRequest("POST", "http://h/hook", nil)
	body := []byte(`{"type":"payment.succeeded","amount":1000000}`)
	r.Header.Set("Webhook-Id", "msg_forged")
	r.Header.Set("Webhook-Timestamp", "1700000000")
	r.Header.Set("Webhook-Signature", "v1,"+b64(string(rtMAC(nil, []byte("msg_forged"), []byte("1700000000"), body))))
	_, err := (Verifier{Scheme: scheme, Secrets: StaticSecrets{[]byte("whsec_")}, Now: fixedNow}).Verify(context.Background(), r, body)
	if err == nil || !errors.Is(err, ErrKeyTooShort) {
		t.Fatalf("forgery with the empty key: %v", err)
	}
}

// Two honest requests signed in the same second with the same body (a quick
// retry, or two equal payments) must both pass replay detection: only a
// byte-identical resend is a replay.
func TestAccordSameSecondIsNotAReplay(t *testing.T) {
	ctx := context.Background()
	scheme := SignatureScheme{Name: "partner-hmac", Format: FormatAccord}
	secrets := StaticSecrets{[]byte(testKeyNew)}
	s := Signer{Scheme: scheme, Secrets: secrets, Now: fixedNow}
	v := Verifier{Scheme: scheme, Secrets: secrets, Now: fixedNow, Replay: replayAt(fixedNow)}
	body := `{"amount_minor":1000}`
	var first *http.Request
	for i := 0; i < 3; i++ {
		r := signedReq(t, s, "POST", "http://h/v1/payments", body)
		if _, err := v.Verify(ctx, r, []byte(body)); err != nil {
			t.Fatalf("request %d signed in the same second rejected: %v", i, err)
		}
		if first == nil {
			first = r
		}
	}
	if _, err := v.Verify(ctx, first, []byte(body)); !errors.Is(err, ErrSignatureReplayed) {
		t.Fatalf("an exact resend must still be a replay: %v", err)
	}
}

func TestRotatedKeyAccepted(t *testing.T) {
	scheme := SignatureScheme{Name: "s"}
	// Sender still signs with the old key; receiver already rotated.
	r := signedReq(t, Signer{Scheme: scheme, Secrets: StaticSecrets{[]byte(testKeyOld)}, Now: fixedNow}, "POST", "http://h/x", "x")
	v := Verifier{Scheme: scheme, Secrets: StaticSecrets{[]byte(testKeyNew), []byte(testKeyOld)}, Now: fixedNow}
	got, err := v.Verify(context.Background(), r, []byte("x"))
	if err != nil {
		t.Fatalf("old key rejected during rotation: %v", err)
	}
	if got.KeyID != rtKeyID([]byte(testKeyOld)) {
		t.Fatalf("key id %q names the wrong key", got.KeyID)
	}
}

// Published test vector from the Standard Webhooks reference libraries,
// re-computed independently with Python's hmac module.
func TestStandardWebhooksVector(t *testing.T) {
	ctx := context.Background()
	secret := StaticSecrets{[]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")}
	scheme := SignatureScheme{Name: "sw", Format: FormatStandardWebhooks}
	ts := time.Unix(1614265330, 0)
	now := func() time.Time { return ts }
	body := `{"test": 2432232314}`
	req := httptest.NewRequest("POST", "http://h/hook", strings.NewReader(body))
	req.Header.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	if err := (Signer{Scheme: scheme, Secrets: secret, Now: now}).Sign(ctx, req, []byte(body)); err != nil {
		t.Fatal(err)
	}
	h := req.Header
	if got := h.Get("webhook-signature"); got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("signature %q", got)
	}
	if h.Get("webhook-timestamp") != "1614265330" {
		t.Fatalf("timestamp %q", h.Get("webhook-timestamp"))
	}
	v := Verifier{Scheme: scheme, Secrets: secret, Now: now, Replay: replayAt(now)}
	if _, err := v.Verify(ctx, req, []byte(body)); err != nil {
		t.Fatalf("vector rejected: %v", err)
	}
	if _, err := v.Verify(ctx, req, []byte(body)); !errors.Is(err, ErrSignatureReplayed) {
		t.Fatalf("replay of same id+timestamp: %v", err)
	}
	// A sender's retry re-signs the same webhook-id with a fresh timestamp.
	later := func() time.Time { return ts.Add(10 * time.Second) }
	req2 := httptest.NewRequest("POST", "http://h/hook", nil)
	req2.Header.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	if err := (Signer{Scheme: scheme, Secrets: secret, Now: later}).Sign(ctx, req2, []byte(body)); err != nil {
		t.Fatal(err)
	}
	v.Now = later
	if _, err := v.Verify(ctx, req2, []byte(body)); err != nil {
		t.Fatalf("legitimate retry with fresh timestamp rejected: %v", err)
	}
}

func TestStandardWebhooksMultipleSignatures(t *testing.T) {
	ctx := context.Background()
	scheme := SignatureScheme{Name: "sw", Format: FormatStandardWebhooks}
	body := []byte(`{"a":1}`)
	r := signedReq(t, Signer{Scheme: scheme, Secrets: StaticSecrets{[]byte("whsec_" + b64("second-key-0123456789"))}, Now: fixedNow}, "POST", "http://h/hook", string(body))
	h := r.Header
	if !strings.HasPrefix(h.Get("webhook-id"), "msg_") {
		t.Fatalf("generated id %q", h.Get("webhook-id"))
	}
	good := h.Get("webhook-signature")
	h.Set("webhook-signature", "v1,"+b64("nonsense-signature-bytes-000000")+" v1a,xyz "+good)
	// Receiver knows the key raw (not whsec_-encoded) plus an unrelated one.
	v := Verifier{Scheme: scheme, Secrets: StaticSecrets{[]byte("first-key-0123456789"), []byte("second-key-0123456789")}, Now: fixedNow}
	if _, err := v.Verify(ctx, r, body); err != nil {
		t.Fatalf("rejected: %v", err)
	}
	h.Set("webhook-signature", "v1,"+b64("nonsense-signature-bytes-000000"))
	if _, err := v.Verify(ctx, r, body); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("no matching signature: %v", err)
	}
	h.Del("webhook-id")
	if _, err := v.Verify(ctx, r, body); !errors.Is(err, ErrSignatureMissing) {
		t.Fatalf("missing id: %v", err)
	}
}

type rotatingSecrets struct {
	mu   sync.Mutex
	keys [][]byte
}

func (r *rotatingSecrets) SigningKey(context.Context) ([]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys[0], nil
}

func (r *rotatingSecrets) VerificationKeys(context.Context) ([][]byte, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.keys, nil
}

func TestSecretProviderRotationWithoutRestart(t *testing.T) {
	ctx := context.Background()
	sec := &rotatingSecrets{keys: [][]byte{[]byte(testKeyOld)}}
	s := Signer{Scheme: SignatureScheme{Name: "s"}, Secrets: sec, Now: fixedNow}
	v := Verifier{Scheme: SignatureScheme{Name: "s"}, Secrets: sec, Now: fixedNow}
	r := signedReq(t, s, "GET", "http://h/x", "")
	sec.mu.Lock()
	sec.keys = [][]byte{[]byte(testKeyNew)}
	sec.mu.Unlock()
	if _, err := v.Verify(ctx, r, nil); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("retired key still accepted: %v", err)
	}
	r = signedReq(t, s, "GET", "http://h/x", "")
	if _, err := v.Verify(ctx, r, nil); err != nil {
		t.Fatalf("new key rejected: %v", err)
	}
	// A provider that starts returning a short key is a configuration
	// error on use, never an HMAC with that key.
	sec.mu.Lock()
	sec.keys = [][]byte{[]byte("short")}
	sec.mu.Unlock()
	if err := s.Sign(ctx, httptest.NewRequest("GET", "http://h/x", nil), nil); !errors.Is(err, ErrKeyTooShort) {
		t.Fatalf("short dynamic key signed: %v", err)
	}
	if _, err := v.Verify(ctx, r, nil); !errors.Is(err, ErrKeyTooShort) {
		t.Fatalf("short dynamic key verified: %v", err)
	}
}

func TestSignerErrors(t *testing.T) {
	ctx := context.Background()
	req := func() *http.Request { return httptest.NewRequest("POST", "http://h/x", nil) }
	if err := (Signer{Scheme: SignatureScheme{Name: "s"}}).Sign(ctx, req(), nil); err == nil {
		t.Fatal("no provider accepted")
	}
	if err := (Signer{Scheme: SignatureScheme{Name: "s"}, Secrets: StaticSecrets{}}).Sign(ctx, req(), nil); err == nil {
		t.Fatal("empty key set accepted")
	}
	bad := Signer{Scheme: SignatureScheme{Name: "s", Format: FormatStandardWebhooks}, Secrets: StaticSecrets{[]byte("whsec_!!!")}}
	if err := bad.Sign(ctx, req(), nil); err == nil {
		t.Fatal("undecodable whsec_ accepted")
	}
	if err := bad.Check(); err == nil || !strings.Contains(err.Error(), "decode whsec_") {
		t.Fatalf("undecodable whsec_ passes the construction check: %v", err)
	}
}

// replayAt is a replay cache on the test's clock; in production both use the
// wall clock.
func replayAt(now func() time.Time) *MemoryReplayCache {
	c := NewMemoryReplayCache(10)
	c.now = now
	return c
}
