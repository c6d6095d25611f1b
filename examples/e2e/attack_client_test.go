package e2e

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/examples/crm/crmapi"
)

// The client attacks (issue 7, items 6, 7, 10, 11) run the generated CRM
// client against a plain provider that ignores Idempotency-Key, the kind
// of API the client must not double-create against.

// keylessCRM creates a customer for every POST /customers that reaches it,
// whatever its headers say, and counts PATCHes the same way. fault may
// answer a request instead (return true) or delay it first.
type keylessCRM struct {
	mu      sync.Mutex
	emails  []string
	hits    atomic.Int32 // requests that changed something or were meant to
	created atomic.Int32
	keys    atomic.Int32 // requests that carried an Idempotency-Key
	fault   func(hit int32, w http.ResponseWriter, r *http.Request) bool
}

func startKeylessCRM(t *testing.T, fault func(int32, http.ResponseWriter, *http.Request) bool) (*keylessCRM, string) {
	p := &keylessCRM{fault: fault}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if r.Method == http.MethodGet { // listCustomers?email=: the reconcile lookup
			p.mu.Lock()
			defer p.mu.Unlock()
			w.Header().Set("Content-Type", "application/json")
			var data []string
			for i, e := range p.emails {
				if e == r.URL.Query().Get("email") {
					data = append(data, fmt.Sprintf(`{"id":"cus_%d","email":%q,"name":"x","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`, i+1, e))
				}
			}
			fmt.Fprintf(w, `{"data":[%s]}`, strings.Join(data, ","))
			return
		}
		hit := p.hits.Add(1)
		if r.Header.Get("Idempotency-Key") != "" {
			p.keys.Add(1)
		}
		if p.fault != nil && p.fault(hit, w, r) {
			return
		}
		if r.Method != http.MethodPost {
			w.WriteHeader(http.StatusOK)
			return
		}
		p.mu.Lock()
		email := between(string(b), `"email":"`, `"`)
		p.emails = append(p.emails, email)
		n := len(p.emails)
		p.mu.Unlock()
		p.created.Add(1)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, `{"id":"cus_%d","email":%q,"name":"x","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}`, n, email)
	}))
	t.Cleanup(srv.Close)
	return p, srv.URL
}

func between(s, from, to string) string {
	_, rest, _ := strings.Cut(s, from)
	v, _, _ := strings.Cut(rest, to)
	return v
}

// hangUntilCancelled holds a request until the client gives up on it.
func hangUntilCancelled(r *http.Request) {
	select {
	case <-r.Context().Done():
	case <-time.After(5 * time.Second):
	}
}

// Item 6: an unsafe call whose contract does not say the provider honours a
// key is sent once, without an invented key, whether the provider answers
// 503 or hangs. updateCustomer (PATCH) is such an operation as the contract
// stands; createCustomer is made one by restoring the old implicit default.
func TestAttackUnkeyedUnsafeCallIsSentOnce(t *testing.T) {
	t.Parallel()
	for _, fault := range []string{"503", "timeout"} {
		t.Run(fault, func(t *testing.T) {
			p, url := startKeylessCRM(t, func(hit int32, w http.ResponseWriter, r *http.Request) bool {
				if fault == "503" {
					w.Header().Set("Retry-After", "0")
					w.WriteHeader(http.StatusServiceUnavailable)
					return true
				}
				hangUntilCancelled(r)
				return false // the effect happens after the client gave up
			})
			implicit := crmapi.WithPolicy(func(id string, pol *crmapi.Policy) {
				if id == "createCustomer" {
					pol.Idempotency, pol.KeyHonoured, pol.Reconcile = crmapi.IdempotencyOptional, false, ""
				}
			})
			c := newCRMClient(t, url, implicit)
			ctx := context.Background()
			if _, err := c.CreateCustomer(ctx, customerInput("ada")); err == nil {
				t.Fatal("createCustomer succeeded against a failing provider")
			}
			if _, err := c.UpdateCustomer(ctx, "cus_1", "application/merge-patch+json", []byte(`{"name":"x"}`)); err == nil {
				t.Fatal("updateCustomer succeeded against a failing provider")
			}
			if p.hits.Load() != 2 || p.keys.Load() != 0 {
				t.Fatalf("provider saw %d requests (%d with a key), want one each and no keys", p.hits.Load(), p.keys.Load())
			}
		})
	}
}

