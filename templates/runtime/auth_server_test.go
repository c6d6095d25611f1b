package runtime

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

var testSchemes = map[string]SecurityScheme{
	"bearerAuth": {Name: "bearerAuth", Kind: SchemeBearer, HTTPScheme: "bearer"},
	"basicAuth":  {Name: "basicAuth", Kind: SchemeBasic, HTTPScheme: "basic"},
	"apiKey":     {Name: "apiKey", Kind: SchemeAPIKey, In: "header", ParamName: "X-API-Key"},
	"queryKey":   {Name: "queryKey", Kind: SchemeAPIKey, In: "query", ParamName: "api_key"},
	"cookieKey":  {Name: "cookieKey", Kind: SchemeAPIKey, In: "cookie", ParamName: "session"},
	"oauth":      {Name: "oauth", Kind: SchemeOAuth2, TokenURL: "https://auth.example/token", Scopes: []string{"read", "write"}},
	"oidc":       {Name: "oidc", Kind: SchemeOIDC, OpenIDConnectURL: "https://auth.example/.well-known/openid-configuration"},
	"mtls":       {Name: "mtls", Kind: SchemeMutualTLS},
}

// testAuthenticators accept one secret per scheme; tokens carry their
// scopes after a colon ("tok:read,write").
func testAuthenticators() map[string]AuthenticateFunc {
	token := func(ctx context.Context, c AuthCredentials) (Principal, error) {
		secret, scopes, _ := strings.Cut(c.Token, ":")
		switch secret {
		case "good":
			p := Principal{Subject: "tenant-" + c.Scheme}
			if scopes != "" {
				p.Scopes = strings.Split(scopes, ",")
			}
			return p, nil
		case "banned":
			return Principal{}, ErrAuthForbidden
		case "down":
			return Principal{}, downErr{}
		}
		return Principal{}, errors.New("unknown token")
	}
	return map[string]AuthenticateFunc{
		"bearerAuth": token, "apiKey": token, "queryKey": token, "cookieKey": token, "oauth": token, "oidc": token,
		"basicAuth": func(ctx context.Context, c AuthCredentials) (Principal, error) {
			if c.Username == "ann" && c.Password == "s3:cret" {
				return Principal{Subject: "ann"}, nil
			}
			return Principal{}, errors.New("bad password")
		},
		"mtls": func(ctx context.Context, c AuthCredentials) (Principal, error) {
			return Principal{Subject: c.Certificate.Subject.CommonName}, nil
		},
	}
}

type downErr struct{}

func (downErr) Error() string { return "identity provider down" }
func (downErr) Problem() ProblemDetails {
	return ProblemDetails{Status: http.StatusServiceUnavailable, Detail: "identity provider down"}
}

// authChain serves op through Chain with the test authenticators and
// records the principal the handler saw; ran counts handler runs.
func authChain(t testing.TB, sec []SecurityRequirement, auths map[string]AuthenticateFunc) (http.Handler, *atomic.Int32, *atomic.Value) {
	var ran atomic.Int32
	var seen atomic.Value
	s := &ServerSettings{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), Authenticators: auths, SecuritySchemes: testSchemes, AuthRealm: "payments"}
	op := Operation{ID: "op", Method: "GET", Pattern: "/x", Policy: Policy{Idempotency: IdempotencyOff}, Security: sec}
	h := Chain(op, s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran.Add(1)
		p, _ := PrincipalFromContext(r.Context())
		seen.Store(p)
		w.WriteHeader(http.StatusNoContent)
	}))
	return h, &ran, &seen
}

func serveAuth(h http.Handler, edit func(*http.Request)) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/x", nil)
	if edit != nil {
		edit(req)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	return w
}

func bearer(tok string) func(*http.Request) {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
}

func req1(scheme string, scopes ...string) SecurityRequirement {
	return SecurityRequirement{{Scheme: scheme, Scopes: scopes}}
}

