package e2e

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/accord-dev/accord/examples/events/eventsapi"
	"github.com/accord-dev/accord/examples/events/showcase"
)

// The showcase's events (examples/events) end to end over franz-go's
// in-process Kafka, as the demo runs them, with counts: every effect once,
// one duplicate skipped, the dead-letter topic holding exactly the poison
// message. The memory ledger, then PostgreSQL, where the outbox rows
// commit with the payments and the inbox records with the effects.
func TestEventsShowcase(t *testing.T) {
	t.Run("memory", func(t *testing.T) {
		runEventsShowcase(t, showcase.NewMemoryLedger(), nil)
	})
	t.Run("postgres", func(t *testing.T) {
		db, _ := openPostgres(t)
		prefix := fmt.Sprintf("accord_e2e_ev_%d", time.Now().UnixNano())
		ctx := context.Background()
		l, err := showcase.NewSQLLedger(ctx, db, prefix)
		if err != nil {
			t.Fatal(err)
		}
		// Registered after openPostgres's cleanup, so it runs first, while
		// the pool is open.
		t.Cleanup(func() {
			if err := l.Drop(context.Background()); err != nil {
				t.Error(err)
			}
		})
		runEventsShowcase(t, l, func(t *testing.T) {
			// What the relay and the inbox recorded: the two committed
			// payments' events sent, none pending; one inbox record per
			// handled event (4 customer.updated, 2 payment.settled), none
			// for the duplicate or the poison message.
			var sent, pending, inbox int
			q := func(dst *int, query string, args ...any) {
				t.Helper()
				if err := db.QueryRowContext(ctx, query, args...).Scan(dst); err != nil {
					t.Fatal(err)
				}
			}
			q(&sent, "SELECT COUNT(*) FROM "+prefix+"_outbox WHERE sent_at IS NOT NULL")
			q(&pending, "SELECT COUNT(*) FROM "+prefix+"_outbox WHERE sent_at IS NULL")
			q(&inbox, "SELECT COUNT(*) FROM "+prefix+"_inbox WHERE consumer_group = $1", showcase.Group)
			if sent != 2 || pending != 0 || inbox != 6 {
				t.Errorf("outbox sent %d pending %d, inbox %d records; want 2, 0, 6", sent, pending, inbox)
			}
		})
	})
}

// eventsRun is the showcase's background tasks and what they observed.
type eventsRun struct {
	mu     sync.Mutex
	dups   []string // ids the inbox skipped
	dead   []string // ids the consumer dead-lettered
	dlq    []eventsapi.EventDelivery
	errs   chan error
	stop   context.CancelFunc
	wg     sync.WaitGroup
	kafka  *showcase.Kafka
	ledger showcase.Ledger
}

func startEvents(t *testing.T, l showcase.Ledger) *eventsRun {
	t.Helper()
	k, err := showcase.StartKafka()
	if err != nil {
		t.Fatal(err)
	}
	r := &eventsRun{errs: make(chan error, 3), kafka: k, ledger: l}
	c, err := showcase.NewConsumer(l, k.Transport, eventsapi.EventConsumerHooks{
		OnDuplicate:  func(d *eventsapi.EventDelivery) { r.mu.Lock(); r.dups = append(r.dups, d.ID); r.mu.Unlock() },
		OnDeadLetter: func(d *eventsapi.EventDelivery, _ string) { r.mu.Lock(); r.dead = append(r.dead, d.ID); r.mu.Unlock() },
	})
	if err != nil {
		k.Close()
		t.Fatal(err)
	}
	ctx, stop := context.WithCancel(context.Background())
	r.stop = stop
	for _, run := range []func() error{
		func() error { return l.RunRelay(ctx, k.Transport) },
		func() error { return c.Run(ctx) },
		func() error {
			return k.Transport.Consume(ctx, "e2e-dlq-reader", []string{showcase.DLQPaymentSettled, showcase.DLQCustomerUpdated},
				func(_ context.Context, d *eventsapi.EventDelivery) error {
					r.mu.Lock()
					r.dlq = append(r.dlq, *d)
					r.mu.Unlock()
					return nil
				})
		},
	} {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			if err := run(); err != nil {
				r.errs <- err
			}
		}()
	}
	t.Cleanup(func() { r.halt(); k.Close() })
	return r
}

// halt stops the relay, the consumer and the reader and waits for them.
func (r *eventsRun) halt() {
	r.stop()
	r.wg.Wait()
}

// until polls cond; a background task's error or 20 s (the race
// detector on a busy machine) fail the test.
func (r *eventsRun) until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		select {
		case err := <-r.errs:
			t.Fatalf("waiting for %s: %v", what, err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within 20s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (r *eventsRun) counts() (dups, dead []string, dlq []eventsapi.EventDelivery) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.dups), slices.Clone(r.dead), slices.Clone(r.dlq)
}

