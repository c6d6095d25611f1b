package e2e

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/accord-dev/accord/examples/invoicing/invoicingapi"
	"github.com/accord-dev/accord/examples/payments/paymentsapi"
)

const duplicates = 200

// 200 concurrent POSTs with one key and no retries: the handler runs once;
// the first caller gets the 201, every other one the 409 that says the
// first is still in flight; afterwards the key replays the stored 201.
func TestDuplicatePostsWhileInFlight(t *testing.T) {
	t.Parallel()
	inv := &invoicer{hold: make(chan struct{})}
	others := make(chan struct{})
	copt, sopt := noLimits()
	srv := startInvoicing(t, inv, sopt, countInvoiceResponses(duplicates-1, others))
	c := newInvoicingClient(t, srv.URL, copt)

	type result struct {
		resp   *invoicingapi.Invoice
		status int
		err    error
	}
	results := make(chan result, duplicates)
	var wg sync.WaitGroup
	for range duplicates {
		wg.Go(func() {
			var raw *http.Response
			r, err := c.CreateInvoice(context.Background(), nil, invoiceInput("cus_1", 1000),
				invoicingapi.WithIdempotencyKey("dup-in-flight"), invoicingapi.WithRetries(0), invoicingapi.WithResponse(&raw))
			status := 0
			if raw != nil {
				status = raw.StatusCode
			}
			results <- result{r, status, err}
		})
	}
	<-others // 199 answers are out while the handler is held
	close(inv.hold)
	wg.Wait()
	close(results)

	created, conflicts := 0, 0
	for r := range results {
		switch {
		case r.err == nil && r.resp != nil && r.status == http.StatusCreated:
			created++
		case r.err != nil:
			var oe *invoicingapi.OperationError[invoicingapi.CreateInvoiceResponse]
			if !errors.As(r.err, &oe) || oe.StatusCode != http.StatusConflict || oe.Header.Get("Retry-After") == "" || oe.Problem == nil {
				t.Fatalf("want 409 with Retry-After and a problem, got %v", r.err)
			}
			conflicts++
		default:
			t.Fatalf("unexpected status %d", r.status)
		}
	}
	if created != 1 || conflicts != duplicates-1 || inv.runs.Load() != 1 {
		t.Fatalf("created %d, conflicts %d, handler runs %d; want 1, %d, 1", created, conflicts, inv.runs.Load(), duplicates-1)
	}

	var raw *http.Response
	again, err := c.CreateInvoice(context.Background(), nil, invoiceInput("cus_1", 1000), invoicingapi.WithIdempotencyKey("dup-in-flight"), invoicingapi.WithResponse(&raw))
	if err != nil {
		t.Fatal(err)
	}
	if raw.Header.Get("Idempotent-Replayed") != "true" || again == nil || again.Id != "in_0001" || inv.runs.Load() != 1 {
		t.Fatalf("replay: header %q, invoice %+v, runs %d", raw.Header.Get("Idempotent-Replayed"), again, inv.runs.Load())
	}
}

// The same 200 duplicates with the client's own policy: the 409s are
// retried after their Retry-After, so every caller ends with the same 201.
func TestDuplicatePostsAllGetTheSameAnswer(t *testing.T) {
	t.Parallel()
	inv := &invoicer{hold: make(chan struct{})}
	others := make(chan struct{})
	copt, sopt := noLimits()
	srv := startInvoicing(t, inv, sopt, countInvoiceResponses(duplicates-1, others))
	c := newInvoicingClient(t, srv.URL, copt)

	ids := make(chan string, duplicates)
	errs := make(chan error, duplicates)
	var wg sync.WaitGroup
	for range duplicates {
		wg.Go(func() {
			r, err := c.CreateInvoice(context.Background(), nil, invoiceInput("cus_2", 2500), invoicingapi.WithIdempotencyKey("dup-retried"))
			if err != nil {
				errs <- err
				return
			}
			ids <- r.Id
		})
	}
	<-others
	close(inv.hold)
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		t.Errorf("call failed: %v", err)
	}
	n := 0
	for id := range ids {
		n++
		if id != "in_0001" {
			t.Fatalf("caller got invoice %s, want the single in_0001", id)
		}
	}
	if n != duplicates || inv.runs.Load() != 1 {
		t.Fatalf("%d callers got the invoice, handler ran %d times", n, inv.runs.Load())
	}
}