func TestAuthBearerMissingInvalidForbidden(t *testing.T) {
	h, ran, seen := authChain(t, []SecurityRequirement{req1("bearerAuth", "payments:write")}, testAuthenticators())
	cases := []struct {
		name      string
		edit      func(*http.Request)
		status    int
		challenge string
	}{
		{"none", nil, 401, `Bearer realm="payments", scope="payments:write"`},
		{"other scheme", func(r *http.Request) { r.Header.Set("Authorization", "Basic Zm9vOmJhcg==") }, 401, `Bearer realm="payments", scope="payments:write"`},
		{"invalid", bearer("forged"), 401, `Bearer realm="payments", error="invalid_token", scope="payments:write"`},
		{"no scope", bearer("good:payments:read"), 403, `Bearer realm="payments", error="insufficient_scope", scope="payments:write"`},
		{"banned", bearer("banned"), 403, ""},
		{"provider down", bearer("down"), 503, ""},
	}
	for _, tc := range cases {
		w := serveAuth(h, tc.edit)
		if w.Code != tc.status {
			t.Errorf("%s: status %d, want %d", tc.name, w.Code, tc.status)
		}
		if got := w.Header().Get("WWW-Authenticate"); got != tc.challenge {
			t.Errorf("%s: WWW-Authenticate %q, want %q", tc.name, got, tc.challenge)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/problem+json" {
			t.Errorf("%s: content type %q", tc.name, ct)
		}
	}
	if n := ran.Load(); n != 0 {
		t.Fatalf("handler ran %d times for refused requests", n)
	}
	w := serveAuth(h, func(r *http.Request) { r.Header.Set("Authorization", "bEaReR good:payments:write") })
	if w.Code != 204 || ran.Load() != 1 {
		t.Fatalf("valid token: status %d, ran %d", w.Code, ran.Load())
	}
	if p := seen.Load().(Principal); p.Subject != "tenant-bearerAuth" || p.Scheme != "bearerAuth" {
		t.Fatalf("principal %+v", p)
	}
}

func TestAuthBasicAndAPIKeyLocations(t *testing.T) {
	auths := testAuthenticators()
	ok := func(name string, sec SecurityRequirement, edit func(*http.Request), wantSubject string) {
		t.Helper()
		h, ran, seen := authChain(t, []SecurityRequirement{sec}, auths)
		if w := serveAuth(h, nil); w.Code != 401 || w.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("%s without credentials: %d %q", name, w.Code, w.Header().Get("WWW-Authenticate"))
		}
		w := serveAuth(h, edit)
		if w.Code != 204 || ran.Load() != 1 {
			t.Errorf("%s: status %d, ran %d", name, w.Code, ran.Load())
			return
		}
		if p := seen.Load().(Principal); p.Subject != wantSubject {
			t.Errorf("%s: principal %+v", name, p)
		}
	}
	ok("basic", req1("basicAuth"), func(r *http.Request) { r.SetBasicAuth("ann", "s3:cret") }, "ann")
	ok("header key", req1("apiKey"), func(r *http.Request) { r.Header.Set("X-API-Key", "good") }, "tenant-apiKey")
	ok("query key", req1("queryKey"), func(r *http.Request) { r.URL.RawQuery = "api_key=good" }, "tenant-queryKey")
	ok("cookie key", req1("cookieKey"), func(r *http.Request) { r.AddCookie(&http.Cookie{Name: "session", Value: "good"}) }, "tenant-cookieKey")
	ok("oidc", req1("oidc"), bearer("good"), "tenant-oidc")

	h, ran, _ := authChain(t, []SecurityRequirement{req1("basicAuth")}, auths)
	for _, bad := range []string{"Basic !!!", "Basic " + b64("no-colon"), "Basic " + b64("ann:wrong")} {
		w := serveAuth(h, func(r *http.Request) { r.Header.Set("Authorization", bad) })
		if w.Code != 401 || w.Header().Get("WWW-Authenticate") != `Basic realm="payments", charset="UTF-8"` {
			t.Errorf("%q: %d %q", bad, w.Code, w.Header().Get("WWW-Authenticate"))
		}
	}
	if ran.Load() != 0 {
		t.Fatal("handler ran with bad basic credentials")
	}
}

