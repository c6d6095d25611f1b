package e2e

// Attacks on the idempotency store and the replay cache of the generated
// payments server (issue 7, items 3, 8 and 9): tenant crossing, store
// exhaustion, webhook replay after exhaustion, and replays sent to another
// replica or after a restart with shared PostgreSQL and Redis caches.

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	goruntime "runtime"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/accord-dev/accord/examples/payments/paymentsapi"
	rt "github.com/accord-dev/accord/templates/runtime"
)

const (
	partnerKeyA = "partner-a-hmac-secret-for-tests"
	partnerKeyB = "partner-b-hmac-secret-for-tests"
)

// signedPayment is a createPayment request signed with key at now, as a
// partner (or an attacker who captured it) sends it.
func signedPayment(t *testing.T, url, key, idemKey, body string, now time.Time) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/v1/payments", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", idemKey)
	req.Header.Set("Authorization", "Bearer "+testBearerToken)
	scheme, _ := paymentsapi.SignatureSchemeByName("partner-hmac")
	sg := paymentsapi.Signer{Scheme: scheme, Secrets: paymentsapi.StaticSecrets{[]byte(key)}, Now: func() time.Time { return now }}
	if err := sg.Sign(context.Background(), req, []byte(body)); err != nil {
		t.Fatal(err)
	}
	return req
}

// again is the same request, byte for byte, sent to url (a replay).
func again(t *testing.T, req *http.Request, url, body string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(req.Method, url+req.URL.RequestURI(), strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header = req.Header.Clone()
	return r
}

type answer struct {
	status   int
	body     string
	replayed bool
	header   http.Header
}

func post(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return answer{resp.StatusCode, string(b), resp.Header.Get("Idempotent-Replayed") == "true", resp.Header}
}

// bearerTenants is an authentication middleware in front of the generated
// server: "Authorization: Bearer <tenant>" becomes the request's principal.
func bearerTenants(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tenant, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
			r = r.WithContext(paymentsapi.ContextWithPrincipal(r.Context(), paymentsapi.Principal{Scheme: "bearer", Subject: tenant}))
		}
		h.ServeHTTP(w, r)
	})
}

const paymentBody = `{"amount_minor":1000,"currency":"EUR","customer_id":"cus_42"}`

// Item 8: tenant B sending tenant A's Idempotency-Key and body got A's
// stored payment (201, A's data); with another body a 422 told B the key
// existed. Records are now scoped by the principal.
func TestAttackTenantCrossingByPrincipal(t *testing.T) {
	t.Parallel()
	p := newProvider()
	srv := serve(t, bearerTenants(paymentsHandler(p)))
	as := func(tenant string, req *http.Request) *http.Request {
		req.Header.Set("Authorization", "Bearer "+tenant)
		return req
	}
	now := time.Now()
	// The bearer header is not signed: each tenant signs its own requests
	// with the partner key, as the tenants of one platform would.
	a := post(t, as("tenant-a", signedPayment(t, srv.URL, partnerKey, "order-1", paymentBody, now)))
	b := post(t, as("tenant-b", signedPayment(t, srv.URL, partnerKey, "order-1", paymentBody, now)))
	if a.status != 201 || b.status != 201 || b.replayed || a.body == b.body || p.runs.Load() != 2 {
		t.Fatalf("a %d %s\nb %d %s replayed %v; runs %d", a.status, a.body, b.status, b.body, b.replayed, p.runs.Load())
	}
	// B probing A's next key with another body learns nothing: a 201 of
	// its own, not the 422 that would say the key exists.
	post(t, as("tenant-a", signedPayment(t, srv.URL, partnerKey, "order-2", paymentBody, now)))
	probe := post(t, as("tenant-b", signedPayment(t, srv.URL, partnerKey, "order-2", `{"amount_minor":1,"currency":"EUR","customer_id":"cus_b"}`, now)))
	if probe.status != 201 || probe.replayed {
		t.Fatalf("probe: %d %s", probe.status, probe.body)
	}
	// Each tenant's own retry still replays its own answer.
	retry := post(t, as("tenant-a", signedPayment(t, srv.URL, partnerKey, "order-1", paymentBody, now)))
	if retry.status != 201 || !retry.replayed || retry.body != a.body || p.runs.Load() != 4 {
		t.Fatalf("a's retry: %d replayed %v body %s runs %d", retry.status, retry.replayed, retry.body, p.runs.Load())
	}
}