// Item 7: createCustomer is idempotency client. Against a provider that
// ignores keys, with a 503 then a timeout injected, the customer is created
// once; the timed-out call returns ErrOutcomeUnknown and is not resent, a
// duplicate is not sent either; the reconcile lookup settles it.
func TestAttackClientRecordedCreateHappensOnce(t *testing.T) {
	t.Parallel()
	p, url := startKeylessCRM(t, func(hit int32, w http.ResponseWriter, r *http.Request) bool {
		switch hit {
		case 1:
			w.WriteHeader(http.StatusServiceUnavailable) // declined: nothing created
			return true
		case 2:
			hangUntilCancelled(r) // then created, after the client's timeout
		}
		return false
	})
	short := crmapi.WithPolicy(func(id string, pol *crmapi.Policy) { pol.Timeout = 150 * time.Millisecond })
	c := newCRMClient(t, url, short)
	ctx := context.Background()

	_, err := c.CreateCustomer(ctx, customerInput("ada"))
	var u *crmapi.OutcomeUnknownError
	var ce *crmapi.CallError
	if !errors.Is(err, crmapi.ErrOutcomeUnknown) || !errors.As(err, &u) || !errors.As(err, &ce) || u.Reference == "" {
		t.Fatalf("want ErrOutcomeUnknown with a reference, got %v", err)
	}
	waitUntil(t, func() bool { return p.created.Load() == 1 })
	if _, err := c.CreateCustomer(ctx, customerInput("ada")); !errors.Is(err, crmapi.ErrOutcomeUnknown) {
		t.Fatalf("duplicate of an unknown call: %v", err)
	}
	if p.hits.Load() != 2 {
		t.Fatalf("provider saw %d requests, want 2 (the declined one and the timed-out one)", p.hits.Load())
	}
	// Reconcile: the contract names listCustomers; by email it finds ada.
	email := customerInput("ada").Email
	page, err := c.ListCustomers(ctx, &crmapi.ListCustomersParams{Email: &email})
	if err != nil || page == nil || len(page.Data) != 1 {
		t.Fatalf("reconcile lookup: %v", err)
	}
	if err := c.SettleCreateCustomer(ctx, u, true); err != nil {
		t.Fatal(err)
	}
	if _, err := c.CreateCustomer(ctx, customerInput("ada")); !errors.Is(err, crmapi.ErrAlreadySettled) || p.hits.Load() != 2 {
		t.Fatalf("after settling: %v, %d requests", err, p.hits.Load())
	}

	// A call that succeeds: its duplicate is the recorded, typed answer.
	first, err := c.CreateCustomer(ctx, customerInput("bob"))
	if err != nil || first == nil {
		t.Fatalf("create bob: %v", err)
	}
	var raw *http.Response
	again, err := c.CreateCustomer(ctx, customerInput("bob"), crmapi.WithResponse(&raw))
	if err != nil || again == nil || again.Id != first.Id || raw.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("duplicate of a done call: %v", err)
	}
	if p.created.Load() != 2 || p.keys.Load() != 0 {
		t.Fatalf("created %d (want ada and bob once each), %d requests with a key", p.created.Load(), p.keys.Load())
	}
}

