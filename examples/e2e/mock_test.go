package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/examples/crm/crmapi"
	"github.com/accord-dev/accord/examples/payments/paymentsapi"
	"github.com/accord-dev/accord/mock"
)

// startMock serves the contract with accord mock over loopback, verifying
// partner-hmac signatures with partnerKey.
func startMock(t *testing.T, file string, o mock.Options) (*mock.Server, string) {
	t.Helper()
	doc, err := contracts.Load(context.Background(), file, contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	o.Secrets = map[string][]byte{"partner-hmac": []byte(partnerKey), "partner-webhook": []byte(webhookKey)}
	m, err := mock.New([]*contracts.Document{doc}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return m, srv.URL
}

func mockFaults(t *testing.T, specs ...string) []mock.Fault {
	t.Helper()
	var out []mock.Fault
	for _, s := range specs {
		f, err := mock.ParseFault(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, f)
	}
	return out
}

// mockClient is the generated payments client with a bearer token (the
// contract's default security) against the mock.
func mockClient(t *testing.T, url string, opts ...paymentsapi.ClientOption) *paymentsapi.Client {
	bearer := paymentsapi.WithRequestEditor(func(_ context.Context, r *http.Request) error {
		r.Header.Set("Authorization", "Bearer sandbox")
		return nil
	})
	return newClient(t, url, append([]paymentsapi.ClientOption{bearer}, opts...)...)
}

// logged counts the mock's log entries for an operation, and those a fault hit.
func logged(m *mock.Server, op string) (all, faulted int) {
	for _, e := range m.Requests() {
		if e.Operation == op {
			all++
			if len(e.Faults) > 0 {
				faulted++
			}
		}
	}
	return all, faulted
}

// Two injected 503s: the signed, keyed POST is retried with the same key
// and a fresh signature (the mock verifies both) and succeeds on the third
// attempt, as retries: 2 allows.
func TestMockInjected503sAreRetried(t *testing.T) {
	t.Parallel()
	m, url := startMock(t, "../payments/openapi.yaml", mock.Options{Faults: mockFaults(t, "createPayment:status=503,times=2,retry-after=0")})
	var rec calls
	c := mockClient(t, url, rec.option())
	resp, err := c.CreatePayment(context.Background(), nil, paymentRequest(4200))
	if err != nil {
		t.Fatal(err)
	}
	if resp == nil || rec.last(t).Attempts != 3 {
		t.Fatalf("payment %+v, call %+v", resp, rec.last(t))
	}
	if all, faulted := logged(m, "createPayment"); all != 3 || faulted != 2 {
		t.Fatalf("mock saw %d requests, %d faulted", all, faulted)
	}
	log := m.Requests()
	if log[0].IdempotencyKey == "" || log[0].IdempotencyKey != log[2].IdempotencyKey || log[2].Status != 201 {
		t.Fatalf("log %+v", log)
	}
}

// A 429 with Retry-After: 1 makes the client wait a second before the retry.
func TestMock429RetryAfterIsHonoured(t *testing.T) {
	t.Parallel()
	m, url := startMock(t, "../payments/openapi.yaml", mock.Options{Faults: mockFaults(t, "getPayment:status=429,retry-after=1,times=1")})
	c := mockClient(t, url)
	start := time.Now()
	if _, err := c.GetPayment(context.Background(), "pay_abcdefgh12"); err != nil {
		t.Fatal(err)
	}
	if elapsed := time.Since(start); elapsed < time.Second || elapsed > 2*time.Second+tolerance {
		t.Fatalf("took %s; Retry-After asked for 1s", elapsed)
	}
	log := m.Requests()
	if len(log) != 2 || log[0].Status != 429 || log[1].Status != 200 || log[1].Time.Sub(log[0].Time) < time.Second {
		t.Fatalf("log %+v", log)
	}
}

// Every attempt fails: the breaker (failures: 5) opens after exactly five
// failed attempts, the first call spending 3 (retries: 2), the second 2;
// later calls fail fast without reaching the mock.
func TestMockFailuresTripTheBreaker(t *testing.T) {
	t.Parallel()
	m, url := startMock(t, "../payments/openapi.yaml", mock.Options{Faults: mockFaults(t, "getPayment:status=503,retry-after=0")})
	c := mockClient(t, url, clientPolicy("getPayment", func(p *paymentsapi.Policy) { p.BackoffBase, p.BackoffCap = time.Millisecond, 5*time.Millisecond }))
	var opened int
	for i := range 4 {
		_, err := c.GetPayment(context.Background(), "pay_abcdefgh12")
		if err == nil {
			t.Fatalf("call %d succeeded against a failing mock", i+1)
		}
		if errors.Is(err, paymentsapi.ErrCircuitOpen) {
			opened++
		}
	}
	if all, _ := logged(m, "getPayment"); all != 5 {
		t.Fatalf("the mock saw %d attempts; the breaker should open after 5", all)
	}
	if opened < 2 {
		t.Fatalf("%d of 4 calls failed fast on the open breaker", opened)
	}
}

// The mock holds the request until the client gives up: the call returns by
// the per-attempt timeout and budget, not by the mock.
func TestMockHangEndsByTheClientBudget(t *testing.T) {
	t.Parallel()
	_, url := startMock(t, "../payments/openapi.yaml", mock.Options{Faults: mockFaults(t, "getPayment:hang")})
	c := mockClient(t, url)
	const budget = 300 * time.Millisecond
	start := time.Now()
	_, err := c.GetPayment(context.Background(), "pay_abcdefgh12", paymentsapi.WithBudget(budget))
	if elapsed := time.Since(start); elapsed > budget+tolerance || !errors.Is(err, paymentsapi.ErrBudgetExhausted) {
		t.Fatalf("returned after %s with %v", elapsed, err)
	}
}

// A repeated key replays: the client's second call with the same key gets
// the same payment, and the mock logs the replay.
func TestMockIdempotentReplay(t *testing.T) {
	t.Parallel()
	m, url := startMock(t, "../payments/openapi.yaml", mock.Options{Stateful: true})
	c := mockClient(t, url)
	a, err := c.CreatePayment(context.Background(), nil, paymentRequest(100), paymentsapi.WithIdempotencyKey("order-1"))
	if err != nil {
		t.Fatal(err)
	}
	var raw *http.Response
	b, err := c.CreatePayment(context.Background(), nil, paymentRequest(100), paymentsapi.WithIdempotencyKey("order-1"), paymentsapi.WithResponse(&raw))
	if err != nil {
		t.Fatal(err)
	}
	if a == nil || b == nil || a.Id != b.Id || raw.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("first %+v, second %+v", a, b)
	}
	_, err = c.CreatePayment(context.Background(), nil, paymentRequest(999), paymentsapi.WithIdempotencyKey("order-1"))
	var re *paymentsapi.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("another body under the key: %v", err)
	}
	if log := m.Requests(); len(log) != 3 || !log[1].Replayed {
		t.Fatalf("log %+v", log)
	}
}