// The contract declares Idempotency-Key as a required header parameter;
// callers pass nil params and the runtime generates the key, once per call.
func TestDeclaredKeyParameterNeedsNothingFromTheCaller(t *testing.T) {
	t.Parallel()
	var got seen
	inv := &invoicer{}
	srv := serve(t, got.wrap(invoicingapi.NewServer(inv, invoicingapi.WithLogger(quietLogger()), invoicingapi.WithAuthenticator(invoicingAuth{}))))
	c := newInvoicingClient(t, srv.URL)
	if _, err := c.CreateInvoice(context.Background(), nil, invoiceInput("cus_3", 10)); err != nil {
		t.Fatal(err)
	}
	params := &invoicingapi.CreateInvoiceParams{IdempotencyKey: "from-params"}
	if _, err := c.CreateInvoice(context.Background(), params, invoiceInput("cus_3", 20)); err != nil {
		t.Fatal(err)
	}
	h := got.headers()
	if len(h) != 2 || len(h[0].Get("Idempotency-Key")) != 36 || h[1].Get("Idempotency-Key") != "from-params" {
		t.Fatalf("keys sent: %q, %q", h[0].Get("Idempotency-Key"), h[1].Get("Idempotency-Key"))
	}
}

func TestSameKeyOtherPayloadIs422(t *testing.T) {
	t.Parallel()
	prov := newProvider()
	c := newClient(t, startPayments(t, prov).URL)
	ctx := context.Background()
	if _, err := c.CreatePayment(ctx, nil, paymentRequest(100), paymentsapi.WithIdempotencyKey("k-422")); err != nil {
		t.Fatal(err)
	}
	resp, err := c.CreatePayment(ctx, nil, paymentRequest(999), paymentsapi.WithIdempotencyKey("k-422"))
	re := asResponseError(t, err)
	var oe *paymentsapi.OperationError[paymentsapi.CreatePaymentResponse]
	typed := errors.As(err, &oe) && oe.Response != nil && oe.Response.ApplicationproblemJSON422 != nil
	if re.StatusCode != http.StatusUnprocessableEntity || resp != nil || !typed || re.Attempts != 1 {
		t.Fatalf("got %v (typed 422 %v)", err, typed)
	}
	if prov.runs.Load() != 1 {
		t.Fatalf("handler ran %d times", prov.runs.Load())
	}
}

func TestMissingRequiredKeyIs400(t *testing.T) {
	t.Parallel()
	prov := newProvider()
	// This client does not send keys; the contract requires one.
	c := newClient(t, startPayments(t, prov).URL, clientPolicy("createPayment", func(p *paymentsapi.Policy) {
		p.Idempotency = paymentsapi.IdempotencyOff
	}))
	resp, err := c.CreatePayment(context.Background(), nil, paymentRequest(100))
	var oe *paymentsapi.OperationError[paymentsapi.CreatePaymentResponse]
	if !errors.As(err, &oe) || oe.StatusCode != http.StatusBadRequest {
		t.Fatalf("want a 400 OperationError, got %v", err)
	}
	if oe.Problem == nil || !strings.Contains(oe.Problem.Detail, "Idempotency-Key") || resp != nil || oe.Response == nil || oe.Response.ApplicationproblemJSON400 == nil {
		t.Fatalf("problem %+v, typed response %+v", oe.Problem, resp)
	}
	if ct := oe.Header.Get("Content-Type"); ct != "application/problem+json" {
		t.Fatalf("content type %q", ct)
	}
	if oe.Attempts != 1 || prov.runs.Load() != 0 {
		t.Fatalf("attempts %d, handler runs %d", oe.Attempts, prov.runs.Load())
	}
}
