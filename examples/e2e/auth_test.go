package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/examples/partners/partnersapi"
	"github.com/accord-dev/accord/examples/payments/paymentsapi"
)

// The payments contract declares bearerAuth for the whole API. The attack
// the issue names: a POST with no credentials used to create a payment.
func TestAuthPaymentsRefusesMissingCredentials(t *testing.T) {
	t.Parallel()
	prov := newProvider()
	srv := startPayments(t, prov)
	post := func(auth string) *http.Response {
		req, _ := http.NewRequest(http.MethodPost, srv.URL+"/v1/payments", strings.NewReader(`{"amount_minor":5,"currency":"EUR","customer_id":"c"}`))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Idempotency-Key", "attack-"+auth)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp
	}
	resp := post("")
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Bearer realm="Payments`) ||
		resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("no credentials: %d %q %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"), resp.Header.Get("Content-Type"))
	}
	if resp := post("Bearer forged"); resp.StatusCode != http.StatusUnauthorized || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_token"`) {
		t.Fatalf("forged token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if prov.runs.Load() != 0 {
		t.Fatalf("the handler ran %d times for unauthenticated requests", prov.runs.Load())
	}

	// A server built without WithAuthenticator never runs the handler of
	// an operation that asks for credentials, whatever the request holds.
	open := newProvider()
	bare := serve(t, paymentsapi.NewServer(open, paymentsapi.WithLogger(quietLogger())))
	c := newClient(t, bare.URL)
	_, err := c.CreatePayment(context.Background(), nil, paymentRequest(5))
	var re *paymentsapi.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusInternalServerError || open.runs.Load() != 0 {
		t.Fatalf("no authenticator: err %v, runs %d", err, open.runs.Load())
	}
	// The webhook declares security: [] and stays open to signed deliveries.
	if _, err := newClient(t, srv.URL).GetPayment(context.Background(), "pay_missing"); err == nil {
		t.Fatal("a missing payment was found")
	} else if errors.As(err, &re) && re.StatusCode == http.StatusUnauthorized {
		t.Fatalf("the generated client's bearer token was refused: %v", err)
	}
}

// bank is the partner API's implementation; runs counts handler calls and
// subjects the principals the handlers saw.
type bank struct {
	runs     atomic.Int32
	mu       sync.Mutex
	subjects []string
}

func (b *bank) saw(ctx context.Context) {
	b.runs.Add(1)
	p, _ := partnersapi.PrincipalFromContext(ctx)
	b.mu.Lock()
	b.subjects = append(b.subjects, p.Subject)
	b.mu.Unlock()
}

func (b *bank) last() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if len(b.subjects) == 0 {
		return ""
	}
	return b.subjects[len(b.subjects)-1]
}

func (b *bank) GetHealth(ctx context.Context, _ partnersapi.GetHealthRequestObject) (partnersapi.GetHealthResponseObject, error) {
	return partnersapi.GetHealth200JSONResponse{Status: "ok"}, nil
}

func (b *bank) GetDailyReport(ctx context.Context, _ partnersapi.GetDailyReportRequestObject) (partnersapi.GetDailyReportResponseObject, error) {
	b.saw(ctx)
	return partnersapi.GetDailyReport200JSONResponse{Count: 1, TotalMinor: 100}, nil
}

func (b *bank) ListTransfers(ctx context.Context, _ partnersapi.ListTransfersRequestObject) (partnersapi.ListTransfersResponseObject, error) {
	b.saw(ctx)
	return partnersapi.ListTransfers200JSONResponse{}, nil
}

func (b *bank) CreateTransfer(ctx context.Context, req partnersapi.CreateTransferRequestObject) (partnersapi.CreateTransferResponseObject, error) {
	b.saw(ctx)
	return partnersapi.CreateTransfer201JSONResponse{Id: "tr_1", AmountMinor: req.Body.AmountMinor, Currency: req.Body.Currency, Status: partnersapi.TransferStatusHeld}, nil
}