// Two partners signing with two keys, no principal: the verified key is
// the scope.
func TestAttackTenantCrossingBySigningKey(t *testing.T) {
	t.Parallel()
	p := newProvider()
	srv := startPayments(t, p, paymentsapi.WithVerificationSecrets("partner-hmac", paymentsapi.StaticSecrets{[]byte(partnerKeyA), []byte(partnerKeyB)}))
	now := time.Now()
	a := post(t, signedPayment(t, srv.URL, partnerKeyA, "order-1", paymentBody, now))
	b := post(t, signedPayment(t, srv.URL, partnerKeyB, "order-1", paymentBody, now))
	if a.status != 201 || b.status != 201 || b.replayed || a.body == b.body || p.runs.Load() != 2 {
		t.Fatalf("a %d %s\nb %d %s replayed %v", a.status, a.body, b.status, b.body, b.replayed)
	}
	probe := post(t, signedPayment(t, srv.URL, partnerKeyB, "order-x", paymentBody, now))
	post(t, signedPayment(t, srv.URL, partnerKeyA, "order-y", paymentBody, now))
	if q := post(t, signedPayment(t, srv.URL, partnerKeyB, "order-y", `{"amount_minor":2,"currency":"EUR","customer_id":"c"}`, now)); probe.status != 201 || q.status != 201 {
		t.Fatalf("b probing a's key: %d %s", q.status, q.body)
	}
}

// Item 9: the memory store evicted live records at 10,000 entries, so after
// 200k unique keys a victim's retry ran the handler again. Now a bounded
// store answers 503 when full and never drops a live record.
func TestAttackStoreExhaustion(t *testing.T) {
	if testing.Short() {
		t.Skip("sends 200k requests in process")
	}
	p := newProvider()
	const entries, mib = 20000, 16
	store := paymentsapi.NewMemoryIdempotencyStoreLimits(paymentsapi.MemoryLimits{Entries: entries, Bytes: mib << 20})
	var fullEvents atomic.Int64
	h := paymentsHandler(p, paymentsapi.WithIdempotencyStore(store),
		// The replay cache is not what this attack is about: room for all.
		paymentsapi.WithReplayCache(paymentsapi.NewMemoryReplayCacheLimits(paymentsapi.MemoryLimits{Entries: 1 << 20, Bytes: 512 << 20})),
		paymentsapi.WithServerHooks(paymentsapi.ServerHooks{OnStoreError: func(i paymentsapi.StoreErrorInfo) {
			if i.Full {
				fullEvents.Add(1)
			}
		}}))
	srv := serve(t, h)
	now := time.Now()
	victim := post(t, signedPayment(t, srv.URL, partnerKey, "victim-order", paymentBody, now))
	if victim.status != 201 {
		t.Fatalf("victim: %d %s", victim.status, victim.body)
	}
	// The flood, in process (200k loopback connections would measure the
	// kernel): unique keys, each a valid signed request.
	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	const flood = 200000
	codes := map[int]int{}
	retryAfter := ""
	for i := 0; i < flood; i++ {
		req := signedPayment(t, "http://payments.test", partnerKey, fmt.Sprintf("flood-%d", i), paymentBody, now)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		codes[rec.Code]++
		if rec.Code == 503 && retryAfter == "" {
			retryAfter = rec.Header().Get("Retry-After")
		}
	}
	goruntime.GC()
	goruntime.ReadMemStats(&after)
	n, used := store.Usage()
	t.Logf("flood of %d unique keys against %d entries / %d MiB: %v; store holds %d records in %.1f MiB accounted; heap grew %.1f MiB; %d OnStoreError(full) events; Retry-After %q",
		flood, entries, mib, codes, n, float64(used)/(1<<20), float64(int64(after.HeapAlloc)-int64(before.HeapAlloc))/(1<<20), fullEvents.Load(), retryAfter)
	if codes[201]+codes[503] != flood || codes[503] == 0 || codes[201] >= entries || n > entries || retryAfter == "" || int(fullEvents.Load()) != codes[503] {
		t.Fatalf("flood answers %v, %d entries", codes, n)
	}
	runs := p.runs.Load()
	retry := post(t, signedPayment(t, srv.URL, partnerKey, "victim-order", paymentBody, now))
	if retry.status != 201 || !retry.replayed || retry.body != victim.body || p.runs.Load() != runs {
		t.Fatalf("victim's retry after the flood: %d replayed %v body %s; handler runs %d -> %d", retry.status, retry.replayed, retry.body, runs, p.runs.Load())
	}
	// A new request is refused, not accepted at a live record's expense.
	if fresh := post(t, signedPayment(t, srv.URL, partnerKey, "new-order", paymentBody, now)); fresh.status != 503 || fresh.header.Get("Retry-After") == "" {
		t.Fatalf("new key on a full store: %d", fresh.status)
	}
}

