package runtime

import (
	"context"
	"crypto/hmac"
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

// Verify checks h and body. Errors wrap ErrSignatureMissing,
// ErrSignatureInvalid, ErrSignatureStale or ErrSignatureReplayed; any other
// error means the keys or the replay cache were unavailable.
//
// Replay identity: for the accord format it is the signed nonce; for
// Standard Webhooks it is webhook-id plus timestamp. A bare webhook-id would
// reject a sender's legitimate retry (same id, fresh timestamp and
// signature, as the standard prescribes) after a failed first delivery; an
// attacker cannot change the timestamp without the key, so exact replays are
// still caught.
func (v Verifier) Verify(ctx context.Context, h http.Header, body []byte) error {
	sc := v.Scheme.rtResolved()
	sigHeader := h.Get(sc.SignatureHeader)
	tsHeader := h.Get(sc.TimestampHeader)
	// id is the per-message value inside the signed bytes: the webhook-id
	// (Standard Webhooks) or the nonce (accord).
	idHeader := rtWebhookIDHeader
	if sc.Format != FormatStandardWebhooks {
		idHeader = sc.NonceHeader
	}
	id := h.Get(idHeader)
	if id == "" {
		return fmt.Errorf("%w: no %s header", ErrSignatureMissing, idHeader)
	}
	if sigHeader == "" {
		return fmt.Errorf("%w: no %s header", ErrSignatureMissing, sc.SignatureHeader)
	}
	if tsHeader == "" {
		return fmt.Errorf("%w: no %s header", ErrSignatureMissing, sc.TimestampHeader)
	}
	ts, err := strconv.ParseInt(tsHeader, 10, 64)
	if err != nil {
		return fmt.Errorf("%w: malformed %s header", ErrSignatureInvalid, sc.TimestampHeader)
	}
	now := time.Now
	if v.Now != nil {
		now = v.Now
	}
	sent := time.Unix(ts, 0)
	if d := now().Sub(sent); d > sc.Tolerance || d < -sc.Tolerance {
		return fmt.Errorf("%w: timestamp is %s off, tolerance %s", ErrSignatureStale, d.Round(time.Second), sc.Tolerance)
	}
	if v.Secrets == nil {
		return fmt.Errorf("verify %s: no secret provider", sc.Name)
	}
	keys, err := v.Secrets.VerificationKeys(ctx)
	if err != nil {
		return fmt.Errorf("verify %s: verification keys: %w", sc.Name, err)
	}
	candidates, err := rtSignatureCandidates(sc.Format, sigHeader)
	if err != nil {
		return err
	}
	var matched []byte
	for _, raw := range keys {
		key, err := rtSchemeKey(sc.Format, raw)
		if err != nil {
			continue // one bad key in a rotation set must not lock out the good ones
		}
		var mac []byte
		if sc.Format == FormatStandardWebhooks {
			mac = rtMAC(key, []byte(id), []byte(tsHeader), body)
		} else {
			mac = rtMAC(key, []byte(tsHeader), []byte(id), body)
		}
		for _, c := range candidates {
			if hmac.Equal(mac, c) {
				matched = mac
				break
			}
		}
		if matched != nil {
			break
		}
	}
	if matched == nil {
		return fmt.Errorf("%w: no signature matches any accepted key", ErrSignatureInvalid)
	}
	if v.Replay == nil {
		return nil
	}
	var replayID string
	if sc.Format == FormatStandardWebhooks {
		replayID = sc.Name + "|w|" + id + "|" + tsHeader
	} else {
		replayID = sc.Name + "|a|" + id
	}
	seen, err := v.Replay.Seen(ctx, replayID, sent.Add(sc.Tolerance))
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
