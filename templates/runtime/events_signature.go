package runtime

import (
	"context"
	"crypto/hmac"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// EventSigner signs and verifies messages with HMAC-SHA256 over id,
// timestamp and payload joined by "." (the Standard Webhooks content), so
// a signature cannot be moved to another message id or time. Keys come
// from a SecretProvider (rotation: sign with the newest, verify with all),
// each at least MinKeyLength bytes; "whsec_" keys are decoded.
type EventSigner struct {
	Secrets SecretProvider
	// Tolerance bounds the age of a signed timestamp. Zero accepts any age:
	// an event may wait in an outbox or a broker for hours, and the inbox,
	// not freshness, stops replays.
	Tolerance time.Duration
	Now       func() time.Time
}

// ErrEventSignature is wrapped by every verification failure.
var ErrEventSignature = errors.New("event signature")

func (s *EventSigner) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// rtEventSigned is the signed content; the timestamp is the wire form of
// EventHeaderTime so the verifier uses the bytes as sent.
func rtEventSigned(key []byte, id, ts string, payload []byte) []byte {
	return rtMAC(key, []byte(id), []byte(ts), payload)
}

// Sign sets EventHeaderTime (from m.Time) and EventHeaderSignature
// ("v1," + hex MAC).
func (s *EventSigner) Sign(ctx context.Context, m *EventMessage) error {
	if s.Secrets == nil {
		return errors.New("event signer: no secrets")
	}
	raw, err := s.Secrets.SigningKey(ctx)
	if err != nil {
		return fmt.Errorf("event signing key: %w", err)
	}
	key, err := rtSchemeKey(FormatStandardWebhooks, raw)
	if err != nil {
		return fmt.Errorf("event signing key: %w", err)
	}
	if m.ID == "" {
		return errors.New("sign event: no message id")
	}
	if m.Time.IsZero() {
		m.Time = s.now()
	}
	ts := strconv.FormatInt(m.Time.UnixMilli(), 10)
	if m.Headers == nil {
		m.Headers = map[string]string{}
	}
	m.Headers[EventHeaderSignature] = "v1," + hex.EncodeToString(rtEventSigned(key, m.ID, ts, m.Payload))
	return nil
}

// Verify checks a received message; an error wraps ErrEventSignature and
// says what was wrong (missing, malformed, stale, no key matched).
func (s *EventSigner) Verify(ctx context.Context, m *EventMessage) error {
	sig := m.Headers[EventHeaderSignature]
	if sig == "" {
		return fmt.Errorf("%w: message is not signed", ErrEventSignature)
	}
	if m.ID == "" || m.Time.IsZero() {
		return fmt.Errorf("%w: message id or timestamp missing", ErrEventSignature)
	}
	hexMAC, ok := strings.CutPrefix(sig, "v1,")
	mac, err := hex.DecodeString(hexMAC)
	if !ok || err != nil || len(mac) != 32 {
		return fmt.Errorf("%w: malformed signature header", ErrEventSignature)
	}
	if s.Tolerance > 0 {
		if age := s.now().Sub(m.Time); age > s.Tolerance || age < -s.Tolerance {
			return fmt.Errorf("%w: timestamp outside the %s tolerance", ErrEventSignature, s.Tolerance)
		}
	}
	if s.Secrets == nil {
		return fmt.Errorf("%w: no verification keys", ErrEventSignature)
	}
	keys, err := s.Secrets.VerificationKeys(ctx)
	if err != nil {
		return fmt.Errorf("%w: verification keys: %v", ErrEventSignature, err)
	}
	ts := strconv.FormatInt(m.Time.UnixMilli(), 10)
	for _, raw := range keys {
		key, err := rtSchemeKey(FormatStandardWebhooks, raw)
		if err != nil {
			return fmt.Errorf("%w: verification key: %v", ErrEventSignature, err)
		}
		if hmac.Equal(mac, rtEventSigned(key, m.ID, ts, m.Payload)) {
			return nil
		}
	}
	return fmt.Errorf("%w: no key matches (forged or altered message)", ErrEventSignature)
}
