package runtime

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"
)

// SignatureFormat selects the wire format of an HMAC-SHA256 signature.
type SignatureFormat string

const (
	// FormatAccord signs the accord-v2 canonical string (AccordCanonical):
	// format tag, timestamp, nonce, method, request target and the body's
	// SHA-256, one per line. Hex in X-Signature, unix seconds in
	// X-Timestamp, a fresh random nonce per attempt in X-Nonce. The nonce
	// tells two honest requests signed in the same second (a quick retry,
	// two equal payments) from a replay, and it is the replay identity.
	FormatAccord SignatureFormat = "accord"
	// FormatStandardWebhooks follows standardwebhooks.com: webhook-id,
	// webhook-timestamp, webhook-signature: v1,<base64> over id.timestamp.body.
	FormatStandardWebhooks SignatureFormat = "standard-webhooks"
	// FormatHTTPMessageSignatures is RFC 9421 with hmac-sha256, covering
	// @method, @path, @query and content-digest (RFC 9530, sha-256), with
	// created, nonce, keyid and alg parameters, in Signature-Input and
	// Signature under the label sig1 (signature_httpsig.go).
	FormatHTTPMessageSignatures SignatureFormat = "http-message-signatures"
)

// MinKeyLength is the shortest HMAC key any format accepts, in bytes after
// decoding (a "whsec_" secret counts its decoded bytes). A shorter key, the
// empty one above all, makes signatures forgeable.
const MinKeyLength = 16

// ErrKeyTooShort is wrapped by every error about a key under MinKeyLength:
// a configuration mistake, never a reason to skip the key and go on.
var ErrKeyTooShort = errors.New("signing key is shorter than 16 bytes")

// SignatureScheme is a named signing scheme from the contract. The algorithm
// is always hmac-sha256; empty headers and tolerance take the format's
// defaults.
type SignatureScheme struct {
	Name            string
	Format          SignatureFormat
	SignatureHeader string
	TimestampHeader string
	// NonceHeader carries the accord format's per-attempt nonce; default X-Nonce.
	NonceHeader string
	Tolerance   time.Duration // freshness window in both directions; default 5m
}

// SecretProvider supplies keys on every use so they can rotate without a
// restart: sign with the newest, verify against all still accepted.
type SecretProvider interface {
	SigningKey(ctx context.Context) ([]byte, error)
	VerificationKeys(ctx context.Context) ([][]byte, error)
}

// StaticSecrets is a fixed key list: the first key signs, all verify.
// Standard Webhooks keys may be given as "whsec_<base64>". Every key must
// be at least MinKeyLength bytes; generated constructors check this.
type StaticSecrets [][]byte

func (s StaticSecrets) SigningKey(context.Context) ([]byte, error) {
	if len(s) == 0 {
		return nil, errors.New("no signing key configured")
	}
	return s[0], nil
}

func (s StaticSecrets) VerificationKeys(context.Context) ([][]byte, error) {
	if len(s) == 0 {
		return nil, errors.New("no verification keys configured")
	}
	return s, nil
}

// CheckSecrets reports a StaticSecrets key of scheme that could never be
// used safely (too short, or an undecodable whsec_ secret), so a
// constructor can refuse it before the first request. Other providers are
// checked on every use instead, where a bad key is an error too.
func CheckSecrets(scheme SignatureScheme, p SecretProvider) error {
	sc := scheme.rtResolved()
	if p == nil {
		return fmt.Errorf("signature scheme %q: no secret provider", sc.Name)
	}
	static, ok := p.(StaticSecrets)
	if !ok {
		return nil
	}
	if len(static) == 0 {
		return fmt.Errorf("signature scheme %q: no keys configured", sc.Name)
	}
	for i, k := range static {
		if _, err := rtSchemeKey(sc.Format, k); err != nil {
			return fmt.Errorf("signature scheme %q: key %d: %w", sc.Name, i+1, err)
		}
	}
	return nil
}

