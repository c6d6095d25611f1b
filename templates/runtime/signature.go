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
	// FormatAccord signs timestamp + "." + nonce + "." + body: hex in
	// X-Signature, unix seconds in X-Timestamp, a fresh random nonce per
	// attempt in X-Nonce. The nonce is what makes two honest requests signed
	// in the same second (a quick retry, two equal payments) different from a
	// replay, and it is the replay identity.
	FormatAccord SignatureFormat = "accord"
	// FormatStandardWebhooks follows standardwebhooks.com: webhook-id,
	// webhook-timestamp, webhook-signature: v1,<base64> over id.timestamp.body.
	FormatStandardWebhooks SignatureFormat = "standard-webhooks"
)

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
// Standard Webhooks keys may be given as "whsec_<base64>".
type StaticSecrets [][]byte

func (s StaticSecrets) SigningKey(context.Context) ([]byte, error) {
	if len(s) == 0 || len(s[0]) == 0 {
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

const (
	rtDefaultTolerance = 5 * time.Minute
	rtWebhookIDHeader  = "Webhook-Id"
)

// rtResolved returns the scheme with the format's defaults filled in.
func (s SignatureScheme) rtResolved() SignatureScheme {
	if s.Format == "" {
		s.Format = FormatAccord
	}
	if s.Tolerance <= 0 {
		s.Tolerance = rtDefaultTolerance
	}
	if s.Format == FormatStandardWebhooks {
		if s.SignatureHeader == "" {
			s.SignatureHeader = "Webhook-Signature"
		}
		if s.TimestampHeader == "" {
			s.TimestampHeader = "Webhook-Timestamp"
		}
	} else {
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

// rtSchemeKey turns a configured secret into MAC key bytes. Standard
// Webhooks secrets are conventionally distributed base64-encoded with a
// whsec_ prefix; accord keys are used as given.
func rtSchemeKey(f SignatureFormat, k []byte) ([]byte, error) {
	if f == FormatStandardWebhooks && bytes.HasPrefix(k, []byte("whsec_")) {
		raw := make([]byte, base64.StdEncoding.DecodedLen(len(k)-6))
		n, err := base64.StdEncoding.Decode(raw, k[6:])
		if err != nil {
			return nil, fmt.Errorf("decode whsec_ secret: %w", err)
		}
		return raw[:n], nil
	}
	if len(k) == 0 {
		return nil, errors.New("empty key")
	}
	return k, nil
}

// rtMAC computes HMAC-SHA256 over the parts joined by ".", which is the
// signed content of both formats.
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

// Signer signs outgoing requests (or webhooks) with one scheme.
type Signer struct {
	Scheme  SignatureScheme
	Secrets SecretProvider
	Now     func() time.Time
}

// Sign sets the scheme's signature and timestamp headers on h for body. For
// Standard Webhooks it keeps a webhook-id already in h (so retries of one
// message share it) and otherwise generates one.
func (s Signer) Sign(ctx context.Context, h http.Header, body []byte) error {
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
	ts := strconv.FormatInt(now().Unix(), 10)
	switch sc.Format {
	case FormatAccord:
		nonce := rtNewNonce()
		h.Set(sc.NonceHeader, nonce)
		h.Set(sc.SignatureHeader, hex.EncodeToString(rtMAC(key, []byte(ts), []byte(nonce), body)))
	case FormatStandardWebhooks:
		id := h.Get(rtWebhookIDHeader)
		if id == "" {
			id = "msg_" + rtNewUUID()
			h.Set(rtWebhookIDHeader, id)
		}
		h.Set(sc.SignatureHeader, "v1,"+base64.StdEncoding.EncodeToString(rtMAC(key, []byte(id), []byte(ts), body)))
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
