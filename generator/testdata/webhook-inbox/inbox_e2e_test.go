package payments_test

// Run by generator.TestWebhookInboxEndToEnd inside a temporary module,
// against the package generated from contract.yaml.

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"accordtest/accordrt"
	payments "accordtest/payments"
)

const key = "0123456789abcdef-partner-key"

// handler blocks every run until release is closed, so the test can see
// the receiver answer while a handler is still running.
type handler struct {
	mu      sync.Mutex
	runs    map[int64]int // by amount: one per event in this test
	started chan int64
	release chan struct{}
}

func (h *handler) PaymentSettled(ctx context.Context, body payments.PaymentSettledJSONRequestBody) error {
	h.started <- body.Amount
	select {
	case <-h.release:
	case <-ctx.Done():
		return ctx.Err()
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.runs[body.Amount]++
	return nil
}

func (h *handler) PaymentNote(ctx context.Context, body payments.PaymentNoteJSONRequestBody) error {
	return nil
}

func (h *handler) count(amount int64) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.runs[amount]
}

func waitFor(t *testing.T, what string, ch <-chan int64) int64 {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(10 * time.Second): // a bound, not a speed claim
		t.Fatalf("timed out waiting for %s", what)
		return 0
	}
}

func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

// provider is the partner's API: it creates payments and looks them up
// (the reconcile operation), counting lookups per payment.
func provider(t *testing.T) (*httptest.Server, *sync.Map) {
	var next atomic.Int32
	lookups := &sync.Map{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /payments", func(w http.ResponseWriter, r *http.Request) {
		var in payments.NewPayment
		if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(201)
		id := "pay_" + string(rune('0'+next.Add(1)))
		_ = json.NewEncoder(w).Encode(payments.Payment{Id: id, Amount: in.Amount})
	})
	mux.HandleFunc("GET /payments/{id}", func(w http.ResponseWriter, r *http.Request) {
		n, _ := lookups.LoadOrStore(r.PathValue("id"), new(atomic.Int32))
		n.(*atomic.Int32).Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(payments.Payment{Id: r.PathValue("id"), Amount: 1})
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv, lookups
}

func TestWebhookInbox(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	api, lookups := provider(t)
	q := accordrt.NewMemoryWebhookQueue()
	h := &handler{runs: map[int64]int{}, started: make(chan int64, 16), release: make(chan struct{})}
	secrets := payments.WithVerificationSecrets("partner-hmac", payments.StaticSecrets{[]byte(key)})
	inbox := payments.NewWebhookInbox(h, q, secrets, payments.WithLogger(quiet))
	recv := httptest.NewServer(inbox)
	defer recv.Close()
	// A second replica: its own idempotency store and replay cache, the
	// same queue, so only the queue can tell its delivery is a duplicate.
	replica := httptest.NewServer(payments.NewWebhookInbox(h, q, secrets, payments.WithLogger(quiet)))
	defer replica.Close()

	var overdue, reconciles atomic.Int32
	var badReconcile atomic.Value
	client, err := payments.NewClient(api.URL, payments.WithWebhookExpecter(q, func(op string, err error) { t.Errorf("expect after %s: %v", op, err) }))
	if err != nil {
		t.Fatal(err)
	}
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- inbox.Run(wctx, accordrt.WebhookWorkerOptions{
			Poll: 5 * time.Millisecond, Lease: 10 * time.Second,
			Reconcile: func(ctx context.Context, o accordrt.WebhookOverdue) error {
				reconciles.Add(1)
				if o.Reconcile != "getPayment" || o.Webhook != "paymentSettled" || o.Ref.Operation != "createPayment" {
					badReconcile.Store(o)
				}
				_, err := client.GetPayment(ctx, o.Ref.Key)
				return err
			},
			Hooks: accordrt.WebhookHooks{OnOverdue: func(o accordrt.WebhookOverdue) {
				if o.Reconcile == "getPayment" && o.Ref.Key == "pay_2" && !o.Early {
					overdue.Add(1)
				}
			}},
		})
	}()

	sender, err := payments.NewWebhookSender(payments.WithSigningSecrets("partner-hmac", payments.StaticSecrets{[]byte(key)}))
	if err != nil {
		t.Fatal(err)
	}
	send := func(base, id string, amount int64) {
		t.Helper()
		body := payments.PaymentSettledJSONRequestBody{PaymentId: "pay_1", Amount: amount}
		if err := sender.SendPaymentSettled(ctx, base+"/paymentSettled", body, payments.WithWebhookID(id)); err != nil {
			t.Fatalf("delivering %s to %s: %v", id, base, err)
		}
	}

	// The settlement of pay_1 arrives before createPayment's response:
	// acknowledged, stored once (three deliveries, two replicas), pending.
	send(recv.URL, "evt_1", 100)
	send(recv.URL, "evt_1", 100)
	send(replica.URL, "evt_1", 100)
	if cs, _ := q.Claim(ctx, 10, time.Minute); len(cs) != 0 {
		t.Fatalf("the early event was runnable before the response: %v", cs)
	}
	// A forged delivery is refused before the inbox.
	forged, _ := http.NewRequest("POST", recv.URL+"/paymentSettled", strings.NewReader(`{"payment_id":"pay_1","amount":999}`))
	forged.Header.Set("Webhook-Id", "evt_forged")
	if resp, err := http.DefaultClient.Do(forged); err != nil || resp.StatusCode != 401 {
		t.Fatalf("forged delivery: %v %v", resp, err)
	}

	// The call's response is recorded by the client: the event runs.
	created, err := client.CreatePayment(ctx, payments.CreatePaymentJSONRequestBody{Amount: 100})
	if err != nil || created == nil || created.Id != "pay_1" {
		t.Fatalf("createPayment: %v %+v", err, created)
	}
	if got := waitFor(t, "the handler of evt_1", h.started); got != 100 {
		t.Fatalf("handler started with amount %d", got)
	}
	// While that handler is still running (blocked), a new delivery is
	// answered 2xx: the answer does not wait for the handler.
	send(recv.URL, "evt_2", 200)
	if h.count(100) != 0 || h.count(200) != 0 {
		t.Fatal("a handler finished before it was released")
	}
	close(h.release)
	eventually(t, "both handlers", func() bool { return h.count(100) == 1 && h.count(200) == 1 })
	send(replica.URL, "evt_1", 100) // a late duplicate: acknowledged, not stored

	// pay_2's settlement never comes: after the 1.5s deadline the hook
	// fires and getPayment reconciles it, once.
	created, err = client.CreatePayment(ctx, payments.CreatePaymentJSONRequestBody{Amount: 5})
	if err != nil || created == nil || created.Id != "pay_2" {
		t.Fatalf("createPayment: %v %+v", err, created)
	}
	eventually(t, "the reconcile of pay_2", func() bool {
		n, ok := lookups.Load("pay_2")
		return ok && n.(*atomic.Int32).Load() == 1
	})
	eventually(t, "pay_2 settled", func() bool {
		due, _ := q.ClaimOverdue(ctx, 10, time.Minute)
		return len(due) == 0
	})
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if cs, _ := q.Claim(ctx, 10, time.Minute); len(cs) != 0 {
		t.Fatalf("events left to run: %v", cs)
	}
	n, _ := lookups.Load("pay_2")
	if h.count(100) != 1 || h.count(200) != 1 || reconciles.Load() != 1 || overdue.Load() != 1 || n.(*atomic.Int32).Load() != 1 {
		t.Fatalf("runs evt_1 %d, evt_2 %d, reconciles %d, overdue hooks %d, lookups %d; want 1 each",
			h.count(100), h.count(200), reconciles.Load(), overdue.Load(), n.(*atomic.Int32).Load())
	}
	if v := badReconcile.Load(); v != nil {
		t.Fatalf("reconcile told %+v", v)
	}
	if _, ok := lookups.Load("pay_1"); ok {
		t.Fatal("pay_1 was reconciled though its webhook came")
	}
}