const (
	rtDefaultTolerance = 5 * time.Minute
	rtWebhookIDHeader  = "Webhook-Id"
	rtAccordTag        = "accord-v2"
)

// rtResolved returns the scheme with the format's defaults filled in.
func (s SignatureScheme) rtResolved() SignatureScheme {
	if s.Format == "" {
		s.Format = FormatAccord
	}
	if s.Tolerance <= 0 {
		s.Tolerance = rtDefaultTolerance
	}
	switch s.Format {
	case FormatStandardWebhooks:
		if s.SignatureHeader == "" {
			s.SignatureHeader = "Webhook-Signature"
		}
		if s.TimestampHeader == "" {
			s.TimestampHeader = "Webhook-Timestamp"
		}
	case FormatHTTPMessageSignatures:
		// RFC 9421 fixes the field names; created and nonce travel inside
		// Signature-Input.
		s.SignatureHeader, s.TimestampHeader, s.NonceHeader = rtSignatureField, "", ""
	default:
		if s.SignatureHeader == "" {
			s.SignatureHeader = "X-Signature"
		}
		if s.TimestampHeader == "" {
			s.TimestampHeader = "X-Timestamp"
		}
		if s.NonceHeader == "" {
			s.NonceHeader = "X-Nonce"
		}
	}
	return s
}

// rtSignedHeaders are the headers a scheme's signature travels in: the
// redirect policy strips them before a request leaves for another origin.
func (s SignatureScheme) rtSignedHeaders() []string {
	sc := s.rtResolved()
	switch sc.Format {
	case FormatStandardWebhooks:
		return []string{sc.SignatureHeader, sc.TimestampHeader, rtWebhookIDHeader}
	case FormatHTTPMessageSignatures:
		return []string{rtSignatureField, rtSignatureInputField}
	default:
		return []string{sc.SignatureHeader, sc.TimestampHeader, sc.NonceHeader}
	}
}

// rtSchemeKey turns a configured secret into MAC key bytes. Standard
// Webhooks secrets are conventionally distributed base64-encoded with a
// whsec_ prefix; other keys are used as given. Either way the result must
// be at least MinKeyLength bytes: "whsec_" alone decodes to nothing, and an
// empty HMAC key is one every attacker knows.
func rtSchemeKey(f SignatureFormat, k []byte) ([]byte, error) {
	if f == FormatStandardWebhooks && bytes.HasPrefix(k, []byte("whsec_")) {
		raw := make([]byte, base64.StdEncoding.DecodedLen(len(k)-6))
		n, err := base64.StdEncoding.Decode(raw, k[6:])
		if err != nil {
			return nil, fmt.Errorf("decode whsec_ secret: %w", err)
		}
		k = raw[:n]
	}
	if len(k) < MinKeyLength {
		return nil, fmt.Errorf("%w: %d bytes, need at least %d", ErrKeyTooShort, len(k), MinKeyLength)
	}
	return k, nil
}

// rtKeyID is a stable, non-secret name for a key: the first 8 bytes of a
// domain-separated SHA-256, in hex. It identifies which key verified a
// request (idempotency scoping, logs) and is the keyid accord's RFC 9421
// signer sends; it reveals nothing a signature does not.
func rtKeyID(key []byte) string {
	h := sha256.New()
	h.Write([]byte("accord key id\x00"))
	h.Write(key)
	return "k_" + hex.EncodeToString(h.Sum(nil)[:8])
}

// rtMAC computes HMAC-SHA256 over the parts joined by ".", the signed
// content of Standard Webhooks.
func rtMAC(key []byte, parts ...[]byte) []byte {
	m := hmac.New(sha256.New, key)
	for i, p := range parts {
		if i > 0 {
			m.Write([]byte{'.'})
		}
		m.Write(p)
	}
	return m.Sum(nil)
}

