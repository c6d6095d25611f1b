package runtime

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// RFC 9421 Appendix B.2: the test request (its Content-Digest is sha-512).
const rfc9421TestRequest = "POST /foo?param=Value&Pet=dog HTTP/1.1\r\n" +
	"Host: example.com\r\n" +
	"Date: Tue, 20 Apr 2021 02:07:55 GMT\r\n" +
	"Content-Type: application/json\r\n" +
	"Content-Digest: sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:\r\n" +
	"Content-Length: 18\r\n" +
	"\r\n" +
	`{"hello": "world"}`

// RFC 9421 Appendix B.1.4: the shared secret test-shared-secret, base64.
const rfc9421SharedSecret = "uzvJfB4u3N0Jy4T7NZ75MDVcr8zSTInedJtkgcu46YW4XByzNJjxBdtjUkdJPBtbmHhIDi6pcl8jsasjlTMtDQ=="

func rfcRequest(t *testing.T) *http.Request {
	t.Helper()
	r, err := http.ReadRequest(bufio.NewReader(strings.NewReader(rfc9421TestRequest)))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Interoperability: RFC 9421 Appendix B.2.5, "Signing a Request Using
// hmac-sha256", reproduced byte for byte: the signature base, the
// Signature-Input and the Signature the RFC prints.
func TestHTTPSigRFC9421B25(t *testing.T) {
	key, err := base64.StdEncoding.DecodeString(rfc9421SharedSecret)
	if err != nil {
		t.Fatal(err)
	}
	const (
		input = `sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"`
		base  = `"date": Tue, 20 Apr 2021 02:07:55 GMT` + "\n" +
			`"@authority": example.com` + "\n" +
			`"content-type": application/json` + "\n" +
			`"@signature-params": ("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"`
		signature = `sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:`
	)
	r := rfcRequest(t)
	members, err := rtParseSFDictionary(input)
	if err != nil || len(members) != 1 {
		t.Fatalf("parse %v %v", members, err)
	}
	got, err := rtHTTPSigBase(rtServerMessage(r), members[0])
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != base {
		t.Fatalf("signature base\n%s\nwant\n%s", got, base)
	}
	gotInput, gotSig, err := rtHTTPSigHeaders(rtServerMessage(r), members[0], key)
	if err != nil {
		t.Fatal(err)
	}
	if gotInput != input || gotSig != signature {
		t.Fatalf("headers\n%s\n%s\nwant\n%s\n%s", gotInput, gotSig, input, signature)
	}
	// The RFC's own Content-Digest (sha-512) checks against its body.
	body := []byte(`{"hello": "world"}`)
	if err := rtCheckContentDigest(r.Header.Get("Content-Digest"), body); err != nil {
		t.Fatalf("RFC content digest: %v", err)
	}
	if err := rtCheckContentDigest(r.Header.Get("Content-Digest"), []byte(`{"hello": "world!"}`)); !errors.Is(err, ErrSignatureInvalid) {
		t.Fatalf("digest of another body: %v", err)
	}
	// Valid by the RFC, but too weak for accord's verifier: it binds
	// neither the method, the target nor the body.
	r.Header.Set("Signature-Input", input)
	r.Header.Set("Signature", signature)
	v := Verifier{Scheme: SignatureScheme{Name: "h", Format: FormatHTTPMessageSignatures}, Secrets: StaticSecrets{key},
		Now: func() time.Time { return time.Unix(1618884473, 0) }}
	if _, err := v.Verify(context.Background(), r, body); !errors.Is(err, ErrSignatureMissing) || !strings.Contains(err.Error(), "nonce") {
		t.Fatalf("a signature without nonce nor @method: %v", err)
	}
}

// RFC 9530 Content-Digest with sha-256 of the RFC 9421 test body; the
// value was computed independently with Python's hashlib.
func TestContentDigestSHA256(t *testing.T) {
	body := []byte(`{"hello": "world"}`)
	const want = "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:"
	if got := rtContentDigest(body); got != want {
		t.Fatalf("content digest %s, want %s", got, want)
	}
	for _, h := range []string{want, "md5=:AAAA:, " + want, want + ", sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"} {
		if err := rtCheckContentDigest(h, body); err != nil {
			t.Errorf("%s: %v", h, err)
		}
	}
	for _, h := range []string{"md5=:AAAA:", want + ", sha-512=:AAAA:", "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", "sha-256=?1"} {
		if err := rtCheckContentDigest(h, body); !errors.Is(err, ErrSignatureInvalid) {
			t.Errorf("%s accepted: %v", h, err)
		}
	}
}

func TestHTTPSigSignVerify(t *testing.T) {
	ctx := context.Background()
	scheme := SignatureScheme{Name: "partner-sig", Format: FormatHTTPMessageSignatures}
	secrets := StaticSecrets{[]byte(testKeyNew), []byte(testKeyOld)}
	s := Signer{Scheme: scheme, Secrets: secrets, Now: fixedNow}
	body := `{"amount_minor":500}`
	url := "http://api.example.com/v1/payments/pay_A/refunds?reason=dup"
	r := signedReq(t, s, "POST", url, body)
	in := r.Header.Get("Signature-Input")
	wantPrefix := `sig1=("@method" "@path" "@query" "content-digest");created=1700000000;nonce="`
	wantSuffix := `";keyid="` + rtKeyID([]byte(testKeyNew)) + `";alg="hmac-sha256"`
	if !strings.HasPrefix(in, wantPrefix) || !strings.HasSuffix(in, wantSuffix) {
		t.Fatalf("Signature-Input %s", in)
	}
	if r.Header.Get("Content-Digest") != rtContentDigest([]byte(body)) || !strings.HasPrefix(r.Header.Get("Signature"), "sig1=:") {
		t.Fatalf("headers %v", r.Header)
	}
	// Recompute independently from the documented signature base.
	nonce := strings.TrimSuffix(strings.TrimPrefix(in, wantPrefix), wantSuffix)
	base := `"@method": POST` + "\n" + `"@path": /v1/payments/pay_A/refunds` + "\n" + `"@query": ?reason=dup` + "\n" +
		`"content-digest": ` + rtContentDigest([]byte(body)) + "\n" + `"@signature-params": ` + strings.TrimPrefix(in, "sig1=")
	if r.Header.Get("Signature") != "sig1=:"+hexToB64(t, hexMAC(testKeyNew, base))+":" || len(nonce) != 32 {
		t.Fatalf("signature %s does not match the documented base", r.Header.Get("Signature"))
	}

	v := Verifier{Scheme: scheme, Secrets: secrets, Now: fixedNow, Replay: replayAt(fixedNow)}
	got, err := v.Verify(ctx, r, []byte(body))
	if err != nil || got.KeyID != rtKeyID([]byte(testKeyNew)) {
		t.Fatalf("valid signature: %v %q", err, got.KeyID)
	}
	if _, err := v.Verify(ctx, r, []byte(body)); !errors.Is(err, ErrSignatureReplayed) {
		t.Fatalf("replay: %v", err)
	}

	fresh := func() *http.Request { return signedReq(t, s, "POST", url, body) }
	edit := func(f func(r *http.Request)) *http.Request { r := fresh(); f(r); return r }
	noReplay := Verifier{Scheme: scheme, Secrets: secrets, Now: fixedNow}
	cases := []struct {
		name string
		r    *http.Request
		body string
		v    Verifier
		want error
	}{
		{"other payment", edit(func(r *http.Request) { r.RequestURI = "/v1/payments/pay_B/refunds?reason=dup" }), body, noReplay, ErrSignatureInvalid},
		{"other query", edit(func(r *http.Request) { r.RequestURI = "/v1/payments/pay_A/refunds?reason=fraud" }), body, noReplay, ErrSignatureInvalid},
		{"other method", edit(func(r *http.Request) { r.Method = "PUT" }), body, noReplay, ErrSignatureInvalid},
		{"tampered body", fresh(), `{"amount_minor":50000}`, noReplay, ErrSignatureInvalid},
		{"digest re-computed for the tampered body", edit(func(r *http.Request) {
			r.Header.Set("Content-Digest", rtContentDigest([]byte(`{"amount_minor":50000}`)))
		}), `{"amount_minor":50000}`, noReplay, ErrSignatureInvalid},
		{"digest removed", edit(func(r *http.Request) { r.Header.Del("Content-Digest") }), body, noReplay, ErrSignatureMissing},
		{"no Signature", edit(func(r *http.Request) { r.Header.Del("Signature") }), body, noReplay, ErrSignatureMissing},
		{"no Signature-Input", edit(func(r *http.Request) { r.Header.Del("Signature-Input") }), body, noReplay, ErrSignatureMissing},
		{"label mismatch", edit(func(r *http.Request) {
			r.Header.Set("Signature", strings.Replace(r.Header.Get("Signature"), "sig1=", "sig2=", 1))
		}), body, noReplay, ErrSignatureMissing},
		{"created edited", edit(func(r *http.Request) {
			r.Header.Set("Signature-Input", strings.Replace(r.Header.Get("Signature-Input"), "created=1700000000", "created=1700000001", 1))
		}), body, noReplay, ErrSignatureInvalid},
		{"malformed input", edit(func(r *http.Request) { r.Header.Set("Signature-Input", `sig1=("@method"`) }), body, noReplay, ErrSignatureInvalid},
		{"stale", fresh(), body, Verifier{Scheme: scheme, Secrets: secrets, Now: func() time.Time { return rtTestNow.Add(6 * time.Minute) }}, ErrSignatureStale},
		{"wrong key", fresh(), body, Verifier{Scheme: scheme, Secrets: StaticSecrets{[]byte("other-key-0123456789")}, Now: fixedNow}, ErrSignatureInvalid},
		{"rotated key", fresh(), body, Verifier{Scheme: scheme, Secrets: StaticSecrets{[]byte("other-key-0123456789"), []byte(testKeyNew)}, Now: fixedNow}, nil},
	}
	for _, c := range cases {
		_, err := c.v.Verify(ctx, c.r, []byte(c.body))
		if (c.want == nil) != (err == nil) || (c.want != nil && !errors.Is(err, c.want)) {
			t.Errorf("%s: got %v, want %v", c.name, err, c.want)
		}
	}
}

// A partner's signer may cover @target-uri and more fields, and send other
// signatures (a proxy's) beside it: the verifier derives what it is given
// and requires only what binds the request.
func TestHTTPSigPartnerProfiles(t *testing.T) {
	ctx := context.Background()
	scheme := SignatureScheme{Name: "p", Format: FormatHTTPMessageSignatures}
	key := []byte(testKeyNew)
	v := Verifier{Scheme: scheme, Secrets: StaticSecrets{key}, Now: fixedNow}
	body := []byte(`{"a":1}`)
	sign := func(r *http.Request, label, input string) {
		t.Helper()
		r.Header.Set("Content-Digest", rtContentDigest(body))
		m, err := rtParseSFDictionary(label + "=" + input)
		if err != nil {
			t.Fatal(err)
		}
		in, sig, err := rtHTTPSigHeaders(rtServerMessage(r), m[0], key)
		if err != nil {
			t.Fatal(err)
		}
		r.Header.Add("Signature-Input", in)
		r.Header.Add("Signature", sig)
	}
	newReq := func() *http.Request {
		r := httptest.NewRequest("POST", "http://API.example.com:80/v1/x?y=1", nil)
		r.Header.Set("Content-Type", "application/json")
		return r
	}
	ok := []string{
		`("@target-uri" "@method" "content-digest" "content-type");created=1700000000;nonce="n1";keyid="partner-2026"`,
		`("@method" "@request-target" "@authority" "@scheme" "content-digest");created=1700000000;nonce="n2";alg="hmac-sha256"`,
	}
	for _, in := range ok {
		r := newReq()
		r.Header.Set("Signature-Input", `proxy=("@method");created=1;keyid="ed"`)
		r.Header.Set("Signature", `proxy=:AAAA:`)
		sign(r, "partner", in)
		if _, err := v.Verify(ctx, r, body); err != nil {
			t.Errorf("%s: %v", in, err)
		}
	}
	weak := map[string]string{
		`("@path" "@query" "content-digest");created=1700000000;nonce="n"`:                               "@method",
		`("@method" "@path" "content-digest");created=1700000000;nonce="n"`:                              "request target",
		`("@method" "@path" "@query");created=1700000000;nonce="n"`:                                      "content-digest",
		`("@method" "@request-target" "content-digest");nonce="n"`:                                       "created",
		`("@method" "@request-target" "content-digest");created=1700000000;nonce="n";alg="hmac-sha512"`:  "alg",
		`("@method" "@request-target" "content-digest" "x-missing");created=1700000000;nonce="n"`:        "x-missing",
		`("@method" "@request-target" "content-digest" "@status");created=1700000000;nonce="n"`:          "@status",
		`("@method" "@request-target" "content-digest");created=1700000000;nonce="n";expires=1699999999`: "expired",
	}
	for in, why := range weak {
		r := newReq()
		r.Header.Set("Content-Digest", rtContentDigest(body))
		m, err := rtParseSFDictionary("sig1=" + in)
		if err != nil {
			t.Fatal(err)
		}
		// Signed with the right key wherever a base can be built, so only
		// the profile can refuse it.
		r.Header.Set("Signature-Input", "sig1="+m[0].serializeInner())
		r.Header.Set("Signature", "sig1=:AAAA:")
		if b, err := rtHTTPSigBase(rtServerMessage(r), m[0]); err == nil {
			r.Header.Set("Signature", "sig1=:"+hexToB64(t, hexMAC(testKeyNew, string(b)))+":")
		}
		if _, err := v.Verify(ctx, r, body); err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%s: %v, want an error about %s", in, err, why)
		}
	}
}

