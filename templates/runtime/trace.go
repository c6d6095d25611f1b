package runtime

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	mrand "math/rand/v2"
)

type rtTraceKey struct{}

type rtIdemKeyKey struct{}

// ContextWithTraceID returns ctx carrying a W3C trace id (32 lowercase hex
// digits); Engine.Do propagates it in traceparent instead of starting a new
// trace.
func ContextWithTraceID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, rtTraceKey{}, id)
}

// TraceIDFromContext returns the trace id set by ContextWithTraceID or by the
// server chain, or "".
func TraceIDFromContext(ctx context.Context) string {
	switch v := ctx.Value(rtTraceKey{}).(type) {
	case string:
		return v
	case *rtServerRequest:
		return v.traceID
	}
	return ""
}

// IdempotencyKeyFromContext returns the Idempotency-Key of the request being
// served (set by the chain's idempotency step), or "".
func IdempotencyKeyFromContext(ctx context.Context) string {
	if st, ok := ctx.Value(rtTraceKey{}).(*rtServerRequest); ok && st.idemKey != "" {
		return st.idemKey
	}
	k, _ := ctx.Value(rtIdemKeyKey{}).(string)
	return k
}

func rtIsLowerHex(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func rtAllZero(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' {
			return false
		}
	}
	return true
}

// rtValidTraceID reports whether id is usable as a W3C trace id.
func rtValidTraceID(id string) bool {
	return len(id) == 32 && rtIsLowerHex(id) && !rtAllZero(id)
}

// rtParseTraceparent returns the trace id of a valid W3C traceparent, or "".
// Versions above 00 are accepted by their 00 prefix, as the spec asks.
func rtParseTraceparent(h string) string {
	if len(h) < 55 || (len(h) > 55 && h[55] != '-') {
		return ""
	}
	if h[2] != '-' || h[35] != '-' || h[52] != '-' {
		return ""
	}
	ver, trace, span, flags := h[0:2], h[3:35], h[36:52], h[53:55]
	if !rtIsLowerHex(ver) || ver == "ff" || (ver == "00" && len(h) != 55) {
		return ""
	}
	if !rtIsLowerHex(trace) || rtAllZero(trace) || !rtIsLowerHex(span) || rtAllZero(span) || !rtIsLowerHex(flags) {
		return ""
	}
	return trace
}

// Trace and span ids need uniqueness, not secrecy, so they come from the
// runtime's fast per-goroutine generator instead of a getrandom syscall.
func rtRandomHex(dst []byte) {
	var raw [16]byte
	n := len(dst) / 2
	for {
		for i := 0; i < n; i += 8 {
			v := mrand.Uint64()
			for j := 0; j < 8 && i+j < n; j++ {
				raw[i+j] = byte(v >> (8 * j))
			}
		}
		if !rtAllZeroBytes(raw[:n]) {
			break
		}
	}
	hex.Encode(dst, raw[:n])
}

func rtAllZeroBytes(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

func rtNewTraceID() string {
	var b [32]byte
	rtRandomHex(b[:])
	return string(b[:])
}

// rtTraceparent builds "00-<trace>-<new span>-01" in one allocation; an
// empty traceID starts a new trace (callers slice the id back out of it).
func rtTraceparent(traceID string) string {
	var b [55]byte
	copy(b[:], "00-")
	if traceID == "" {
		rtRandomHex(b[3:35])
	} else {
		copy(b[3:35], traceID)
	}
	b[35] = '-'
	rtRandomHex(b[36:52])
	copy(b[52:], "-01")
	return string(b[:])
}

// rtNewUUID returns a UUID v4 from crypto/rand: idempotency keys must not be
// guessable, or another client could collide with (and read) a stored result.
func rtNewUUID() string {
	var u [16]byte
	_, _ = rand.Read(u[:]) // crypto/rand.Read never fails on supported platforms
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	var b [36]byte
	hex.Encode(b[0:8], u[0:4])
	b[8] = '-'
	hex.Encode(b[9:13], u[4:6])
	b[13] = '-'
	hex.Encode(b[14:18], u[6:8])
	b[18] = '-'
	hex.Encode(b[19:23], u[8:10])
	b[23] = '-'
	hex.Encode(b[24:36], u[10:16])
	return string(b[:])
}