// AccordCanonical returns the string the accord format signs (README,
// "Signing schemes"): six lines joined by "\n", no trailing newline:
//
//	accord-v2
//	<timestamp: X-Timestamp as sent>
//	<nonce: X-Nonce as sent>
//	<method, as sent: "POST">
//	<request target as sent: escaped path and query, "/v1/payments/pay_1/refunds?x=1">
//	<lowercase hex SHA-256 of the body bytes; of "" when there is none>
//
// The method and target bind a signature to one resource, so a signed
// refund of one payment cannot be replayed at another payment's URL.
func AccordCanonical(timestamp, nonce, method, target string, body []byte) []byte {
	sum := sha256.Sum256(body)
	var b bytes.Buffer
	b.Grow(len(rtAccordTag) + len(timestamp) + len(nonce) + len(method) + len(target) + 2*len(sum) + 5)
	for _, s := range []string{rtAccordTag, timestamp, nonce, method, target} {
		b.WriteString(s)
		b.WriteByte('\n')
	}
	b.WriteString(hex.EncodeToString(sum[:]))
	return b.Bytes()
}

// rtClientTarget is the request target net/http writes on the request line.
func rtClientTarget(req *http.Request) string {
	return req.URL.RequestURI()
}

// rtServerTarget is the request target as it arrived. r.RequestURI is what
// the client sent even after http.StripPrefix or a base path rewrote
// r.URL.Path; an absolute-form target is reduced to its path and query, as
// the client signed it.
func rtServerTarget(r *http.Request) string {
	t := r.RequestURI
	if t == "" {
		return r.URL.RequestURI()
	}
	if t[0] != '/' && t != "*" {
		if u, err := r.URL.Parse(t); err == nil && u.IsAbs() {
			return u.RequestURI()
		}
	}
	return t
}

// Signer signs outgoing requests (or webhooks) with one scheme.
type Signer struct {
	Scheme  SignatureScheme
	Secrets SecretProvider
	Now     func() time.Time
}

// Check reports a static key that could never sign safely (see
// CheckSecrets); constructors call it so a short key fails at start-up.
func (s Signer) Check() error { return CheckSecrets(s.Scheme, s.Secrets) }

// Sign sets the scheme's signature headers on req for body, which must be
// the bytes req will send: the accord and RFC 9421 formats also sign
// req.Method and req.URL's request target. For Standard Webhooks it keeps a
// webhook-id already in req.Header (so retries of one message share it) and
// otherwise generates one.
func (s Signer) Sign(ctx context.Context, req *http.Request, body []byte) error {
	sc := s.Scheme.rtResolved()
	if s.Secrets == nil {
		return fmt.Errorf("sign %s: no secret provider", sc.Name)
	}
	raw, err := s.Secrets.SigningKey(ctx)
	if err != nil {
		return fmt.Errorf("sign %s: signing key: %w", sc.Name, err)
	}
	key, err := rtSchemeKey(sc.Format, raw)
	if err != nil {
		return fmt.Errorf("sign %s: signing key: %w", sc.Name, err)
	}
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	h := req.Header
	ts := strconv.FormatInt(now().Unix(), 10)
	switch sc.Format {
	case FormatAccord:
		nonce := rtNewNonce()
		mac := hmac.New(sha256.New, key)
		mac.Write(AccordCanonical(ts, nonce, req.Method, rtClientTarget(req), body))
		h.Set(sc.NonceHeader, nonce)
		h.Set(sc.SignatureHeader, hex.EncodeToString(mac.Sum(nil)))
	case FormatStandardWebhooks:
		id := h.Get(rtWebhookIDHeader)
		if id == "" {
			id = "msg_" + rtNewUUID()
			h.Set(rtWebhookIDHeader, id)
		}
		h.Set(sc.SignatureHeader, "v1,"+base64.StdEncoding.EncodeToString(rtMAC(key, []byte(id), []byte(ts), body)))
	case FormatHTTPMessageSignatures:
		return rtHTTPSigSign(req, body, key, now())
	default:
		return fmt.Errorf("sign %s: unknown signature format %q", sc.Name, sc.Format)
	}
	h.Set(sc.TimestampHeader, ts)
	return nil
}

// rtNewNonce returns 128 random bits in hex: unique per signed attempt.
func rtNewNonce() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}