func hexToB64(t *testing.T, h string) string {
	t.Helper()
	b, err := hex.DecodeString(h)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(b)
}

func TestSFDictionaryRoundTrip(t *testing.T) {
	for _, c := range []struct{ in, out string }{
		{`sig1=("@method" "@path");created=1;keyid="a\"b\\c"`, `sig1=("@method" "@path");created=1;keyid="a\"b\\c"`},
		{`a=1,  b=?0;x, c;y=tok/en:1, d=:AAEC:, e=-1.5`, `a=1, b=?0;x, c;y=tok/en:1, d=:AAEC:, e=-1.5`},
		{`a=(  "x"   "y" );p`, `a=("x" "y");p`},
		{`a=1, a=2`, `a=2`},
	} {
		ms, err := rtParseSFDictionary(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		parts := make([]string, len(ms))
		for i, m := range ms {
			parts[i] = m.key
			if !(m.item.bare.kind == '?' && m.item.bare.bool && !m.inner) {
				parts[i] += "=" + m.serializeInner()
			} else {
				parts[i] += rtSerializeParams(m.item.params)
			}
		}
		if got := strings.Join(parts, ", "); got != c.out {
			t.Errorf("%s: %s, want %s", c.in, got, c.out)
		}
	}
	for _, bad := range []string{`A=1`, `a=`, `a=1,`, `a=(1`, `a="x`, `a=:!!:`, `a=1234567890123456`, `a="\x"`, `a=?2`, "a=\"\x01\""} {
		if _, err := rtParseSFDictionary(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Verification of hostile RFC 9421 headers must never panic, and what the
// parser accepts must re-serialize to something it parses the same way
// (the @signature-params line is rebuilt from it).
func FuzzVerifyHTTPSig(f *testing.F) {
	f.Add(`sig1=("@method" "@path" "@query" "content-digest");created=1700000000;nonce="n";keyid="k";alg="hmac-sha256"`,
		`sig1=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:`, "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", "/foo?param=Value&Pet=dog", []byte(`{"hello": "world"}`))
	f.Add(`sig-b25=("date" "@authority" "content-type");created=1618884473;keyid="test-shared-secret"`,
		`sig-b25=:pxcQw6G3AjtMBQjwo8XzkZf/bws5LelbaMk5rGIGtE8=:`, "", "/", []byte(nil))
	f.Add(`a=(), b=("@query";req "x";sf);created=-1`, `a=:AA==:, b=?1`, "sha-512=:AA==:, md5=1", "*", []byte("x"))
	f.Add(`sig1=("@method" "@target-uri" "@authority" "@scheme" "@request-target" "content-digest");created=1700000000;nonce="\\\""`, `sig1=:AAAA:`, "sha-256=:AAAA:", "http://h/x", []byte("{}"))
	f.Fuzz(func(t *testing.T, input, sig, digest, target string, body []byte) {
		r := httptest.NewRequest("POST", "http://h/", nil)
		r.RequestURI = target
		r.Header.Set("Signature-Input", input)
		r.Header.Set("Signature", sig)
		r.Header.Set("Content-Digest", digest)
		r.Header.Set("Date", "Tue, 20 Apr 2021 02:07:55 GMT")
		v := Verifier{Scheme: SignatureScheme{Name: "f", Format: FormatHTTPMessageSignatures}, Secrets: StaticSecrets{[]byte(testKeyNew)}, Now: fixedNow}
		if _, err := v.Verify(context.Background(), r, body); err == nil {
			t.Fatalf("a signature made without the key verified: %q %q", input, sig)
		}
		ms, err := rtParseSFDictionary(input)
		if err != nil {
			return
		}
		for _, m := range ms {
			again, err := rtParseSFDictionary(m.key + "=" + m.serializeInner())
			if err != nil || len(again) != 1 || again[0].serializeInner() != m.serializeInner() {
				t.Fatalf("%q re-serialized as %q does not round-trip: %v", input, m.serializeInner(), err)
			}
		}
	})
}

// What verification costs per request, by format (no replay cache).
func BenchmarkVerify(b *testing.B) {
	body := []byte(`{"amount_minor":4200,"currency":"EUR","customer_id":"cus_42"}`)
	for _, f := range []SignatureFormat{FormatAccord, FormatStandardWebhooks, FormatHTTPMessageSignatures} {
		b.Run(string(f), func(b *testing.B) {
			scheme := SignatureScheme{Name: "s", Format: f}
			secrets := StaticSecrets{[]byte(testKeyNew)}
			req := httptest.NewRequest("POST", "http://h/v1/payments/pay_1/refunds?x=1", nil)
			req.RequestURI = ""
			if err := (Signer{Scheme: scheme, Secrets: secrets, Now: fixedNow}).Sign(context.Background(), req, body); err != nil {
				b.Fatal(err)
			}
			req.RequestURI = req.URL.RequestURI()
			v := Verifier{Scheme: scheme, Secrets: secrets, Now: fixedNow}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(context.Background(), req, body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
