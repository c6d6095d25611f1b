package runtime

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

var (
	ErrSignatureMissing  = errors.New("signature missing")
	ErrSignatureInvalid  = errors.New("signature invalid")
	ErrSignatureStale    = errors.New("signature timestamp outside tolerance")
	ErrSignatureReplayed = errors.New("signature replayed")
)

// Verifier checks incoming signatures for one scheme. Replay may be nil to
// skip replay detection (the freshness window still applies).
type Verifier struct {
	Scheme  SignatureScheme
	Secrets SecretProvider
	Replay  ReplayCache
	Now     func() time.Time // freshness clock; replay entries expire by the cache's own (wall) clock
}

// Verified describes an accepted signature.
type Verified struct {
	// KeyID names the key that verified it: a stable, non-secret
	// fingerprint (the default idempotency scope of signed operations).
	KeyID string
}

// Check reports a static key that could never verify safely (see
// CheckSecrets); constructors call it so a short key fails at start-up.
func (v Verifier) Check() error { return CheckSecrets(v.Scheme, v.Secrets) }

// Verify checks the signature of r, whose body is body (r.Body is not
// read). Errors wrap ErrSignatureMissing, ErrSignatureInvalid,
// ErrSignatureStale or ErrSignatureReplayed when the request is at fault;
// ErrKeyTooShort when a configured key is unusable (a configuration error:
// the request is refused, never checked against the other keys alone); any
// other error means the keys or the replay cache were unavailable.
//
// Replay identity: for the accord format it is the signed nonce; for
// RFC 9421 the signed keyid and nonce; for Standard Webhooks webhook-id
// plus timestamp. A bare webhook-id would reject a sender's legitimate
// retry (same id, fresh timestamp and signature, as the standard
// prescribes) after a failed first delivery; an attacker cannot change the
// timestamp without the key, so exact replays are still caught.
func (v Verifier) Verify(ctx context.Context, r *http.Request, body []byte) (Verified, error) {
	sc := v.Scheme.rtResolved()
	switch sc.Format {
	case FormatAccord, FormatStandardWebhooks:
	case FormatHTTPMessageSignatures:
		return v.rtVerifyHTTPSig(ctx, sc, r, body)
	default:
		return Verified{}, fmt.Errorf("verify %s: unknown signature format %q", sc.Name, sc.Format)
	}
	h := r.Header
	sigHeader := h.Get(sc.SignatureHeader)
	tsHeader := h.Get(sc.TimestampHeader)
	// id is the per-message value inside the signed bytes: the webhook-id
	// (Standard Webhooks) or the nonce (accord).
	idHeader := rtWebhookIDHeader
	if sc.Format == FormatAccord {
		idHeader = sc.NonceHeader
	}
	id := h.Get(idHeader)
	if id == "" {
		return Verified{}, fmt.Errorf("%w: no %s header", ErrSignatureMissing, idHeader)
	}
	if sigHeader == "" {
		return Verified{}, fmt.Errorf("%w: no %s header", ErrSignatureMissing, sc.SignatureHeader)
	}
	if tsHeader == "" {
		return Verified{}, fmt.Errorf("%w: no %s header", ErrSignatureMissing, sc.TimestampHeader)
	}
	ts, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return Verified{}, fmt.Errorf("%w: malformed %s header", ErrSignatureInvalid, sc.TimestampHeader)
	}
	sent := time.Unix(ts, 0)
	if err := v.rtFresh(sc, sent); err != nil {
		return Verified{}, err
	}
	keys, err := v.rtKeys(ctx, sc)
	if err != nil {
		return Verified{}, err
	}
	candidates, err := rtSignatureCandidates(sc.Format, sigHeader)
	if err != nil {
		return Verified{}, err
	}
	var signed []byte
	if sc.Format == FormatAccord {
		signed = AccordCanonical(tsHeader, id, r.Method, rtServerTarget(r), body)
	}
	var matched []byte
	for _, key := range keys {
		var mac []byte
		if sc.Format == FormatStandardWebhooks {
			mac = rtMAC(key, []byte(id), []byte(tsHeader), body)
		} else {
			m := hmac.New(sha256.New, key)
			m.Write(signed)
			mac = m.Sum(nil)
		}
		for _, c := range candidates {
			if hmac.Equal(mac, c) {
				matched = key
				break
			}
		}
		if matched != nil {
			break
		}
	}
	if matched == nil {
		return Verified{}, fmt.Errorf("%w: no signature matches any accepted key", ErrSignatureInvalid)
	}
	replayID := sc.Name + "|a|" + id
	if sc.Format == FormatStandardWebhooks {
		replayID = sc.Name + "|w|" + id + "|" + tsHeader
	}
	if err := v.rtReplayCheck(ctx, sc, replayID, sent); err != nil {
		return Verified{}, err
	}
	return Verified{KeyID: rtKeyID(matched)}, nil
}

