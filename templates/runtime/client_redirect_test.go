package runtime

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sync"
	"testing"
)

// headerSink is a loopback server on its own port (another origin) that
// records the headers of every request it gets.
type headerSink struct {
	mu   sync.Mutex
	seen []http.Header
}

func (s *headerSink) handler(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.seen = append(s.seen, r.Header.Clone())
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *headerSink) requests() []http.Header {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]http.Header(nil), s.seen...)
}

func redirectTo(target string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, target, http.StatusTemporaryRedirect)
	}
}

// An unsigned call redirected to another port of 127.0.0.1 arrives there
// without credentials or the idempotency key; other headers survive, and
// the caller's own client and CheckRedirect are kept.
func TestRedirectToOtherOriginStripsCredentials(t *testing.T) {
	sink := &headerSink{}
	other := newLoopback(t, sink.handler)
	origin := newLoopback(t, redirectTo(other.URL+"/landed"))
	var userChecks int
	user := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { userChecks++; return nil }}
	signer := Signer{Scheme: SignatureScheme{Name: "partner-hmac"}, Secrets: StaticSecrets{[]byte(testKeyNew)}}
	e := NewEngine(WithHTTPClient(user), WithSigner("partner-hmac", signer), WithSensitiveHeaders("X-Api-Key"),
		WithRequestEditor(func(_ context.Context, r *http.Request) error {
			r.Header.Set("Authorization", "Bearer secret-token")
			r.Header.Set("Cookie", "session=1")
			r.Header.Set("Proxy-Authorization", "Basic eA==")
			r.Header.Set("X-Api-Key", "key-1")
			r.Header.Set("X-Request-Note", "kept")
			return nil
		}))
	op := Operation{ID: "putThing", Method: "PUT", Policy: Policy{Idempotency: IdempotencyRequired}}
	resp, err := e.Do(context.Background(), op, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, "PUT", origin.URL+"/thing", bytes.NewReader([]byte(`{}`)))
	})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	got := sink.requests()
	if len(got) != 1 {
		t.Fatalf("other origin got %d requests", len(got))
	}
	for _, h := range []string{"Authorization", "Cookie", "Proxy-Authorization", "X-Api-Key", "Idempotency-Key", "X-Signature", "X-Nonce"} {
		if v := got[0].Get(h); v != "" {
			t.Errorf("%s reached the other origin: %q", h, v)
		}
	}
	if got[0].Get("X-Request-Note") != "kept" || got[0].Get("Traceparent") == "" {
		t.Errorf("ordinary headers lost: %v", got[0])
	}
	if userChecks != 1 || user.CheckRedirect == nil {
		t.Errorf("the caller's CheckRedirect ran %d times", userChecks)
	}
	if e.s.HTTPClient == user {
		t.Error("the caller's *http.Client was used (and would be mutated) instead of a copy")
	}
}

// A signed call is never followed to another origin: the 3xx is the
// answer, and the other origin sees nothing.
func TestRedirectSignedCallNotFollowedAcrossOrigins(t *testing.T) {
	for _, f := range []SignatureFormat{FormatAccord, FormatStandardWebhooks, FormatHTTPMessageSignatures} {
		t.Run(string(f), func(t *testing.T) {
			sink := &headerSink{}
			other := newLoopback(t, sink.handler)
			origin := newLoopback(t, redirectTo(other.URL+"/landed"))
			signer := Signer{Scheme: SignatureScheme{Name: "s", Format: f}, Secrets: StaticSecrets{[]byte(testKeyNew)}}
			e := NewEngine(WithSigner("s", signer))
			op := Operation{ID: "create", Method: "POST", Policy: Policy{Signature: "s", Idempotency: IdempotencyRequired}}
			resp, err := e.Do(context.Background(), op, func(ctx context.Context) (*http.Request, error) {
				return http.NewRequestWithContext(ctx, "POST", origin.URL+"/v1/payments", bytes.NewReader([]byte(`{"amount":1}`)))
			})
			var re *ResponseError
			if !errors.As(err, &re) || re.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != other.URL+"/landed" {
				t.Fatalf("want the 307 back, got %v", err)
			}
			if n := len(sink.requests()); n != 0 {
				t.Fatalf("other origin got %d requests", n)
			}
		})
	}
}

// A same-origin redirect keeps the signature headers, but the signature
// binds the original target, so the verifier at the new path refuses it.
func TestRedirectSameOriginKeepsSignatureBoundToOriginalTarget(t *testing.T) {
	scheme := SignatureScheme{Name: "s"}
	secrets := StaticSecrets{[]byte(testKeyNew)}
	v := Verifier{Scheme: scheme, Secrets: secrets}
	var verdict error
	var sawSignature bool
	mux := http.NewServeMux()
	mux.HandleFunc("/old", redirectTo("/new"))
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		sawSignature = r.Header.Get("X-Signature") != "" && r.Header.Get("Idempotency-Key") != ""
		if _, verdict = v.Verify(r.Context(), r, b); verdict != nil {
			w.WriteHeader(http.StatusUnauthorized)
		}
	})
	srv := newLoopback(t, mux.ServeHTTP)
	e := NewEngine(WithSigner("s", Signer{Scheme: scheme, Secrets: secrets}))
	op := Operation{ID: "create", Method: "POST", Policy: Policy{Signature: "s", Idempotency: IdempotencyRequired}}
	_, err := e.Do(context.Background(), op, func(ctx context.Context) (*http.Request, error) {
		return http.NewRequestWithContext(ctx, "POST", srv.URL+"/old", bytes.NewReader([]byte(`{"amount":1}`)))
	})
	var re *ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusUnauthorized {
		t.Fatalf("want 401 at the new target, got %v", err)
	}
	if !sawSignature || !errors.Is(verdict, ErrSignatureInvalid) {
		t.Fatalf("signature kept %v, verdict %v", sawSignature, verdict)
	}
}

func TestSameOrigin(t *testing.T) {
	for _, c := range []struct {
		a, b string
		same bool
	}{
		{"https://api.example.com/a", "https://API.example.com:443/b", true},
		{"http://127.0.0.1:8080/a", "http://127.0.0.1:8080/b?x", true},
		{"http://127.0.0.1:8080/a", "http://127.0.0.1:8081/a", false},
		{"https://api.example.com/a", "http://api.example.com/a", false}, // downgrade
		{"https://api.example.com/a", "https://evil.example.com/a", false},
		{"https://api.example.com/a", "https://sub.api.example.com/a", false},
	} {
		a, _ := url.Parse(c.a)
		b, _ := url.Parse(c.b)
		if rtSameOrigin(a, b) != c.same {
			t.Errorf("%s vs %s: same=%v", c.a, c.b, !c.same)
		}
	}
}