func (b *bank) ReleaseTransfer(ctx context.Context, req partnersapi.ReleaseTransferRequestObject) (partnersapi.ReleaseTransferResponseObject, error) {
	b.saw(ctx)
	return partnersapi.ReleaseTransfer200JSONResponse{Id: req.TransferId, AmountMinor: 1, Currency: "EUR", Status: partnersapi.TransferStatusReleased}, nil
}

// bankAuth is the partner API's Authenticator. OAuth2 tokens are the ones
// the fake token server issued, with the scopes it granted, unless revoked.
type bankAuth struct {
	tokens *fakeTokenServer
}

var errUnknown = errors.New("unknown credentials")

func (a bankAuth) AuthenticateOauth(_ context.Context, token string) (partnersapi.Principal, error) {
	if scopes, ok := a.tokens.valid(token); ok {
		return partnersapi.Principal{Subject: "partner-1", Scopes: scopes}, nil
	}
	return partnersapi.Principal{}, errUnknown
}

func (bankAuth) AuthenticateOidc(_ context.Context, token string) (partnersapi.Principal, error) {
	if token == "id-token-ok" {
		return partnersapi.Principal{Subject: "analyst"}, nil
	}
	return partnersapi.Principal{}, errUnknown
}

func (bankAuth) AuthenticateMtls(_ context.Context, cert *x509.Certificate) (partnersapi.Principal, error) {
	return partnersapi.Principal{Subject: "cert:" + cert.Subject.CommonName}, nil
}

func (bankAuth) AuthenticateBackOffice(_ context.Context, user, pass string) (partnersapi.Principal, error) {
	if user == "clerk" && pass == "hunter2:x" {
		return partnersapi.Principal{Subject: "clerk"}, nil
	}
	return partnersapi.Principal{}, errUnknown
}

func (bankAuth) AuthenticatePartnerKey(_ context.Context, key string) (partnersapi.Principal, error) {
	if key == "pk_live_1" {
		return partnersapi.Principal{Subject: "partner-key"}, nil
	}
	return partnersapi.Principal{}, errUnknown
}

// fakeTokenServer is an OAuth2 token endpoint on loopback: it issues tok1,
// tok2, ... with the scopes asked for (all of them, to partner-1) and
// counts requests.
type fakeTokenServer struct {
	*httptest.Server
	requests atomic.Int32
	expires  int // expires_in of every token
	delay    time.Duration
	mu       sync.Mutex
	issued   map[string][]string
	revoked  map[string]bool
	scopes   []string // of the last request
}

