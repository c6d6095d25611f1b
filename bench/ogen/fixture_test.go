package ogenbench

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/accord-dev/accord/bench/ogen/accordapi"
	"github.com/accord-dev/accord/bench/ogen/ogenapi"
)

const (
	benchToken = "tok_0123456789abcdef0123456789abcdef"
	benchPath  = "/customers/cus_abcd1234/orders"
	// benchBody is a valid createOrder body: every required member, an
	// array of three nested objects, a nested address and tags, so each
	// keyword of the contract is checked at least once per request.
	benchBody = `{"amount_minor":12900,"currency":"EUR","channel":"web","note":"leave at the door",` +
		`"items":[{"sku":"SKU-0001","quantity":2,"unit_price_minor":4500},` +
		`{"sku":"SKU-0002","quantity":1,"unit_price_minor":2900},{"sku":"GIFT-WRAP","quantity":1,"unit_price_minor":1000}],` +
		`"shipping":{"line1":"1 Rue de Rivoli","city":"Paris","postal_code":"75001","country":"FR"},` +
		`"tags":["gift","priority"]}`
	// idemRebuildEvery bounds the in-memory idempotency store of the
	// contender that keys every request: after this many fresh records its
	// server is rebuilt (outside the timed section), so a long run never
	// fills the store (which then answers 503) nor grows the heap without end.
	idemRebuildEvery = 20000
)

var errBadToken = errors.New("unknown bearer token")

func tokenOK(t string) bool { return subtle.ConstantTimeCompare([]byte(t), []byte(benchToken)) == 1 }

// ---- accord

type accordHandler struct{}

func (accordHandler) CreateOrder(_ context.Context, r accordapi.CreateOrderRequestObject) (accordapi.CreateOrderResponseObject, error) {
	return accordapi.CreateOrder201JSONResponse{Id: "ord_0001", Status: accordapi.OrderStatusPending,
		AmountMinor: r.Body.AmountMinor, Currency: r.Body.Currency}, nil
}

type accordAuth struct{}

func (accordAuth) AuthenticateBearerAuth(_ context.Context, token string) (accordapi.Principal, error) {
	if !tokenOK(token) {
		return accordapi.Principal{}, errBadToken
	}
	return accordapi.Principal{Subject: "tenant-1"}, nil
}

// newAccord is NewServer with the authenticator and validation on (the
// default), logging its access lines as JSON to io.Discard (formatted, as
// in production, but not written) unless quiet. idempotency false turns the
// operation's idempotency step off, so the contender is auth + validation
// only; true keeps the contract's (optional: a request with a key claims
// and completes a record in the default in-memory store).
func newAccord(idempotency, quiet bool) http.Handler {
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	if quiet {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []accordapi.ServerOption{accordapi.WithAuthenticator(accordAuth{}), accordapi.WithLogger(log)}
	if !idempotency {
		opts = append(opts, accordapi.WithServerPolicy(func(_ string, p *accordapi.Policy) { p.Idempotency = accordapi.IdempotencyOff }))
	}
	return accordapi.NewServer(accordHandler{}, opts...)
}

// ---- ogen

type ogenHandler struct{}

func (ogenHandler) CreateOrder(_ context.Context, req *ogenapi.OrderInput, _ ogenapi.CreateOrderParams) (ogenapi.CreateOrderRes, error) {
	return &ogenapi.Order{ID: "ord_0001", Status: ogenapi.OrderStatusPending, AmountMinor: req.AmountMinor, Currency: req.Currency}, nil
}

type principalKey struct{}

// ogenSecurity is what an ogen user writes: check the token, put the
// caller in the context (accord's chain does the same with its Principal).
type ogenSecurity struct{}

func (ogenSecurity) HandleBearerAuth(ctx context.Context, _ ogenapi.OperationName, t ogenapi.BearerAuth) (context.Context, error) {
	if !tokenOK(t.Token) {
		return ctx, errBadToken
	}
	return context.WithValue(ctx, principalKey{}, "tenant-1"), nil
}

// newOgen is ogen's server with its defaults: validation of parameters
// and body, the security handler, OpenTelemetry with the global (no-op)
// providers.
func newOgen(tb testing.TB) http.Handler {
	s, err := ogenapi.NewServer(ogenHandler{}, ogenSecurity{})
	if err != nil {
		tb.Fatal(err)
	}
	return s
}

// ---- requests

// bodyReader is a request body reset for every request without
// allocating, so that the contenders' numbers hold only their own work.
type bodyReader struct{ bytes.Reader }

func (*bodyReader) Close() error { return nil }

// contender is one server with its reusable request. Every request is
// valid and authenticated; the idempotent contender sends a fresh key each
// time (a first request: claim, handler, completion stored), the others a
// fixed one (parsed and validated, never stored).
type contender struct {
	name  string
	h     http.Handler
	req   *http.Request
	body  bodyReader
	fresh bool // a new Idempotency-Key per request
	n     int
	build func() http.Handler
	key   []byte
}

func newContender(tb testing.TB, name string, build func() http.Handler, fresh bool) *contender {
	c := &contender{name: name, h: build(), build: build, fresh: fresh}
	c.req = httptest.NewRequest(http.MethodPost, "http://api.orders.example.com"+benchPath, nil)
	c.req.Header.Set("Content-Type", "application/json")
	c.req.Header.Set("Authorization", "Bearer "+benchToken)
	c.req.Header.Set("Idempotency-Key", "key-fixed-000001")
	c.req.ContentLength = int64(len(benchBody))
	c.req.Body = &c.body
	c.prepare()
	if w := c.serve(); w.Code != http.StatusCreated {
		tb.Fatalf("%s answers %d to the benchmark request: %s", name, w.Code, w.Body)
	}
	return c
}

// prepare readies the next request; it is not timed.
func (c *contender) prepare() {
	c.body.Reset([]byte(benchBody))
	if !c.fresh {
		return
	}
	if c.n++; c.n%idemRebuildEvery == 0 {
		c.h = c.build()
	}
	// "idem-" and 12 digits: the contract wants 8 to 64 characters.
	c.key = append(c.key[:0], "idem-000000000000"...)
	d := strconv.AppendInt(nil, int64(c.n), 10)
	copy(c.key[len(c.key)-len(d):], d)
	c.req.Header["Idempotency-Key"] = []string{string(c.key)}
}

func (c *contender) serve() *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	c.h.ServeHTTP(w, c.req)
	return w
}

// once serves one prepared request and fails the benchmark unless it was
// answered 201.
func (c *contender) once(tb testing.TB) {
	if w := c.serve(); w.Code != http.StatusCreated {
		tb.Fatalf("%s: status %d: %s", c.name, w.Code, w.Body)
	}
}