// rtFresh refuses a signing time outside the tolerance, in either direction.
func (v Verifier) rtFresh(sc SignatureScheme, sent time.Time) error {
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	if d := now().Sub(sent); d > sc.Tolerance || d < -sc.Tolerance {
		return fmt.Errorf("%w: timestamp is %s off, tolerance %s", ErrSignatureStale, d.Round(time.Second), sc.Tolerance)
	}
	return nil
}

// rtKeys returns the MAC keys to try. One unusable key fails the whole
// check: skipping it would leave a misconfiguration unnoticed, and a key
// that decodes to nothing must never be reachable by a forger.
func (v Verifier) rtKeys(ctx context.Context, sc SignatureScheme) ([][]byte, error) {
	if v.Secrets == nil {
		return nil, fmt.Errorf("verify %s: no secret provider", sc.Name)
	}
	raw, err := v.Secrets.VerificationKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("verify %s: verification keys: %w", sc.Name, err)
	}
	if len(raw) == 0 {
		return nil, fmt.Errorf("verify %s: no verification keys", sc.Name)
	}
	keys := make([][]byte, len(raw))
	for i, k := range raw {
		if keys[i], err = rtSchemeKey(sc.Format, k); err != nil {
			return nil, fmt.Errorf("verify %s: verification key %d: %w", sc.Name, i+1, err)
		}
	}
	return keys, nil
}

// rtReplayCheck records id until the signature could no longer be fresh
// and refuses one already recorded.
func (v Verifier) rtReplayCheck(ctx context.Context, sc SignatureScheme, id string, sent time.Time) error {
	if v.Replay == nil {
		return nil
	}
	seen, err := v.Replay.Seen(ctx, id, sent.Add(sc.Tolerance))
	if err != nil {
		return fmt.Errorf("verify %s: replay cache: %w", sc.Name, err)
	}
	if seen {
		return fmt.Errorf("%w: this signed message was already accepted", ErrSignatureReplayed)
	}
	return nil
}

// rtSignatureCandidates decodes the signature header into raw MACs. Standard
// Webhooks headers may list several space-separated "v1,<base64>" entries
// (key rotation); entries of other versions are skipped.
func rtSignatureCandidates(f SignatureFormat, header string) ([][]byte, error) {
	if f != FormatStandardWebhooks {
		b, err := hex.DecodeString(strings.TrimSpace(header))
		if err != nil || len(b) == 0 {
			return nil, fmt.Errorf("%w: signature is not hex", ErrSignatureInvalid)
		}
		return [][]byte{b}, nil
	}
	var out [][]byte
	for _, part := range strings.Fields(header) {
		ver, sig, ok := strings.Cut(part, ",")
		if !ok || ver != "v1" {
			continue
		}
		b, err := base64.StdEncoding.DecodeString(sig)
		if err != nil {
			continue
		}
		out = append(out, b)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%w: no v1 signature in header", ErrSignatureInvalid)
	}
	return out, nil
}