// Item 9, webhooks: the receiver deduplicated through the idempotency store
// with its replay cache switched off, so once the store evicted, a captured
// webhook was accepted again. Its replay cache is back, and a full store
// refuses instead of evicting.
func TestAttackWebhookReplayAfterExhaustion(t *testing.T) {
	t.Parallel()
	h := &integrator{}
	store := paymentsapi.NewMemoryIdempotencyStore(50)
	rc := paymentsapi.NewWebhookReceiver(h, paymentsapi.WithLogger(quietLogger()), paymentsapi.WithIdempotencyStore(store),
		paymentsapi.WithVerificationSecrets("partner-webhook", paymentsapi.StaticSecrets{[]byte(webhookKey)}))
	url := serve(t, rc).URL + "/payment.succeeded"
	body := []byte(`{"id":"evt_v","type":"payment.succeeded","created_at":"2026-11-23T10:00:00Z","data":{"id":"pay_1","status":"succeeded","amount_minor":1,"currency":"EUR","customer_id":"c","created_at":"2026-11-23T10:00:00Z"}}`)
	now := time.Now()
	captured := signedRequest(t, url, "evt_v", body, webhookKey, now)
	replayOf := func() *http.Request {
		r, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		r.Header = captured.Header.Clone()
		return r
	}
	if status, _ := send(t, replayOf()); status != http.StatusNoContent {
		t.Fatalf("first delivery: %d", status)
	}
	codes := map[int]int{}
	for i := 0; i < 500; i++ {
		ev := bytes.Replace(body, []byte("evt_v"), []byte(fmt.Sprint("evt_", i)), 1)
		status, _ := send(t, signedRequest(t, url, fmt.Sprint("evt_", i), ev, webhookKey, now))
		codes[status]++
	}
	if codes[503] == 0 || codes[204] > 50 {
		t.Fatalf("flood answers %v", codes)
	}
	status, problem := send(t, replayOf())
	if status != http.StatusUnauthorized || !strings.Contains(problem, "already accepted") {
		t.Fatalf("captured webhook replayed after the flood: %d %s", status, problem)
	}
	if got := h.received(); len(got) == 0 || got[0].Id != "evt_v" || h.calls.Load() != int64(codes[204]+1) {
		t.Fatalf("handler calls %d for %d accepted", h.calls.Load(), codes[204]+1)
	}
}

