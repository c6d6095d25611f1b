package e2e

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/examples/crm/crmapi"
	"github.com/accord-dev/accord/examples/payments/paymentsapi"
)

// tolerance is what a timing assertion allows beyond the bound it checks:
// scheduling on a loaded machine, not slack in the runtime.
const tolerance = 150 * time.Millisecond

// The server fails twice with 503 + Retry-After: 1; the signed, keyed POST
// is retried after the pauses the server asked for and succeeds inside the
// 6s budget, every attempt carrying the same key and a fresh signature.
func TestRetryAfter503IsRetriedToSuccess(t *testing.T) {
	t.Parallel()
	var got seen
	prov := newProvider()
	f := &faults{StrictServerInterface: prov, create: func(_ context.Context, n int64) paymentsapi.CreatePaymentResponseObject {
		if n <= 2 {
			return problemAnswer{status: http.StatusServiceUnavailable, retryAfter: "1"}
		}
		return nil
	}}
	var rec calls
	c := newClient(t, serve(t, got.wrap(paymentsHandler(f))).URL, rec.option())

	start := time.Now()
	resp, err := c.CreatePayment(context.Background(), nil, paymentRequest(4200))
	elapsed := time.Since(start)
	if err != nil {
		t.Fatal(err)
	}
	if resp == nil || resp.AmountMinor != 4200 || prov.runs.Load() != 1 {
		t.Fatalf("payment %+v, handler runs %d", resp, prov.runs.Load())
	}
	if ci := rec.last(t); ci.Attempts != 3 || ci.StatusCode != http.StatusCreated {
		t.Fatalf("call info %+v", ci)
	}
	// Two pauses of Retry-After: 1 each; the budget is 6s.
	if elapsed < 2*time.Second || elapsed > 6*time.Second+tolerance {
		t.Fatalf("took %s", elapsed)
	}
	h := got.headers()
	if len(h) != 3 {
		t.Fatalf("%d requests reached the server", len(h))
	}
	key := h[0].Get("Idempotency-Key")
	for i, hh := range h {
		if hh.Get("Idempotency-Key") != key || key == "" {
			t.Fatalf("attempt %d key %q, first %q", i+1, hh.Get("Idempotency-Key"), key)
		}
		if i > 0 && (hh.Get("X-Signature") == h[i-1].Get("X-Signature") || hh.Get("X-Timestamp") == h[i-1].Get("X-Timestamp")) {
			t.Fatalf("attempt %d reused the signature of the previous one", i+1)
		}
	}
}

// An unsafe call is repeated only when repeating cannot repeat its effect.
// createCustomer is idempotency client (the CRM ignores keys): a 503 means
// the CRM declined the request, so it is retried, without any key; with
// idempotency off the POST is sent exactly once.
func TestPostWithoutKeyIsNeverRetried(t *testing.T) {
	t.Parallel()
	cat := &catalog{failCreates: problemAnswer{status: http.StatusServiceUnavailable, retryAfter: "0"}}
	var sawKey atomic.Bool
	srv := serve(t, keySpy(&sawKey, crmapi.NewServer(cat, crmapi.WithLogger(quietLogger()), crmapi.WithAuthenticator(crmAuth{}))))

	noKeys := newCRMClient(t, srv.URL, crmapi.WithPolicy(func(id string, p *crmapi.Policy) { p.Idempotency = crmapi.IdempotencyOff }))
	_, err := noKeys.CreateCustomer(context.Background(), customerInput("ada"))
	var re *crmapi.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusServiceUnavailable || re.Attempts != 1 || cat.creates.Load() != 1 {
		t.Fatalf("idempotency off: %v, server saw %d", err, cat.creates.Load())
	}

	recorded := newCRMClient(t, srv.URL)
	_, err = recorded.CreateCustomer(context.Background(), customerInput("ada"))
	if !errors.As(err, &re) || re.Attempts != 3 || cat.creates.Load() != 4 || sawKey.Load() {
		t.Fatalf("idempotency client: %v, server saw %d in all (a key: %v)", err, cat.creates.Load(), sawKey.Load())
	}
}

func keySpy(saw *atomic.Bool, h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Idempotency-Key") != "" {
			saw.Store(true)
		}
		h.ServeHTTP(w, r)
	})
}

