package runtime

import (
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// rtDrainLimit bounds how much of an abandoned body is read so its
// connection can go back to the pool; beyond that, closing is cheaper.
const rtDrainLimit = 64 << 10

// rtBackoff is the full-jitter delay before retry n (n from 1): uniform in
// [0, min(cap, base·2^(n-1))]. rnd is in [0, 1). cap <= 0 means uncapped.
func rtBackoff(n int, base, cap time.Duration, rnd float64) time.Duration {
	if base <= 0 || n < 1 {
		return 0
	}
	ceil := base
	for i := 1; i < n; i++ {
		if ceil > (1<<62)/2 || (cap > 0 && ceil >= cap) {
			break // doubling further would overflow or exceed the cap anyway
		}
		ceil *= 2
	}
	if cap > 0 && ceil > cap {
		ceil = cap
	}
	if rnd < 0 {
		rnd = 0
	}
	if rnd > 1 {
		rnd = 1
	}
	return time.Duration(rnd * float64(ceil))
}

// rtParseRetryAfter reads Retry-After as delta-seconds or an HTTP date.
// ok is false when the header is absent or unusable; a date in the past
// means "now".
func rtParseRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if v[0] >= '0' && v[0] <= '9' {
		secs, err := strconv.ParseInt(v, 10, 64)
		if err != nil || secs < 0 {
			return 0, false
		}
		if secs > int64((1<<63-1)/time.Second) {
			secs = int64((1<<63 - 1) / time.Second)
		}
		return time.Duration(secs) * time.Second, true
	}
	t, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	d := t.Sub(now)
	if d < 0 {
		d = 0
	}
	return d, true
}

// rtSafeToRetry: methods whose repetition has no extra effect, or a keyed
// request to a provider that deduplicates by Idempotency-Key (honoured: the
// contract says so). A key alone proves nothing: a provider that ignores
// the header creates twice.
func rtSafeToRetry(method string, h http.Header, honoured bool) bool {
	if !rtUnsafeMethod(method) {
		return true
	}
	return honoured && len(h["Idempotency-Key"]) > 0 && h["Idempotency-Key"][0] != ""
}

// rtUnsafeMethod: repeating the request may repeat its effect (RFC 9110
// §9.2.2 lists the idempotent methods; every other one, custom ones
// included, is unsafe).
func rtUnsafeMethod(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace, http.MethodPut, http.MethodDelete:
		return false
	}
	return true
}

// rtDrainClose lets an unused response's connection be reused.
func rtDrainClose(body io.ReadCloser) {
	if body == nil {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(body, rtDrainLimit))
	_ = body.Close()
}