// sharedCache is a replay cache that replicas reach through a database or
// Redis: open returns a new instance as a new replica, or a restarted one,
// would create.
type sharedCache struct {
	name string
	open func(t *testing.T) paymentsapi.ReplayCache
}

func sharedCaches(t *testing.T) []sharedCache {
	pg := sharedCache{"postgres", func() func(t *testing.T) paymentsapi.ReplayCache {
		db, table := openPostgres(t)
		return func(t *testing.T) paymentsapi.ReplayCache {
			c := paymentsapi.NewSQLReplayCache(db, paymentsapi.SQLReplayOptions{Table: table})
			if err := c.Migrate(context.Background()); err != nil {
				t.Fatal(err)
			}
			return c
		}
	}()}
	addr := os.Getenv("ACCORD_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	prefix := fmt.Sprintf("accord:e2e:%d:", time.Now().UnixNano())
	rd := sharedCache{"redis", func(t *testing.T) paymentsapi.ReplayCache {
		c := redis.NewClient(&redis.Options{Addr: addr})
		t.Cleanup(func() { c.Close() })
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := c.Ping(ctx).Err(); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("Redis unreachable at %s: %v", addr, err)
			}
			t.Skipf("Redis unreachable at %s (set ACCORD_TEST_REDIS_ADDR; CI=true makes this fatal): %v", addr, err)
		}
		// The Redis cache lives in the runtime's optional redis file;
		// this example is generated without it, and the runtime's own type
		// satisfies the generated ReplayCache interface.
		return rt.NewRedisReplayCache(c, rt.RedisReplayOptions{Prefix: prefix})
	}}
	return []sharedCache{pg, rd}
}

// Item 3: replays were caught in memory only, so a captured request sent to
// another replica, or after a restart, was accepted. Two replicas and a
// restart share a PostgreSQL or a Redis replay cache, each replica with its
// own (memory) idempotency store so only the replay cache can catch it.
func TestAttackReplayAcrossReplicasAndRestart(t *testing.T) {
	for _, sc := range sharedCaches(t) {
		t.Run(sc.name, func(t *testing.T) {
			p := newProvider()
			clk := &clock{t: time.Now()}
			scheme, _ := paymentsapi.SignatureSchemeByName("partner-hmac")
			replica := func() *httptest.Server {
				v := paymentsapi.Verifier{Scheme: scheme, Secrets: paymentsapi.StaticSecrets{[]byte(partnerKey)}, Replay: sc.open(t), Now: clk.Now}
				return startPayments(t, p, paymentsapi.WithVerifier("partner-hmac", v))
			}
			a, b := replica(), replica()
			captured := signedPayment(t, a.URL, partnerKey, "order-1", paymentBody, clk.Now())
			if r := post(t, again(t, captured, a.URL, paymentBody)); r.status != 201 {
				t.Fatalf("delivery to replica A: %d %s", r.status, r.body)
			}
			if r := post(t, again(t, captured, b.URL, paymentBody)); r.status != 401 || !strings.Contains(r.body, "already accepted") {
				t.Fatalf("replay to replica B: %d %s", r.status, r.body)
			}
			a.Close()
			restarted := replica()
			if r := post(t, again(t, captured, restarted.URL, paymentBody)); r.status != 401 || !strings.Contains(r.body, "already accepted") {
				t.Fatalf("replay after a restart: %d %s", r.status, r.body)
			}
			// Once the entry may expire, the message is past its freshness
			// window: still refused, now as stale.
			clk.Advance(scheme.Tolerance + 10*time.Second)
			if r := post(t, again(t, captured, b.URL, paymentBody)); r.status != 401 || !strings.Contains(r.body, "tolerance") {
				t.Fatalf("replay after expiry: %d %s", r.status, r.body)
			}
			if n := p.runs.Load(); n != 1 {
				t.Fatalf("handler ran %d times", n)
			}
		})
	}
}