// Item 10: a 300 MiB answer fails with ErrResponseTooLarge once the cap
// (32 MiB by default) is passed, without buffering the rest.
func TestAttackHugeResponseBodyIsCapped(t *testing.T) {
	url := hugeBodyServer(t, 300<<20)
	c := newCRMClient(t, url)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	// Reading 32 MiB takes seconds under the race detector on a loaded
	// machine: the contract's timeout must not end the call before the cap
	// does, which is what this test is about.
	slow := []crmapi.CallOption{crmapi.WithTimeout(time.Minute), crmapi.WithBudget(2 * time.Minute), crmapi.WithRetries(0)}
	_, err := c.ListCustomers(context.Background(), nil, slow...)
	runtime.ReadMemStats(&after)
	if !errors.Is(err, crmapi.ErrResponseTooLarge) {
		t.Fatalf("want ErrResponseTooLarge, got %v", err)
	}
	// Reading the whole body took 776 MiB of heap; capped, the call
	// allocates a few times the 32 MiB cap at most.
	if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 160<<20 {
		t.Fatalf("the call allocated %d MiB for a capped body", alloc>>20)
	}
	// The per-call option lowers it further.
	if _, err := c.ListCustomers(context.Background(), nil, append(slow, crmapi.WithMaxResponseBodyCall(1<<20))...); !errors.Is(err, crmapi.ErrResponseTooLarge) {
		t.Fatalf("per-call cap: %v", err)
	}
}

func hugeBodyServer(t testing.TB, size int) string {
	chunk := []byte(`{"data":[` + strings.Repeat(" ", 64<<10-9))
	pad := []byte(strings.Repeat(" ", 64<<10))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		for sent := 0; sent < size; sent += len(pad) {
			b := pad
			if sent == 0 {
				b = chunk
			}
			if _, err := w.Write(b); err != nil {
				return // the client stopped reading
			}
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

// BenchmarkHugeResponseBody measures the heap one call takes for a 300 MiB
// answer, capped (the default) and uncapped (as before the cap):
// go test ./examples/e2e -run '^$' -bench HugeResponseBody -benchtime 1x
func BenchmarkHugeResponseBody(b *testing.B) {
	url := hugeBodyServer(b, 300<<20)
	c, err := crmapi.NewClient(url)
	if err != nil {
		b.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		limit int64
	}{{"capped-32MiB", 0}, {"uncapped", -1}} {
		b.Run(tc.name, func(b *testing.B) {
			var opts []crmapi.CallOption
			if tc.limit != 0 {
				opts = append(opts, crmapi.WithMaxResponseBodyCall(tc.limit))
			}
			var peak atomic.Uint64
			for b.Loop() {
				runtime.GC()
				done := make(chan struct{})
				go sampleHeap(&peak, done)
				_, _ = c.ListCustomers(context.Background(), nil, opts...)
				close(done)
			}
			b.ReportMetric(float64(peak.Load())/(1<<20), "peak-heap-MiB")
		})
	}
}

func sampleHeap(peak *atomic.Uint64, done chan struct{}) {
	var m runtime.MemStats
	for {
		select {
		case <-done:
			return
		case <-time.After(2 * time.Millisecond):
		}
		runtime.ReadMemStats(&m)
		if m.HeapAlloc > peak.Load() {
			peak.Store(m.HeapAlloc)
		}
	}
}

// Item 11: with the budget disabled and no caller deadline, Retry-After:
// 86400 ends the call at once with the 503 instead of a day's sleep.
func TestAttackRetryAfterOfADayReturnsPromptly(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "86400")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	t.Cleanup(srv.Close)
	noBudget := crmapi.WithPolicy(func(id string, p *crmapi.Policy) { p.Budget, p.BackoffCap = 0, 0 })
	c := newCRMClient(t, srv.URL, noBudget)
	start := time.Now()
	_, err := c.GetCustomer(context.Background(), "cus_1")
	var re *crmapi.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusServiceUnavailable || hits.Load() != 1 {
		t.Fatalf("err %v, %d requests", err, hits.Load())
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Fatalf("returned after %v", d)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
		time.Sleep(5 * time.Millisecond)
	}
}