// A server that never answers: the call returns by its budget.
func TestSlowServerCallReturnsByBudget(t *testing.T) {
	t.Parallel()
	stuck := func(ctx context.Context, _ int64) paymentsapi.GetPaymentResponseObject {
		<-ctx.Done() // until the server's own timeout gives up on it
		return problemAnswer{status: http.StatusServiceUnavailable}
	}
	f := &faults{StrictServerInterface: newProvider(), get: stuck}
	c := newClient(t, startPayments(t, f).URL)

	t.Run("budget", func(t *testing.T) {
		const budget = 300 * time.Millisecond
		start := time.Now()
		_, err := c.GetPayment(context.Background(), "pay_00000001", paymentsapi.WithBudget(budget))
		if elapsed := time.Since(start); elapsed > budget+tolerance {
			t.Fatalf("returned after %s, budget %s", elapsed, budget)
		}
		if !errors.Is(err, paymentsapi.ErrBudgetExhausted) {
			t.Fatalf("want ErrBudgetExhausted, got %v", err)
		}
	})
	t.Run("caller deadline", func(t *testing.T) {
		const deadline = 200 * time.Millisecond
		ctx, cancel := context.WithTimeout(context.Background(), deadline)
		defer cancel()
		start := time.Now()
		_, err := c.GetPayment(ctx, "pay_00000001")
		if elapsed := time.Since(start); elapsed > deadline+tolerance {
			t.Fatalf("returned after %s, caller's deadline %s", elapsed, deadline)
		}
		var ce *paymentsapi.CallError
		if !errors.As(err, &ce) || !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want a *CallError wrapping the deadline, got %v", err)
		}
	})
}

// The breaker opens after its threshold of failures, refuses calls without
// touching the server, then lets exactly one probe through after its
// cooldown; the probe's success closes it.
func TestBreakerOpensAndProbesAfterCooldown(t *testing.T) {
	t.Parallel()
	probeIn, probeGo := make(chan struct{}), make(chan struct{})
	f := &faults{StrictServerInterface: newProvider(), get: func(_ context.Context, n int64) paymentsapi.GetPaymentResponseObject {
		switch {
		case n <= 3:
			return problemAnswer{status: http.StatusServiceUnavailable}
		case n == 4: // the probe: hold it to see that nothing else gets through
			probeIn <- struct{}{}
			<-probeGo
		}
		return nil // the provider answers (404 for an unknown payment)
	}}
	clk := &clock{t: time.Unix(1_700_000_000, 0)}
	c := newClient(t, startPayments(t, f).URL,
		func(s *paymentsapi.ClientSettings) { s.Now = clk.Now },
		clientPolicy("getPayment", func(p *paymentsapi.Policy) {
			p.Retries = 0
			p.Breaker = paymentsapi.BreakerPolicy{Failures: 3, Window: time.Minute, Cooldown: 30 * time.Second}
		}))
	ctx := context.Background()
	for i := range 3 {
		if _, err := c.GetPayment(ctx, "pay_00000001"); asResponseError(t, err).StatusCode != 503 {
			t.Fatalf("call %d: %v", i+1, err)
		}
	}
	if _, err := c.GetPayment(ctx, "pay_00000001"); !errors.Is(err, paymentsapi.ErrCircuitOpen) || f.getCalls.Load() != 3 {
		t.Fatalf("open breaker: %v, server saw %d", err, f.getCalls.Load())
	}

	clk.Advance(30 * time.Second)
	probeDone := make(chan error, 1)
	go func() {
		_, err := c.GetPayment(ctx, "pay_00000001")
		probeDone <- err
	}()
	<-probeIn
	if _, err := c.GetPayment(ctx, "pay_00000001"); !errors.Is(err, paymentsapi.ErrCircuitOpen) {
		t.Fatalf("a second call got through while the probe was in flight: %v", err)
	}
	close(probeGo)
	if err := <-probeDone; asResponseError(t, err).StatusCode != http.StatusNotFound {
		t.Fatalf("probe: %v", err) // 404 is an answer, so the server is healthy
	}
	if _, err := c.GetPayment(ctx, "pay_00000001"); asResponseError(t, err).StatusCode != http.StatusNotFound || f.getCalls.Load() != 5 {
		t.Fatalf("closed breaker: %v, server saw %d", err, f.getCalls.Load())
	}
}