// TestAuthOrOfAnds: (bearer AND apiKey) OR basic. One half of the AND is
// not enough; the other alternative alone is.
func TestAuthOrOfAnds(t *testing.T) {
	sec := []SecurityRequirement{
		{{Scheme: "bearerAuth"}, {Scheme: "apiKey"}},
		req1("basicAuth"),
	}
	h, ran, seen := authChain(t, sec, testAuthenticators())
	key := func(r *http.Request) { r.Header.Set("X-API-Key", "good") }
	both := func(r *http.Request) { bearer("good")(r); key(r) }
	if w := serveAuth(h, bearer("good")); w.Code != 401 {
		t.Fatalf("bearer alone: %d", w.Code)
	}
	if w := serveAuth(h, key); w.Code != 401 {
		t.Fatalf("key alone: %d", w.Code)
	}
	w := serveAuth(h, nil)
	if got := w.Header().Values("WWW-Authenticate"); len(got) != 3 {
		t.Fatalf("challenges %q, want one per scheme", got)
	}
	if ran.Load() != 0 {
		t.Fatal("handler ran for half an AND")
	}
	if w := serveAuth(h, both); w.Code != 204 {
		t.Fatalf("bearer and key: %d", w.Code)
	}
	if p := seen.Load().(Principal); p.Subject != "tenant-bearerAuth" {
		t.Fatalf("principal of an AND is its first scheme's: %+v", p)
	}
	if w := serveAuth(h, func(r *http.Request) { r.SetBasicAuth("ann", "s3:cret") }); w.Code != 204 {
		t.Fatalf("basic alternative: %d", w.Code)
	}
}

func TestAuthAnonymousAlternativeAndOpen(t *testing.T) {
	h, _, seen := authChain(t, []SecurityRequirement{req1("bearerAuth"), {}}, testAuthenticators())
	if w := serveAuth(h, nil); w.Code != 204 {
		t.Fatalf("anonymous alternative: %d", w.Code)
	}
	if p := seen.Load().(Principal); p.Subject != "" {
		t.Fatalf("anonymous caller got principal %+v", p)
	}
	if w := serveAuth(h, bearer("good")); w.Code != 204 || seen.Load().(Principal).Subject == "" {
		t.Fatalf("authenticated caller: %d %+v", w.Code, seen.Load())
	}
	open, _, _ := authChain(t, nil, nil)
	if w := serveAuth(open, nil); w.Code != 204 {
		t.Fatalf("open operation: %d", w.Code)
	}
}

func TestAuthFailsClosedWithoutAuthenticator(t *testing.T) {
	var logs syncBuffer
	s := &ServerSettings{Logger: slog.New(slog.NewJSONHandler(&logs, nil)), SecuritySchemes: testSchemes}
	var ran atomic.Int32
	op := Operation{ID: "createPayment", Method: "POST", Pattern: "/x", Security: []SecurityRequirement{req1("bearerAuth")}}
	h := Chain(op, s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran.Add(1) }))
	w := serveAuth(h, bearer("anything"))
	if w.Code != 500 || ran.Load() != 0 {
		t.Fatalf("status %d, ran %d: an operation with security and no authenticator must refuse", w.Code, ran.Load())
	}
	if !strings.Contains(logs.String(), "no authenticator") || !strings.Contains(logs.String(), "createPayment") {
		t.Fatalf("no log line naming the operation: %s", logs.String())
	}
}