// An invalid request gets a 400 problem whose errors point into the body.
func TestMockValidationProblem(t *testing.T) {
	t.Parallel()
	_, url := startMock(t, "../payments/openapi.yaml", mock.Options{})
	// The client refuses such a body itself unless told not to: the mock's
	// own answer is what is tested here.
	c := mockClient(t, url, paymentsapi.WithoutClientRequestValidation())
	_, err := c.CreatePayment(context.Background(), nil, paymentsapi.CreatePaymentJSONRequestBody{AmountMinor: -5, Currency: "euro", CustomerId: "cus_1"})
	var re *paymentsapi.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusBadRequest || re.Attempts != 1 {
		t.Fatalf("want a 400 answered once, got %v", err)
	}
	var p struct {
		Errors []mock.Violation `json:"errors"`
	}
	if err := json.Unmarshal(re.Body, &p); err != nil {
		t.Fatal(err)
	}
	at := map[string]bool{}
	for _, v := range p.Errors {
		at[v.Pointer] = true
	}
	if !at["#/amount_minor"] || !at["#/currency"] {
		t.Fatalf("violations %+v", p.Errors)
	}
}

// Stateful: the generated CRM client creates customers, reads one back and
// pages through the list with the cursor the mock hands out.
func TestMockStatefulFlow(t *testing.T) {
	t.Parallel()
	_, url := startMock(t, "../crm/openapi.yaml", mock.Options{Stateful: true, ValidateResponses: true})
	key := crmapi.WithRequestEditor(func(_ context.Context, r *http.Request) error {
		r.Header.Set("X-API-Key", "sandbox")
		return nil
	})
	c := newCRMClient(t, url, key)
	ctx := context.Background()
	var ids []string
	for _, name := range []string{"ada", "grace", "edsger"} {
		resp, err := c.CreateCustomer(ctx, customerInput(name))
		if err != nil {
			t.Fatal(err)
		}
		if resp == nil || resp.Name != name {
			t.Fatalf("create %s: %+v", name, resp)
		}
		ids = append(ids, resp.Id)
	}
	got, err := c.GetCustomer(ctx, ids[1])
	if err != nil || got == nil || got.Name != "grace" || string(got.Email) != "grace@example.com" {
		t.Fatalf("get: %+v %v", got, err)
	}
	var seen []string
	limit := 2
	var cursor *string
	for range 5 {
		page, err := c.ListCustomers(ctx, &crmapi.ListCustomersParams{Limit: &limit, Cursor: cursor})
		if err != nil || page == nil {
			t.Fatalf("list: %v", err)
		}
		for _, cu := range page.Data {
			seen = append(seen, cu.Id)
		}
		if cursor = page.NextCursor; cursor == nil {
			break
		}
	}
	if len(seen) != 3 || seen[0] != ids[0] || seen[2] != ids[2] {
		t.Fatalf("listed %v, created %v", seen, ids)
	}
	if _, err := c.DeleteCustomer(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetCustomer(ctx, ids[0])
	var re *crmapi.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusNotFound {
		t.Fatalf("get after delete: %v", err)
	}
}

// After createPayment the mock sends payment.succeeded to the generated
// webhook receiver, signed per Standard Webhooks; a duplicate-delivery fault
// sends it twice with one webhook id, and the receiver runs the handler once.
func TestMockDuplicateWebhookIsDeduplicated(t *testing.T) {
	t.Parallel()
	h := &integrator{}
	hook := startReceiver(t, h, nil)
	m, url := startMock(t, "../payments/openapi.yaml", mock.Options{Stateful: true, Callback: hook,
		After: map[string][]string{"createPayment": {"payment.succeeded"}}, Faults: mockFaults(t, "payment.succeeded:duplicate")})
	resp, err := mockClient(t, url).CreatePayment(context.Background(), nil, paymentRequest(4200))
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for len(m.Deliveries()) < 2 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	ds := m.Deliveries()
	if len(ds) != 2 || !ds[1].Duplicate || ds[0].WebhookID != ds[1].WebhookID || ds[0].Status != 204 || ds[1].Status != 204 {
		t.Fatalf("deliveries %+v", ds)
	}
	got := h.received()
	if len(got) != 1 || h.calls.Load() != 1 || got[0].Data.Id != resp.Id || got[0].Data.AmountMinor != 4200 {
		t.Fatalf("handler ran %d times with %+v (payment %s)", h.calls.Load(), got, resp.Id)
	}
}
