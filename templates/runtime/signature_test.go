package runtime

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

var rtTestNow = time.Unix(1700000000, 0)

func fixedNow() time.Time { return rtTestNow }

func TestAccordSignVerify(t *testing.T) {
	ctx := context.Background()
	scheme := SignatureScheme{Name: "partner-hmac", Format: FormatAccord}
	secrets := StaticSecrets{[]byte("k-new"), []byte("k-old")}
	s := Signer{Scheme: scheme, Secrets: secrets, Now: fixedNow}
	body := []byte(`{"amount":100}`)
	h := http.Header{}
	if err := s.Sign(ctx, h, body); err != nil {
		t.Fatal(err)
	}
	if h.Get("X-Timestamp") != "1700000000" || len(h.Get("X-Signature")) != 64 {
		t.Fatalf("headers %v", h)
	}
	// Independent computation of the documented format.
	if len(h.Get("X-Nonce")) != 32 {
		t.Fatalf("nonce %q", h.Get("X-Nonce"))
	}
	if want := hexMAC("k-new", "1700000000."+h.Get("X-Nonce")+"."+string(body)); h.Get("X-Signature") != want {
		t.Fatalf("signature %s, want %s", h.Get("X-Signature"), want)
	}
	v := Verifier{Scheme: scheme, Secrets: secrets, Now: fixedNow, Replay: replayAt(fixedNow)}
	if err := v.Verify(ctx, h, body); err != nil {
		t.Fatalf("valid signature rejected: %v", err)
	}
	if err := v.Verify(ctx, h, body); !errors.Is(err, ErrSignatureReplayed) {
		t.Fatalf("replay: %v", err)
	}

	fresh := func() http.Header {
		h := http.Header{}
		if err := s.Sign(ctx, h, body); err != nil {
			t.Fatal(err)
		}
		return h
	}
	noReplay := Verifier{Scheme: scheme, Secrets: secrets, Now: fixedNow}
	cases := []struct {
		name string
		h    http.Header
		body []byte
		v    Verifier
		want error
	}{
		{"tampered body", fresh(), []byte(`{"amount":1000}`), noReplay, ErrSignatureInvalid},
		{"missing signature", http.Header{"X-Timestamp": {"1700000000"}, "X-Nonce": {"n"}}, body, noReplay, ErrSignatureMissing},
		{"missing timestamp", http.Header{"X-Signature": {"ab"}, "X-Nonce": {"n"}}, body, noReplay, ErrSignatureMissing},
		{"missing nonce", func() http.Header { h := fresh(); h.Del("X-Nonce"); return h }(), body, noReplay, ErrSignatureMissing},
		{"nonce swapped", func() http.Header { h := fresh(); h.Set("X-Nonce", "00"); return h }(), body, noReplay, ErrSignatureInvalid},
		{"non-hex signature", http.Header{"X-Signature": {"zz"}, "X-Timestamp": {"1700000000"}, "X-Nonce": {"n"}}, body, noReplay, ErrSignatureInvalid},
		{"malformed timestamp", http.Header{"X-Signature": {"ab"}, "X-Timestamp": {"yesterday"}, "X-Nonce": {"n"}}, body, noReplay, ErrSignatureInvalid},
		{"stale", fresh(), body, Verifier{Scheme: scheme, Secrets: secrets, Now: func() time.Time { return rtTestNow.Add(6 * time.Minute) }}, ErrSignatureStale},
		{"future", fresh(), body, Verifier{Scheme: scheme, Secrets: secrets, Now: func() time.Time { return rtTestNow.Add(-6 * time.Minute) }}, ErrSignatureStale},
		{"wrong key", fresh(), body, Verifier{Scheme: scheme, Secrets: StaticSecrets{[]byte("other")}, Now: fixedNow}, ErrSignatureInvalid},
		{"within tolerance", fresh(), body, Verifier{Scheme: scheme, Secrets: secrets, Now: func() time.Time { return rtTestNow.Add(4 * time.Minute) }}, nil},
	}
	for _, c := range cases {
		err := c.v.Verify(ctx, c.h, c.body)
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

// Two honest requests signed in the same second with the same body (a quick
// retry, or two equal payments) must both pass replay detection: only a
// byte-identical resend is a replay.
func TestAccordSameSecondIsNotAReplay(t *testing.T) {
	ctx := context.Background()
	scheme := SignatureScheme{Name: "partner-hmac", Format: FormatAccord}
	secrets := StaticSecrets{[]byte("k")}
	s := Signer{Scheme: scheme, Secrets: secrets, Now: fixedNow}
	v := Verifier{Scheme: scheme, Secrets: secrets, Now: fixedNow, Replay: replayAt(fixedNow)}
	body := []byte(`{"amount_minor":1000}`)
	var first http.Header
	for i := 0; i < 3; i++ {
		h := http.Header{}
		if err := s.Sign(ctx, h, body); err != nil {
			t.Fatal(err)
		}
		if err := v.Verify(ctx, h, body); err != nil {
			t.Fatalf("request %d signed in the same second rejected: %v", i, err)
		}
		if first == nil {
			first = h
		}
	}
	if err := v.Verify(ctx, first, body); !errors.Is(err, ErrSignatureReplayed) {
		t.Fatalf("an exact resend must still be a replay: %v", err)
	}
}

func TestRotatedKeyAccepted(t *testing.T) {
	ctx := context.Background()
	scheme := SignatureScheme{Name: "s"}
	body := []byte("x")
	h := http.Header{}
	// Sender still signs with the old key; receiver already rotated.
	if err := (Signer{Scheme: scheme, Secrets: StaticSecrets{[]byte("old")}, Now: fixedNow}).Sign(ctx, h, body); err != nil {
		t.Fatal(err)
	}
	v := Verifier{Scheme: scheme, Secrets: StaticSecrets{[]byte("new"), []byte("old")}, Now: fixedNow}
	if err := v.Verify(ctx, h, body); err != nil {
		t.Fatalf("old key rejected during rotation: %v", err)
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
	body := []byte(`{"test": 2432232314}`)
	h := http.Header{}
	h.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	if err := (Signer{Scheme: scheme, Secrets: secret, Now: now}).Sign(ctx, h, body); err != nil {
		t.Fatal(err)
	}
	if got := h.Get("webhook-signature"); got != "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" {
		t.Fatalf("signature %q", got)
	}
	if h.Get("webhook-timestamp") != "1614265330" {
		t.Fatalf("timestamp %q", h.Get("webhook-timestamp"))
	}
	v := Verifier{Scheme: scheme, Secrets: secret, Now: now, Replay: replayAt(now)}
	if err := v.Verify(ctx, h, body); err != nil {
		t.Fatalf("vector rejected: %v", err)
	}
	if err := v.Verify(ctx, h, body); !errors.Is(err, ErrSignatureReplayed) {
		t.Fatalf("replay of same id+timestamp: %v", err)
	}
	// A sender's retry re-signs the same webhook-id with a fresh timestamp.
	later := func() time.Time { return ts.Add(10 * time.Second) }
	h2 := http.Header{}
	h2.Set("webhook-id", "msg_p5jXN8AQM9LWM0D4loKWxJek")
	if err := (Signer{Scheme: scheme, Secrets: secret, Now: later}).Sign(ctx, h2, body); err != nil {
		t.Fatal(err)
	}
	v.Now = later
	if err := v.Verify(ctx, h2, body); err != nil {
		t.Fatalf("legitimate retry with fresh timestamp rejected: %v", err)
	}
}

func TestStandardWebhooksMultipleSignatures(t *testing.T) {
	ctx := context.Background()
	scheme := SignatureScheme{Name: "sw", Format: FormatStandardWebhooks}
	body := []byte(`{"a":1}`)
	h := http.Header{}
	if err := (Signer{Scheme: scheme, Secrets: StaticSecrets{[]byte("whsec_" + b64("second-key"))}, Now: fixedNow}).Sign(ctx, h, body); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h.Get("webhook-id"), "msg_") {
		t.Fatalf("generated id %q", h.Get("webhook-id"))
	}
	good := h.Get("webhook-signature")
	h.Set("webhook-signature", "v1,"+b64("nonsense-signature-bytes-000000")+" v1a,xyz "+good)
	// Receiver knows the key raw (not whsec_-encoded) plus an unrelated one.
	v := Verifier{Scheme: scheme, Secrets: StaticSecrets{[]byte("first-key"), []byte("second-key")}, Now: fixedNow}
	if err := v.Verify(ctx, h, body); err != nil {
		t.Fatalf("rejected: %v", err)
	}
	h.Set("webhook-signature", "v1,"+b64("nonsense-signature-bytes-000000"))
	if err := v.Verify(ctx, h, body); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("no matching signature: %v", err)
	}
	h.Del("webhook-id")
	if err := v.Verify(ctx, h, body); !errors.Is(err, ErrSignatureMissing) {
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
	sec := &rotatingSecrets{keys: [][]byte{[]byte("a")}}
	s := Signer{Scheme: SignatureScheme{Name: "s"}, Secrets: sec, Now: fixedNow}
	v := Verifier{Scheme: SignatureScheme{Name: "s"}, Secrets: sec, Now: fixedNow}
	h := http.Header{}
	_ = s.Sign(ctx, h, nil)
	sec.mu.Lock()
	sec.keys = [][]byte{[]byte("b")}
	sec.mu.Unlock()
	if err := v.Verify(ctx, h, nil); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("retired key still accepted: %v", err)
	}
	h = http.Header{}
	_ = s.Sign(ctx, h, nil)
	if err := v.Verify(ctx, h, nil); err != nil {
		t.Fatalf("new key rejected: %v", err)
	}
}

func TestSignerErrors(t *testing.T) {
	ctx := context.Background()
	if err := (Signer{Scheme: SignatureScheme{Name: "s"}}).Sign(ctx, http.Header{}, nil); err == nil {
		t.Fatal("no provider accepted")
	}
	if err := (Signer{Scheme: SignatureScheme{Name: "s"}, Secrets: StaticSecrets{}}).Sign(ctx, http.Header{}, nil); err == nil {
		t.Fatal("empty key set accepted")
	}
	bad := Signer{Scheme: SignatureScheme{Name: "s", Format: FormatStandardWebhooks}, Secrets: StaticSecrets{[]byte("whsec_!!!")}}
	if err := bad.Sign(ctx, http.Header{}, nil); err == nil {
		t.Fatal("undecodable whsec_ accepted")
	}
}

// replayAt is a replay cache on the test's clock; in production both use the
// wall clock.
func replayAt(now func() time.Time) *MemoryReplayCache {
	c := NewMemoryReplayCache(10)
	c.now = now
	return c
}