func TestAuthMutualTLS(t *testing.T) {
	ca := newTestCA(t, "clients")
	other := newTestCA(t, "someone else")
	srvCA := newTestCA(t, "server")
	h, ran, seen := authChain(t, []SecurityRequirement{req1("mtls")}, testAuthenticators())
	srv := httptest.NewUnstartedServer(h)
	srv.TLS = MutualTLSConfig(ca.pool)
	srv.TLS.Certificates = []tls.Certificate{srvCA.leaf(t, "server", true)}
	srv.StartTLS()
	defer srv.Close()
	client := func(certs ...tls.Certificate) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srvCA.pool, Certificates: certs}}}
	}
	get := func(c *http.Client) (int, error) {
		resp, err := c.Get(srv.URL + "/x")
		if err != nil {
			return 0, err
		}
		resp.Body.Close()
		return resp.StatusCode, nil
	}
	if code, err := get(client()); err != nil || code != 401 {
		t.Fatalf("no certificate: %d %v", code, err)
	}
	// A certificate from another CA, forced onto the handshake, fails it
	// (VerifyClientCertIfGiven verifies whatever is presented).
	forced := StaticCertificate(other.leaf(t, "mallory", false))
	mallory := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: srvCA.pool, GetClientCertificate: forced}}}
	if code, err := get(mallory); err == nil {
		t.Fatalf("a certificate from an unknown CA was accepted: %d", code)
	}
	if code, err := get(client(ca.leaf(t, "acme-corp", false))); err != nil || code != 204 {
		t.Fatalf("verified certificate: %d %v", code, err)
	}
	if ran.Load() != 1 || seen.Load().(Principal).Subject != "acme-corp" {
		t.Fatalf("ran %d, principal %+v", ran.Load(), seen.Load())
	}
	// Presented but unverified (a server that does not check chains): refused.
	plain := serveAuth(h, nil)
	if plain.Code != 401 {
		t.Fatalf("plain HTTP: %d", plain.Code)
	}
}

func TestHardenedTLSRefusesTLS11(t *testing.T) {
	ca := newTestCA(t, "server")
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = HardenedTLSConfig()
	srv.TLS.Certificates = []tls.Certificate{ca.leaf(t, "server", true)}
	srv.StartTLS()
	defer srv.Close()
	old := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11}}}
	if resp, err := old.Get(srv.URL); err == nil {
		resp.Body.Close()
		t.Fatal("TLS 1.1 handshake accepted")
	}
	modern := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: ca.pool, MaxVersion: tls.VersionTLS12}}}
	resp, err := modern.Get(srv.URL)
	if err != nil {
		t.Fatalf("TLS 1.2: %v", err)
	}
	resp.Body.Close()
}

func TestIPAllowList(t *testing.T) {
	allow, err := ParseIPAllowList("10.0.0.0/8", "192.0.2.7", "::1")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ParseIPAllowList("10.0.0.0/33"); err == nil {
		t.Fatal("bad prefix accepted")
	}
	var ran atomic.Int32
	s := &ServerSettings{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), AllowIPs: allow}
	h := Chain(Operation{ID: "op", Method: "GET", Pattern: "/x"}, s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { ran.Add(1) }))
	for addr, want := range map[string]int{
		"10.1.2.3:5000": 200, "192.0.2.7:1": 200, "[::1]:80": 200, "[::ffff:10.9.9.9]:1": 200,
		"192.0.2.8:1": 403, "203.0.113.1:443": 403, "garbage": 403,
	} {
		req := httptest.NewRequest("GET", "/x", nil)
		req.RemoteAddr = addr
		req.Header.Set("X-Forwarded-For", "10.0.0.1") // never trusted
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != want {
			t.Errorf("%s: %d, want %d", addr, w.Code, want)
		}
	}
	if ran.Load() != 4 {
		t.Fatalf("handler ran %d times, want 4", ran.Load())
	}
}