func (r *eventsRun) invoice(t *testing.T, id string) showcase.Invoice {
	t.Helper()
	inv, _, err := r.ledger.Invoice(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return inv
}

func (r *eventsRun) customer(t *testing.T, id string) showcase.Customer {
	t.Helper()
	c, _, err := r.ledger.Customer(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func runEventsShowcase(t *testing.T, l showcase.Ledger, inSQL func(*testing.T)) {
	ctx := context.Background()
	r := startEvents(t, l)
	crm := eventsapi.NewEventPublisher(r.kafka.Transport, eventsapi.EventPublisherOptions{})

	// The CRM: two changes, then a late copy older than both (a new event
	// id, so the inbox lets it through; the handler keeps the newer copy),
	// then a third change. One key, one partition: handled in this order.
	t0 := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	for i, email := range []string{"ada@one.example", "ada@two.example", "ada@stale.example", "ada@three.example"} {
		at := t0.Add(time.Duration(i) * time.Minute)
		if i == 2 {
			at = t0.Add(-time.Hour)
		}
		m, err := showcase.CustomerUpdatedEvent(eventsapi.CustomerUpdated{CustomerId: "cus_ada", Email: openapi_types.Email(email), Name: "Ada Lovelace", UpdatedAt: at})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := crm.Publish(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	r.until(t, "the catalog's third change", func() bool { return r.customer(t, "cus_ada").Email == "ada@three.example" })
	if c := r.customer(t, "cus_ada"); c.Updates != 3 || !c.UpdatedAt.Equal(t0.Add(3*time.Minute)) {
		t.Errorf("catalog: %d updates applied, the last at %s; want 3 (the stale copy skipped), the last at %s", c.Updates, c.UpdatedAt, t0.Add(3*time.Minute))
	}

	for _, inv := range []showcase.Invoice{{ID: "inv_1", CustomerID: "cus_ada", Currency: "EUR", TotalMinor: 4200}, {ID: "inv_2", CustomerID: "cus_ada", Currency: "EUR", TotalMinor: 1500}} {
		if err := l.OpenInvoice(ctx, inv); err != nil {
			t.Fatal(err)
		}
	}
	// A settlement whose transaction rolls back after the enqueue leaves
	// neither the payment nor the event.
	abort := errors.New("abort")
	if _, err := l.SettlePayment(ctx, showcase.Payment{ID: "pay_0", CustomerID: "cus_ada", InvoiceID: "inv_1", Currency: "EUR", AmountMinor: 4200}, abort); !errors.Is(err, abort) {
		t.Fatalf("aborted settlement: %v", err)
	}
	if has, err := l.HasPayment(ctx, "pay_0"); err != nil || has {
		t.Fatalf("rolled-back payment stored: %v %v", has, err)
	}
	if n, err := l.Pending(ctx); err != nil || n != 0 {
		t.Fatalf("rolled-back event pending: %d %v", n, err)
	}

	var sent []eventsapi.EventMessage
	for i, inv := range []string{"inv_1", "inv_2"} {
		m, err := l.SettlePayment(ctx, showcase.Payment{ID: fmt.Sprintf("pay_%d", i+1), CustomerID: "cus_ada", InvoiceID: inv, Currency: "EUR", AmountMinor: 100}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if m.ID == "" || m.Key != fmt.Sprintf("pay_%d", i+1) || m.Headers["event-id"] != m.ID || m.CorrelationID != m.Key {
			t.Errorf("payment.settled as enqueued: id %q key %q event-id %q correlation %q", m.ID, m.Key, m.Headers["event-id"], m.CorrelationID)
		}
		sent = append(sent, m)
	}
	r.until(t, "both invoices paid", func() bool {
		return r.invoice(t, "inv_1").Status == "paid" && r.invoice(t, "inv_2").Status == "paid"
	})
	r.until(t, "the outbox drained", func() bool { n, err := l.Pending(ctx); return err == nil && n == 0 })

	// The relay's crash window: the first event delivered again.
	if err := r.kafka.Transport.Publish(ctx, sent[:1]); err != nil {
		t.Fatal(err)
	}
	r.until(t, "the duplicate skipped", func() bool { d, _, _ := r.counts(); return len(d) > 0 })

	// A poison message: a payload that does not decode.
	poison, err := crm.Publish(ctx, showcase.PoisonPaymentSettled("pay_9", "inv_1"))
	if err != nil {
		t.Fatal(err)
	}
	r.until(t, "the poison message in the dead-letter topic", func() bool { _, _, q := r.counts(); return len(q) > 0 })
	r.halt()

	dups, dead, dlq := r.counts()
	if len(dups) != 1 || dups[0] != sent[0].ID {
		t.Errorf("inbox skipped %q; want exactly the redelivered %s", dups, sent[0].ID)
	}
	for i, id := range []string{"inv_1", "inv_2"} {
		if inv := r.invoice(t, id); inv.TimesPaid != 1 || inv.PaidBy != fmt.Sprintf("pay_%d", i+1) {
			t.Errorf("%s: paid %d times by %s; want once by pay_%d", id, inv.TimesPaid, inv.PaidBy, i+1)
		}
	}
	if len(dead) != 1 || dead[0] != poison.ID || len(dlq) != 1 || dlq[0].ID != poison.ID {
		t.Fatalf("dead-lettered %q, dead-letter topics hold %d; want exactly the poison message %s", dead, len(dlq), poison.ID)
	}
	d := dlq[0]
	dl, ok := eventsapi.ParseDeadLetter(&d.EventMessage)
	if !ok || d.Topic != showcase.DLQPaymentSettled || dl.Topic != showcase.TopicPaymentSettled || dl.Group != showcase.Group ||
		dl.Attempts != 1 || dl.Partition < 0 || dl.Offset < 0 || dl.FirstFailure.IsZero() ||
		!strings.Contains(dl.Reason, "onPaymentSettled") || !strings.Contains(dl.Reason, "amount_minor") || string(d.Payload) != string(poison.Payload) {
		t.Errorf("dead letter on %s: %+v, payload %s", d.Topic, dl, d.Payload)
	}
	if inSQL != nil {
		inSQL(t)
	}
}
