package runtime

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func authOp(sec ...SecurityRequirement) Operation {
	return Operation{ID: "op", Method: "GET", Pattern: "/x", Policy: Policy{Retries: 2, RetryOn: []int{503}}, Security: sec}
}

func TestClientAppliesEachScheme(t *testing.T) {
	var got atomic.Value
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		ck, _ := r.Cookie("session")
		v := ""
		if ck != nil {
			v = ck.Value
		}
		got.Store(fmt.Sprintf("auth=%s key=%s q=%s cookie=%s", r.Header.Get("Authorization"), r.Header.Get("X-API-Key"), r.URL.Query().Get("api_key"), v))
	})
	var rotating atomic.Int32
	e := NewEngine(
		WithClientAuth("bearerAuth", BearerAuth{Source: TokenSourceFunc(func(context.Context) (string, error) {
			return fmt.Sprintf("tok%d", rotating.Add(1)), nil
		})}),
		WithClientAuth("basicAuth", BasicAuth{Source: StaticBasicAuth{Username: "ann", Password: "pw"}}),
		WithClientAuth("apiKey", APIKeyAuth{In: "header", Name: "X-API-Key", Source: StaticToken("k1")}),
		WithClientAuth("queryKey", APIKeyAuth{In: "query", Name: "api_key", Source: StaticToken("k2")}),
		WithClientAuth("cookieKey", APIKeyAuth{In: "cookie", Name: "session", Source: StaticToken("k3")}),
	)
	call := func(sec ...SecurityRequirement) string {
		t.Helper()
		resp, err := e.Do(context.Background(), authOp(sec...), getReq(srv.URL+"/x?a=1"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return got.Load().(string)
	}
	if s := call(req1("bearerAuth")); s != "auth=Bearer tok1 key= q= cookie=" {
		t.Fatalf("bearer: %s", s)
	}
	if s := call(req1("bearerAuth")); s != "auth=Bearer tok2 key= q= cookie=" {
		t.Fatalf("the token source is asked per call: %s", s)
	}
	if s := call(req1("basicAuth")); s != "auth=Basic "+b64("ann:pw")+" key= q= cookie=" {
		t.Fatalf("basic: %s", s)
	}
	if s := call(SecurityRequirement{{Scheme: "apiKey"}, {Scheme: "queryKey"}, {Scheme: "cookieKey"}}); s != "auth= key=k1 q=k2 cookie=k3" {
		t.Fatalf("api keys AND'ed: %s", s)
	}
	// The first alternative whose schemes are all configured wins.
	if s := call(SecurityRequirement{{Scheme: "oauth"}, {Scheme: "apiKey"}}, req1("basicAuth"), req1("apiKey")); !strings.HasPrefix(s, "auth=Basic") || strings.Contains(s, "key=k1") {
		t.Fatalf("alternative choice: %s", s)
	}
	// Nothing configured: the request goes out bare.
	if s := call(req1("oauth")); s != "auth= key= q= cookie=" {
		t.Fatalf("unconfigured: %s", s)
	}
}

func TestClientCredentialErrorFailsCall(t *testing.T) {
	var hits atomic.Int32
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	e := NewEngine(WithClientAuth("bearerAuth", BearerAuth{Source: TokenSourceFunc(func(context.Context) (string, error) {
		return "", errors.New("vault sealed")
	})}))
	_, err := e.Do(context.Background(), authOp(req1("bearerAuth")), getReq(srv.URL))
	var ce *CallError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "vault sealed") {
		t.Fatalf("err %v", err)
	}
	if hits.Load() != 0 {
		t.Fatal("a request went out without its credentials")
	}
}

// tokenServer is a fake OAuth2 token endpoint issuing tok1, tok2, ...
type tokenServer struct {
	*httptest.Server
	requests atomic.Int32
	delay    time.Duration
	expires  int
	mu       sync.Mutex
	forms    []string
}