func newFakeTokenServer(t *testing.T, expires int, delay time.Duration) *fakeTokenServer {
	ts := &fakeTokenServer{expires: expires, delay: delay, issued: map[string][]string{}, revoked: map[string]bool{}}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := ts.requests.Add(1)
		id, secret, _ := r.BasicAuth()
		w.Header().Set("Content-Type", "application/json")
		if r.Method != http.MethodPost || r.ParseForm() != nil || r.Form.Get("grant_type") != "client_credentials" || id != "partner-1" || secret != "s3cret" {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		time.Sleep(ts.delay)
		tok := fmt.Sprintf("tok%d", n)
		scopes := strings.Fields(r.Form.Get("scope"))
		ts.mu.Lock()
		ts.issued[tok], ts.scopes = scopes, scopes
		ts.mu.Unlock()
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": ts.expires})
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *fakeTokenServer) valid(tok string) ([]string, bool) {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	s, ok := ts.issued[tok]
	return s, ok && !ts.revoked[tok]
}

func (ts *fakeTokenServer) revoke(tok string) {
	ts.mu.Lock()
	ts.revoked[tok] = true
	ts.mu.Unlock()
}

// issue hands out a token with the given scopes, as if another client had
// asked for it.
func (ts *fakeTokenServer) issue(tok string, scopes ...string) string {
	ts.mu.Lock()
	ts.issued[tok] = scopes
	ts.mu.Unlock()
	return tok
}

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func startBank(t *testing.T, b *bank, ts *fakeTokenServer) *httptest.Server {
	t.Helper()
	return serve(t, partnersapi.NewServer(b, partnersapi.WithLogger(quietLogger()), partnersapi.WithAuthenticator(bankAuth{tokens: ts})))
}

func rawCall(t *testing.T, method, url string, edit func(*http.Request)) *http.Response {
	t.Helper()
	var body io.Reader
	if method == http.MethodPost {
		body = strings.NewReader(`{"amount_minor":100,"currency":"EUR"}`)
	}
	req, _ := http.NewRequest(method, url, body)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", fmt.Sprintf("k-%d", time.Now().UnixNano()))
	if edit != nil {
		edit(req)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// TestAuthPartnersPerOperation: the contract's security per operation,
// over loopback with the generated server.
func TestAuthPartnersPerOperation(t *testing.T) {
	t.Parallel()
	b := &bank{}
	ts := newFakeTokenServer(t, 3600, 0)
	srv := startBank(t, b, ts)
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	key := func(r *http.Request) { r.Header.Set("X-Partner-Key", "pk_live_1") }
	basic := func(r *http.Request) { r.SetBasicAuth("clerk", "hunter2:x") }
	both := func(r *http.Request) { key(r); basic(r) }

	if resp := rawCall(t, "GET", srv.URL+"/health", nil); resp.StatusCode != 200 {
		t.Fatalf("security: [] operation: %d", resp.StatusCode)
	}
	resp := rawCall(t, "GET", srv.URL+"/transfers", nil)
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") != `Bearer realm="Partner API", scope="transfers:read"` {
		t.Fatalf("no token: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	reader := ts.issue("reader", "transfers:read")
	if resp := rawCall(t, "GET", srv.URL+"/transfers", bearer(reader)); resp.StatusCode != 200 {
		t.Fatalf("read scope on listTransfers: %d", resp.StatusCode)
	}
	resp = rawCall(t, "POST", srv.URL+"/transfers", bearer(reader))
	if resp.StatusCode != 403 || resp.Header.Get("WWW-Authenticate") != `Bearer realm="Partner API", error="insufficient_scope", scope="transfers:write"` {
		t.Fatalf("read scope on createTransfer: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	// (mtls AND oauth approve) OR (backOffice AND partnerKey): one half of
	// the second alternative is not enough.
	for name, edit := range map[string]func(*http.Request){"key": key, "basic": basic, "token without cert": bearer(ts.issue("approver", "transfers:approve"))} {
		if resp := rawCall(t, "POST", srv.URL+"/transfers/tr_1/release", edit); resp.StatusCode != 401 {
			t.Fatalf("release with %s only: %d", name, resp.StatusCode)
		}
	}
	runs := b.runs.Load()
	if runs != 1 {
		t.Fatalf("handlers ran %d times, want 1 (the read)", runs)
	}
	if resp := rawCall(t, "POST", srv.URL+"/transfers/tr_1/release", both); resp.StatusCode != 200 || b.last() != "clerk" {
		t.Fatalf("basic and key: %d, principal %q", resp.StatusCode, b.last())
	}
	// Reports take any one of three.
	for name, edit := range map[string]func(*http.Request){"key": key, "basic": basic, "oidc": bearer("id-token-ok")} {
		if resp := rawCall(t, "GET", srv.URL+"/reports/daily", edit); resp.StatusCode != 200 {
			t.Fatalf("report with %s: %d", name, resp.StatusCode)
		}
	}
	resp = rawCall(t, "GET", srv.URL+"/reports/daily", bearer("forged"))
	if ch := resp.Header.Values("WWW-Authenticate"); resp.StatusCode != 401 || len(ch) != 3 {
		t.Fatalf("forged: %d, challenges %q", resp.StatusCode, ch)
	}
}

// TestAuthClientCredentials: the generated client's OAuth2 option against
// a fake token server. 100 concurrent calls cause one token request;
// expiry causes one refresh; a revoked token's 401 causes one refresh and
// one retry.
func TestAuthClientCredentials(t *testing.T) {
	t.Parallel()
	b := &bank{}
	ts := newFakeTokenServer(t, 600, 30*time.Millisecond)
	srv := startBank(t, b, ts)
	clock := &testClock{t: time.Now()}
	c, err := partnersapi.NewClient(srv.URL, partnersapi.WithOauthClientCredentials("partner-1", partnersapi.StaticToken("s3cret"),
		func(cfg *partnersapi.ClientCredentialsConfig) {
			cfg.TokenURL, cfg.Now = ts.URL+"/oauth/token", clock.now
		}))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	burst := func(n int) {
		t.Helper()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for range n {
			wg.Go(func() {
				if _, err := c.ListTransfers(ctx); err != nil {
					errs <- err
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
	}
	burst(100)
	if n := ts.requests.Load(); n != 1 {
		t.Fatalf("100 concurrent calls made %d token requests, want 1", n)
	}
	// The token asks for every scope an operation needs with this scheme.
	if got := strings.Join(ts.scopes, " "); got != "transfers:approve transfers:read transfers:write" {
		t.Fatalf("requested scopes %q", got)
	}
	if _, err := c.CreateTransfer(ctx, nil, partnersapi.CreateTransferJSONRequestBody{AmountMinor: 100, Currency: "EUR"}); err != nil {
		t.Fatalf("write scope: %v", err)
	}

	clock.add(601 * time.Second) // past expiry: everyone waits for one refresh
	burst(100)
	if n := ts.requests.Load(); n != 2 {
		t.Fatalf("after expiry: %d token requests, want 2", n)
	}

	// The bank revokes the current token early: the next call's 401 makes
	// the client refresh once and try once more.
	ts.revoke("tok2")
	before := b.runs.Load()
	if _, err := c.CreateTransfer(ctx, nil, partnersapi.CreateTransferJSONRequestBody{AmountMinor: 100, Currency: "EUR"}); err != nil {
		t.Fatalf("after revocation: %v", err)
	}
	if n := ts.requests.Load(); n != 3 || b.runs.Load()-before != 1 {
		t.Fatalf("after revocation: %d token requests (want 3), %d handler runs (want 1)", n, b.runs.Load()-before)
	}
	// A client whose every token is refused: one refresh, one retry, then
	// the 401 is the caller's.
	wrong, err := partnersapi.NewClient(srv.URL, partnersapi.WithOauthBearer(partnersapi.StaticToken("never-issued")))
	if err != nil {
		t.Fatal(err)
	}
	var re *partnersapi.ResponseError
	if _, err := wrong.ListTransfers(ctx); !errors.As(err, &re) || re.StatusCode != 401 || re.Attempts != 1 {
		t.Fatalf("static bad token: %v", err)
	}
	if _, err := partnersapi.NewClient(srv.URL, partnersapi.WithOauthClientCredentials("partner-1", partnersapi.StaticToken("s3cret"),
		func(cfg *partnersapi.ClientCredentialsConfig) { cfg.TokenURL = "/relative" })); err == nil {
		t.Fatal("a relative token URL was accepted")
	}
}

// TestAuthMutualTLS: the release operation's first alternative needs a
// client certificate the server verifies; certificates are made here.
func TestAuthMutualTLS(t *testing.T) {
	t.Parallel()
	clientCA, clientKey := testCertAuthority(t, "partner CA")
	serverCA, serverKey := testCertAuthority(t, "bank CA")
	b := &bank{}
	ts := newFakeTokenServer(t, 3600, 0)
	srv := httptest.NewUnstartedServer(partnersapi.NewServer(b, partnersapi.WithLogger(quietLogger()), partnersapi.WithAuthenticator(bankAuth{tokens: ts})))
	srv.TLS = partnersapi.MutualTLSConfig(pool(clientCA))
	srv.TLS.Certificates = []tls.Certificate{testLeaf(t, serverCA, serverKey, "bank", true)}
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // handshake refusals are expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	hc := func(min, max uint16) *http.Client {
		return &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool(serverCA), MinVersion: min, MaxVersion: max}}}
	}
	approver := partnersapi.StaticToken(ts.issue("approver", "transfers:approve"))
	ctx := context.Background()

	withCert, err := partnersapi.NewClient(srv.URL, partnersapi.WithHTTPClient(hc(0, 0)),
		partnersapi.WithMtlsClientCertificate(partnersapi.StaticCertificate(testLeaf(t, clientCA, clientKey, "acme-payments", false))),
		partnersapi.WithOauthBearer(approver))
	if err != nil {
		t.Fatal(err)
	}
	if r, err := withCert.ReleaseTransfer(ctx, "tr_9"); err != nil || r == nil || b.last() != "cert:acme-payments" {
		t.Fatalf("certificate and token: %v, principal %q", err, b.last())
	}
	noCert, err := partnersapi.NewClient(srv.URL, partnersapi.WithHTTPClient(hc(0, 0)), partnersapi.WithOauthBearer(approver))
	if err != nil {
		t.Fatal(err)
	}
	var re *partnersapi.ResponseError
	if _, err := noCert.ReleaseTransfer(ctx, "tr_9"); !errors.As(err, &re) || re.StatusCode != 401 {
		t.Fatalf("token without certificate: %v", err)
	}
	// A certificate from another CA does not get past the handshake.
	rogueCA, rogueKey := testCertAuthority(t, "rogue")
	rogue, _ := partnersapi.NewClient(srv.URL, partnersapi.WithHTTPClient(hc(0, 0)),
		partnersapi.WithMtlsClientCertificate(partnersapi.StaticCertificate(testLeaf(t, rogueCA, rogueKey, "mallory", false))),
		partnersapi.WithOauthBearer(approver))
	if _, err := rogue.ReleaseTransfer(ctx, "tr_9"); err == nil || errors.As(err, &re) {
		t.Fatalf("rogue certificate: %v", err)
	}
	// TLS 1.1 is refused by the hardened configuration.
	old := hc(tls.VersionTLS10, tls.VersionTLS11)
	if resp, err := old.Get(srv.URL + "/health"); err == nil {
		resp.Body.Close()
		t.Fatal("a TLS 1.1 handshake succeeded")
	}
}

func pool(c *x509.Certificate) *x509.CertPool {
	p := x509.NewCertPool()
	p.AddCert(c)
	return p
}

func testCertAuthority(t *testing.T, name string) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func testLeaf(t *testing.T, ca *x509.Certificate, caKey *ecdsa.PrivateKey, cn string, server bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial, _ := rand.Int(rand.Reader, big.NewInt(1<<62))
	tmpl := &x509.Certificate{SerialNumber: serial, Subject: pkix.Name{CommonName: cn},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if server {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.ParseIP("127.0.0.1")}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

// TestAuthIPAllowList: the generated server refuses callers outside the
// allow-list before authentication, by connection address only; a
// malformed list refuses everyone.
func TestAuthIPAllowList(t *testing.T) {
	t.Parallel()
	ts := newFakeTokenServer(t, 3600, 0)
	start := func(cidrs ...string) (*httptest.Server, *bank) {
		b := &bank{}
		return serve(t, partnersapi.NewServer(b, partnersapi.WithLogger(quietLogger()), partnersapi.WithAuthenticator(bankAuth{tokens: ts}),
			partnersapi.WithIPAllowList(cidrs...))), b
	}
	key := func(r *http.Request) {
		r.Header.Set("X-Partner-Key", "pk_live_1")
		r.Header.Set("X-Forwarded-For", "127.0.0.1")
	}
	inside, _ := start("10.0.0.0/8", "127.0.0.1")
	if resp := rawCall(t, "GET", inside.URL+"/reports/daily", key); resp.StatusCode != 200 {
		t.Fatalf("allowed address: %d", resp.StatusCode)
	}
	outside, b := start("10.0.0.0/8")
	for _, path := range []string{"/health", "/reports/daily"} {
		if resp := rawCall(t, "GET", outside.URL+path, key); resp.StatusCode != 403 {
			t.Fatalf("%s from outside the list: %d", path, resp.StatusCode)
		}
	}
	if b.runs.Load() != 0 {
		t.Fatal("a handler ran for a refused address")
	}
	broken, _ := start("127.0.0.1/99")
	if resp := rawCall(t, "GET", broken.URL+"/health", nil); resp.StatusCode != 403 {
		t.Fatalf("malformed allow-list: %d", resp.StatusCode)
	}
}
