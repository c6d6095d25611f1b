package runtime

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// Parsers of untrusted input must never panic; each target also checks the
// one property that makes its output safe to use.

func FuzzTraceparent(f *testing.F) {
	f.Add("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	f.Add("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-x")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		if id := rtParseTraceparent(s); id != "" && !rtValidTraceID(id) {
			t.Fatalf("accepted invalid trace id %q from %q", id, s)
		}
	})
}

func FuzzRetryAfter(f *testing.F) {
	f.Add("120")
	f.Add("Sat, 01 Mar 2025 12:00:30 GMT")
	f.Add("-1")
	f.Fuzz(func(t *testing.T, s string) {
		if d, ok := rtParseRetryAfter(s, time.Unix(1700000000, 0)); ok && d < 0 {
			t.Fatalf("negative delay %v from %q", d, s)
		}
	})
}

func FuzzProblem(f *testing.F) {
	f.Add("application/problem+json", `{"title":"x","status":400,"ext":[1]}`)
	f.Add("application/json", `{"detail":1}`)
	f.Fuzz(func(t *testing.T, ct, body string) {
		if p := rtParseProblem(ct, []byte(body)); p != nil {
			if _, err := p.MarshalJSON(); err != nil {
				t.Fatalf("parsed problem does not re-encode: %v", err)
			}
		}
	})
}

func FuzzVerify(f *testing.F) {
	f.Add("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "1614265330", "msg_1", []byte("{}"))
	f.Add("deadbeef", "1614265330", "", []byte(""))
	f.Fuzz(func(t *testing.T, sig, ts, id string, body []byte) {
		now := func() time.Time { return time.Unix(1614265330, 0) }
		for _, format := range []SignatureFormat{FormatAccord, FormatStandardWebhooks} {
			r := &http.Request{Method: "POST", RequestURI: "/hook", Header: http.Header{}}
			h := r.Header
			h.Set("X-Signature", sig)
			h.Set("X-Timestamp", ts)
			h.Set("Webhook-Signature", sig)
			h.Set("Webhook-Timestamp", ts)
			h.Set("Webhook-Id", id)
			v := Verifier{Scheme: SignatureScheme{Name: "f", Format: format}, Secrets: StaticSecrets{[]byte("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")}, Now: now}
			_, _ = v.Verify(context.Background(), r, body)
		}
	})
}