func newTokenServer(t *testing.T, delay time.Duration, expires int) *tokenServer {
	ts := &tokenServer{delay: delay, expires: expires}
	ts.Server = newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		n := ts.requests.Add(1)
		id, secret, ok := r.BasicAuth()
		// RFC 6749 §2.3.1: form-encoded inside basic.
		id, _ = url.QueryUnescape(id)
		secret, _ = url.QueryUnescape(secret)
		if err := r.ParseForm(); err != nil || !ok || id != "client-1" || secret != "s&cret" || r.Form.Get("grant_type") != "client_credentials" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(401)
			_, _ = io.WriteString(w, `{"error":"invalid_client","error_description":"who are you"}`)
			return
		}
		ts.mu.Lock()
		ts.forms = append(ts.forms, r.Form.Encode())
		ts.mu.Unlock()
		time.Sleep(ts.delay)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"access_token":"tok%d","token_type":"Bearer","expires_in":%d}`, n, ts.expires)
	})
	return ts
}

func (ts *tokenServer) credentials(now func() time.Time) *ClientCredentials {
	return NewClientCredentials(ClientCredentialsConfig{
		TokenURL: ts.URL + "/oauth/token", ClientID: "client-1", Secret: StaticToken("s&cret"),
		Scopes: []string{"payments:read", "payments:write"}, Skew: 10 * time.Second, Now: now,
	})
}

// apiServer accepts the tokens in valid and counts requests.
func apiServer(t *testing.T, valid func(tok string) bool) (*httptest.Server, *atomic.Int32) {
	var n atomic.Int32
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		if !valid(strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")) {
			w.Header().Set("WWW-Authenticate", `Bearer error="invalid_token"`)
			w.WriteHeader(401)
			return
		}
		w.WriteHeader(204)
	})
	return srv, &n
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func concurrentCalls(t *testing.T, e *Engine, op Operation, url string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			resp, err := e.Do(context.Background(), op, getReq(url))
			if err != nil {
				errs <- err
				return
			}
			resp.Body.Close()
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
}

func TestClientCredentialsOneTokenRequestForConcurrentCalls(t *testing.T) {
	ts := newTokenServer(t, 50*time.Millisecond, 3600)
	clock := &fakeClock{t: time.Now()}
	cc := ts.credentials(clock.Now)
	if err := cc.Check(); err != nil {
		t.Fatal(err)
	}
	srv, hits := apiServer(t, func(tok string) bool { return strings.HasPrefix(tok, "tok") })
	e := NewEngine(WithClientAuth("oauth", BearerAuth{Source: cc}))
	op := authOp(req1("oauth", "payments:read"))

	concurrentCalls(t, e, op, srv.URL, 100)
	if n := ts.requests.Load(); n != 1 {
		t.Fatalf("100 concurrent calls caused %d token requests, want 1", n)
	}
	if hits.Load() != 100 {
		t.Fatalf("api saw %d requests", hits.Load())
	}
	if f := ts.forms[0]; f != "grant_type=client_credentials&scope=payments%3Aread+payments%3Awrite" {
		t.Fatalf("token request form %q", f)
	}

	// Inside the skew window the old token is still used while exactly one
	// renewal runs; past expiry callers wait for that one renewal.
	clock.Add(3600*time.Second - 5*time.Second)
	concurrentCalls(t, e, op, srv.URL, 50)
	deadline := time.Now().Add(5 * time.Second)
	for ts.requests.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(100 * time.Millisecond) // let a second, wrong renewal show up
	if n := ts.requests.Load(); n != 2 {
		t.Fatalf("renewal ahead of expiry: %d token requests, want 2", n)
	}
	clock.Add(2 * 3600 * time.Second)
	concurrentCalls(t, e, authOp(req1("oauth")), srv.URL, 100)
	if n := ts.requests.Load(); n != 3 {
		t.Fatalf("after expiry: %d token requests, want 3", n)
	}
}

func TestClientCredentials401RefreshesOnceAndRetriesOnce(t *testing.T) {
	ts := newTokenServer(t, 0, 3600)
	cc := ts.credentials(nil)
	// tok1 is revoked by the provider before it expires; tok2 works.
	srv, hits := apiServer(t, func(tok string) bool { return tok == "tok2" })
	e := NewEngine(WithClientAuth("oauth", BearerAuth{Source: cc}))
	post := Operation{ID: "create", Method: "POST", Pattern: "/x", Policy: Policy{Retries: 0}, Security: []SecurityRequirement{req1("oauth")}}
	var attempts []AttemptInfo
	e.s.Hooks.OnAttempt = func(a AttemptInfo) { attempts = append(attempts, a) }
	resp, err := e.Do(context.Background(), post, postReq(srv.URL, `{"amount":1}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if ts.requests.Load() != 2 || hits.Load() != 2 {
		t.Fatalf("token requests %d, api requests %d; want 2 and 2", ts.requests.Load(), hits.Load())
	}
	if len(attempts) != 2 || attempts[0].RetryReason != "auth" {
		t.Fatalf("attempts %+v", attempts)
	}

	// A provider that refuses every token: one refresh, one retry, then
	// the 401 is the caller's.
	deny, denied := apiServer(t, func(string) bool { return false })
	before := ts.requests.Load()
	_, err = e.Do(context.Background(), authOp(req1("oauth")), getReq(deny.URL))
	var re *ResponseError
	if !errors.As(err, &re) || re.StatusCode != 401 {
		t.Fatalf("err %v", err)
	}
	if denied.Load() != 2 || ts.requests.Load()-before != 1 {
		t.Fatalf("api requests %d (want 2), token requests %d (want 1)", denied.Load(), ts.requests.Load()-before)
	}
	// A static token cannot be refreshed: a 401 is final at once.
	static := NewEngine(WithClientAuth("oauth", BearerAuth{Source: StaticToken("nope")}))
	n := denied.Load()
	if _, err := static.Do(context.Background(), authOp(req1("oauth")), getReq(deny.URL)); err == nil || denied.Load()-n != 1 {
		t.Fatalf("static token 401: err %v, requests %d", err, denied.Load()-n)
	}
}