func TestHSTSAndCORS(t *testing.T) {
	next := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(200) })
	h := HSTS(365*24*time.Hour, true)(next)
	w := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/", nil)
	h.ServeHTTP(w, req)
	if w.Header().Get("Strict-Transport-Security") != "" {
		t.Fatal("HSTS over plain HTTP")
	}
	req.TLS = &tls.ConnectionState{}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, req)
	if got := w.Header().Get("Strict-Transport-Security"); got != "max-age=31536000; includeSubDomains" {
		t.Fatalf("HSTS %q", got)
	}

	if _, err := NewCORS(CORSOptions{AllowedOrigins: []string{"*"}, AllowCredentials: true}); err == nil {
		t.Fatal("* with credentials accepted")
	}
	for _, bad := range []string{"app.example.com", "https://app.example.com/path", "ftp://x"} {
		if _, err := NewCORS(CORSOptions{AllowedOrigins: []string{bad}}); err == nil {
			t.Errorf("origin %q accepted", bad)
		}
	}
	cors, err := NewCORS(CORSOptions{AllowedOrigins: []string{"https://app.example.com"}, AllowCredentials: true,
		AllowedHeaders: []string{"Authorization", "Content-Type"}, MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	ch := cors(next)
	pre := func(origin string) *httptest.ResponseRecorder {
		r := httptest.NewRequest("OPTIONS", "/v1/payments", nil)
		r.Header.Set("Origin", origin)
		r.Header.Set("Access-Control-Request-Method", "POST")
		w := httptest.NewRecorder()
		ch.ServeHTTP(w, r)
		return w
	}
	w = pre("https://app.example.com")
	if w.Code != 204 || w.Header().Get("Access-Control-Allow-Origin") != "https://app.example.com" ||
		w.Header().Get("Access-Control-Allow-Credentials") != "true" || w.Header().Get("Access-Control-Max-Age") != "3600" ||
		!slices.Contains(w.Header().Values("Vary"), "Origin") {
		t.Fatalf("allowed preflight: %d %v", w.Code, w.Header())
	}
	if w = pre("https://evil.example"); w.Code != 403 || w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatalf("foreign preflight: %d %v", w.Code, w.Header())
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Origin", "https://evil.example")
	w = httptest.NewRecorder()
	ch.ServeHTTP(w, r)
	if w.Header().Get("Access-Control-Allow-Origin") != "" {
		t.Fatal("foreign origin allowed")
	}
}

// BenchmarkChainAuth is BenchmarkChain's chain with a bearer requirement
// and scopes in front of the handler.
func BenchmarkChainAuth(b *testing.B) {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"p_1"}`)
	})
	granted := []string{"payments:read", "payments:write"}
	s := &ServerSettings{Logger: slog.New(slog.NewJSONHandler(io.Discard, nil)), SecuritySchemes: testSchemes,
		Authenticators: map[string]AuthenticateFunc{"bearerAuth": func(ctx context.Context, c AuthCredentials) (Principal, error) {
			if c.Token != "tok_live_1234" {
				return Principal{}, errors.New("bad token")
			}
			return Principal{Subject: "acct_1", Scopes: granted}, nil
		}}}
	op := Operation{ID: "getPayment", Method: "GET", Pattern: "/v1/payments/{id}", Policy: Policy{
		Timeout: time.Second, Concurrency: 64, Idempotency: IdempotencyOptional,
	}, Security: []SecurityRequirement{req1("bearerAuth", "payments:read")}}
	req := httptest.NewRequest("GET", "/v1/payments/p_1", nil)
	req.Header.Set("Traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")
	req.Header.Set("Authorization", "Bearer tok_live_1234")
	run := func(b *testing.B, h http.Handler, want int) {
		b.ReportAllocs()
		for b.Loop() {
			w := httptest.NewRecorder()
			h.ServeHTTP(w, req)
			if w.Code != want {
				b.Fatal(w.Code)
			}
		}
	}
	b.Run("auth", func(b *testing.B) { run(b, Chain(op, s, h), 200) })
	op.Policy.Timeout = 0
	b.Run("auth-no-timeout", func(b *testing.B) { run(b, Chain(op, s, h), 200) })
	op.Security = nil
	b.Run("no-auth-no-timeout", func(b *testing.B) { run(b, Chain(op, s, h), 200) })
}