// holdGets makes GetPayment wait until release is closed, signalling each
// arrival on in.
func holdGets(in chan<- struct{}, release <-chan struct{}) func(context.Context, int64) paymentsapi.GetPaymentResponseObject {
	return func(ctx context.Context, _ int64) paymentsapi.GetPaymentResponseObject {
		in <- struct{}{}
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	}
}

// A server at its concurrency limit answers 429 with Retry-After at once.
func TestFullServerAnswers429WithRetryAfter(t *testing.T) {
	t.Parallel()
	const limit = 2
	in, release := make(chan struct{}, limit), make(chan struct{})
	f := &faults{StrictServerInterface: newProvider(), get: holdGets(in, release)}
	srv := startPayments(t, f, serverPolicy("getPayment", func(p *paymentsapi.Policy) { p.Concurrency = limit }))
	c := newClient(t, srv.URL)

	var wg sync.WaitGroup
	for range limit {
		wg.Go(func() { _, _ = c.GetPayment(context.Background(), "pay_00000001") })
	}
	for range limit {
		<-in
	}
	start := time.Now()
	resp, err := c.GetPayment(context.Background(), "pay_00000001", paymentsapi.WithRetries(0))
	re := asResponseError(t, err)
	if re.StatusCode != http.StatusTooManyRequests || re.Header.Get("Retry-After") != "1" || re.Problem == nil || resp != nil {
		t.Fatalf("got %v (Retry-After %q)", err, re.Header.Get("Retry-After"))
	}
	if d := time.Since(start); d > tolerance {
		t.Fatalf("the 429 took %s: the limit must not queue", d)
	}
	close(release)
	wg.Wait()
}

// The client bulkhead refuses a call beyond its limit with ErrBusy, at once
// and without a request.
func TestClientBulkheadFailsFastWithErrBusy(t *testing.T) {
	t.Parallel()
	in, release := make(chan struct{}, 1), make(chan struct{})
	f := &faults{StrictServerInterface: newProvider(), get: holdGets(in, release)}
	c := newClient(t, startPayments(t, f).URL, clientPolicy("getPayment", func(p *paymentsapi.Policy) { p.Concurrency = 1 }))

	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = c.GetPayment(context.Background(), "pay_00000001")
	}()
	<-in
	start := time.Now()
	_, err := c.GetPayment(context.Background(), "pay_00000001")
	if !errors.Is(err, paymentsapi.ErrBusy) || time.Since(start) > tolerance || f.getCalls.Load() != 1 {
		t.Fatalf("got %v after %s, server saw %d", err, time.Since(start), f.getCalls.Load())
	}
	close(release)
	<-done
}

// A Retry-After longer than what is left of the budget is not waited for:
// the answer is returned at once, since the retry could not finish in time.
func TestRetryAfterBeyondBudgetIsNotWaitedFor(t *testing.T) {
	t.Parallel()
	f := &faults{StrictServerInterface: newProvider(), create: func(context.Context, int64) paymentsapi.CreatePaymentResponseObject {
		return problemAnswer{status: http.StatusServiceUnavailable, retryAfter: "10"}
	}}
	c := newClient(t, startPayments(t, f).URL) // createPayment's budget is 6s
	start := time.Now()
	_, err := c.CreatePayment(context.Background(), nil, paymentRequest(1))
	re := asResponseError(t, err)
	if re.StatusCode != http.StatusServiceUnavailable || re.Attempts != 1 || time.Since(start) > tolerance {
		t.Fatalf("status %d after %d attempts in %s", re.StatusCode, re.Attempts, time.Since(start))
	}
}

// A signed, keyed POST whose first attempt fails fast (502, no Retry-After)
// is retried after a short backoff, within the same second. The server's
// replay cache must accept it: each attempt signs a fresh nonce, so only a
// byte-identical resend is a replay.
func TestSignedRetryWithinOneSecond(t *testing.T) {
	f := &faults{StrictServerInterface: newProvider(), create: func(_ context.Context, n int64) paymentsapi.CreatePaymentResponseObject {
		if n == 1 {
			return problemAnswer{status: http.StatusBadGateway}
		}
		return nil
	}}
	c := newClient(t, startPayments(t, f).URL, clientPolicy("createPayment", func(p *paymentsapi.Policy) {
		p.BackoffBase, p.BackoffCap = time.Millisecond, time.Millisecond
	}))
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second))) // both attempts in one second
	if _, err := c.CreatePayment(context.Background(), nil, paymentRequest(1)); err != nil {
		t.Fatal(err)
	}
}