func TestClientCredentialsTokenEndpointErrors(t *testing.T) {
	ts := newTokenServer(t, 0, 60)
	bad := NewClientCredentials(ClientCredentialsConfig{TokenURL: ts.URL, ClientID: "client-1", Secret: StaticToken("wrong")})
	if _, err := bad.Token(context.Background()); err == nil || !strings.Contains(err.Error(), "invalid_client") {
		t.Fatalf("err %v", err)
	}
	if err := NewClientCredentials(ClientCredentialsConfig{TokenURL: "/oauth/token", ClientID: "x", Secret: StaticToken("y")}).Check(); err == nil {
		t.Fatal("relative token URL accepted")
	}
	// A waiting caller's own deadline ends its wait, not the others'.
	slow := newTokenServer(t, 300*time.Millisecond, 60)
	cc := slow.credentials(nil)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if _, err := cc.Token(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err %v", err)
	}
	tok, err := cc.Token(context.Background())
	if err != nil || tok != "tok1" || slow.requests.Load() != 1 {
		t.Fatalf("token %q err %v requests %d", tok, err, slow.requests.Load())
	}
}

func TestClientCertificate(t *testing.T) {
	clients := newTestCA(t, "clients")
	server := newTestCA(t, "server")
	var subject atomic.Value
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		subject.Store(r.TLS.PeerCertificates[0].Subject.CommonName)
	}))
	srv.TLS = MutualTLSConfig(clients.pool)
	srv.TLS.ClientAuth = tls.RequireAndVerifyClientCert
	srv.TLS.Certificates = []tls.Certificate{server.leaf(t, "server", true)}
	srv.StartTLS()
	defer srv.Close()
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: server.pool, MinVersion: tls.VersionTLS10}}}
	e := NewEngine(WithHTTPClient(hc), WithClientCertificate("mtls", StaticCertificate(clients.leaf(t, "acme-corp", false))))
	if mv := e.s.HTTPClient.Transport.(*http.Transport).TLSClientConfig.MinVersion; mv != tls.VersionTLS12 {
		t.Fatalf("min version %x, want TLS 1.2", mv)
	}
	if hc.Transport.(*http.Transport).TLSClientConfig.GetClientCertificate != nil {
		t.Fatal("the caller's transport was modified")
	}
	resp, err := e.Do(context.Background(), authOp(req1("mtls")), getReq(srv.URL))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if subject.Load() != "acme-corp" {
		t.Fatalf("server saw %v", subject.Load())
	}
	without := NewEngine(WithHTTPClient(hc))
	if _, err := without.Do(context.Background(), authOp(req1("mtls")), getReq(srv.URL)); err == nil {
		t.Fatal("handshake without a client certificate succeeded")
	}
}
