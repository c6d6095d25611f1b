package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accord-dev/accord/examples/events/eventsapi"
	"github.com/accord-dev/accord/examples/events/showcase"
)

// eventsAct runs the showcase's events (examples/events) over franz-go's
// in-process Kafka: the CRM's customer.updated refreshes the catalog; the
// payments service writes a payment and its payment.settled in one
// transaction, the relay publishes it and invoicing marks the invoice paid
// through the inbox; a redelivery is skipped and a poison message is
// dead-lettered. State, outbox and inbox are in memory, or in PostgreSQL
// when dsn is set.
func eventsAct(ctx context.Context, say func(string, ...any), dsn string) error {
	ledger, closeLedger, err := eventLedger(ctx, dsn)
	if err != nil {
		return err
	}
	defer closeLedger()
	kafka, err := showcase.StartKafka()
	if err != nil {
		return err
	}
	defer kafka.Close()
	say("▸ events on Kafka (franz-go's in-process kfake cluster at %s; state, outbox and inbox: %s)", kafka.Addr(), ledger.Name())

	var dups atomic.Int64
	consumer, err := showcase.NewConsumer(ledger, kafka.Transport, eventsapi.EventConsumerHooks{
		OnDuplicate: func(*eventsapi.EventDelivery) { dups.Add(1) },
	})
	if err != nil {
		return err
	}
	dead := make(chan eventsapi.EventDelivery, 8)
	runCtx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	errs := make(chan error, 3)
	for _, run := range []func() error{
		func() error { return ledger.RunRelay(runCtx, kafka.Transport) },
		func() error { return consumer.Run(runCtx) },
		// An operator's view of the dead-letter topic.
		func() error {
			return kafka.Transport.Consume(runCtx, "demo-dlq-reader", []string{showcase.DLQPaymentSettled},
				func(ctx context.Context, d *eventsapi.EventDelivery) error {
					select {
					case dead <- *d:
						return nil
					case <-ctx.Done():
						return ctx.Err()
					}
				})
		},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := run(); err != nil {
				errs <- err
			}
		}()
	}
	defer wg.Wait()
	defer stop()
	wait := func(what string, done func() (bool, error)) error { return waitFor(ctx, errs, what, done) }

	// The CRM is another system: it publishes with the runtime's plain
	// publisher, the contract's payload as JSON.
	say("▸ the CRM publishes customer.updated for cus_ada (a new e-mail address)")
	crm := eventsapi.NewEventPublisher(kafka.Transport, eventsapi.EventPublisherOptions{})
	vat := "GB123456789"
	upd, err := showcase.CustomerUpdatedEvent(eventsapi.CustomerUpdated{CustomerId: "cus_ada", Email: "ada@analytical-engines.example",
		Name: "Ada Lovelace", VatId: &vat, UpdatedAt: time.Now().UTC().Truncate(time.Second)})
	if err != nil {
		return err
	}
	if _, err := crm.Publish(ctx, upd); err != nil {
		return fmt.Errorf("crm: %w", err)
	}
	var cust showcase.Customer
	if err := wait("the catalog to have cus_ada", func() (ok bool, err error) {
		cust, ok, err = ledger.Customer(ctx, "cus_ada")
		return ok, err
	}); err != nil {
		return err
	}
	say("  ✓ catalog: cus_ada is %s <%s>, VAT %s (%d update applied)", cust.Name, cust.Email, cust.VATID, cust.Updates)

	if err := ledger.OpenInvoice(ctx, showcase.Invoice{ID: "inv_1001", CustomerID: "cus_ada", Currency: "EUR", TotalMinor: 4200}); err != nil {
		return err
	}
	say("▸ payments service: payment pay_7000 for invoice inv_1001, its transaction fails after enqueueing payment.settled")
	abort := errors.New("ledger check failed")
	if _, err := ledger.SettlePayment(ctx, showcase.Payment{ID: "pay_7000", CustomerID: "cus_ada", InvoiceID: "inv_1001", Currency: "EUR", AmountMinor: 4200}, abort); !errors.Is(err, abort) {
		return fmt.Errorf("the failing settlement returned %v", err)
	}
	has, err := ledger.HasPayment(ctx, "pay_7000")
	if err != nil {
		return err
	}
	pending, err := ledger.Pending(ctx)
	if err != nil {
		return err
	}
	if has || pending != 0 {
		return fmt.Errorf("a rolled-back settlement left payment=%v, %d outbox events", has, pending)
	}
	say("  ✓ rolled back together: no payment, no event (outbox pending %d)", pending)

	say("▸ payments service: payment pay_7001 42.00 EUR and its payment.settled, committed in one transaction")
	sent, err := ledger.SettlePayment(ctx, showcase.Payment{ID: "pay_7001", CustomerID: "cus_ada", InvoiceID: "inv_1001", Currency: "EUR", AmountMinor: 4200}, nil)
	if err != nil {
		return err
	}
	var inv showcase.Invoice
	paid := func() (ok bool, err error) {
		inv, ok, err = ledger.Invoice(ctx, "inv_1001")
		return ok && inv.Status == "paid", err
	}
	if err := wait("inv_1001 to be paid", paid); err != nil {
		return err
	}
	// The relay marks the row sent in a commit of its own, just after the
	// publish the consumer may already have handled.
	if err := wait("the outbox to drain", func() (bool, error) {
		pending, err = ledger.Pending(ctx)
		return pending == 0, err
	}); err != nil {
		return err
	}
	say("  ✓ the relay published event %s… (outbox pending %d); invoicing, through the inbox, marked inv_1001 paid by %s",
		prefix(sent.ID, 8), pending, inv.PaidBy)

	say("▸ the same event delivered again (a relay that died between publishing and marking it sent)")
	if err := kafka.Transport.Publish(ctx, []eventsapi.EventMessage{sent}); err != nil {
		return fmt.Errorf("redeliver: %w", err)
	}
	if err := wait("the inbox to skip the duplicate", func() (bool, error) { return dups.Load() >= 1, nil }); err != nil {
		return err
	}
	if _, err := paid(); err != nil {
		return err
	}
	if inv.TimesPaid != 1 {
		return fmt.Errorf("inv_1001 was marked paid %d times", inv.TimesPaid)
	}
	say("  ✓ skipped by the inbox: %d duplicate; inv_1001 marked paid %d time", dups.Load(), inv.TimesPaid)

	say("▸ a producer with a bug sends payment.settled with amount_minor \"42,00\"")
	poison := showcase.PoisonPaymentSettled("pay_7002", "inv_1001")
	if poison, err = crm.Publish(ctx, poison); err != nil {
		return fmt.Errorf("poison: %w", err)
	}
	var d eventsapi.EventDelivery
	select {
	case d = <-dead:
	case err := <-errs:
		return err
	case <-time.After(10 * time.Second):
		return errors.New("the poison message never reached the dead-letter topic")
	}
	dl, ok := eventsapi.ParseDeadLetter(&d.EventMessage)
	if !ok || d.ID != poison.ID {
		return fmt.Errorf("the dead-letter topic holds %s, not the poison message %s", d.ID, poison.ID)
	}
	if _, err := paid(); err != nil {
		return err
	}
	say("  ✓ in %s after %d attempt, the handler not called (inv_1001 still paid %d time)", showcase.DLQPaymentSettled, dl.Attempts, inv.TimesPaid)
	say("    %s: %s", eventsapi.DLQHeaderReason, dl.Reason)
	return nil
}

// waitFor polls done until it holds; a background task's error or 10 s
// end the wait.
func waitFor(ctx context.Context, errs <-chan error, what string, done func() (bool, error)) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		ok, err := done()
		if err != nil || ok {
			return err
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("waited 10s for %s", what)
		}
		select {
		case err := <-errs:
			return fmt.Errorf("waiting for %s: %w", what, err)
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// eventLedger is the memory ledger, or PostgreSQL's (emptied) when dsn is
// set.
func eventLedger(ctx context.Context, dsn string) (showcase.Ledger, func(), error) {
	if dsn == "" {
		return showcase.NewMemoryLedger(), func() {}, nil
	}
	db, err := sql.Open("pgx", dsn)
	if err != nil {
		return nil, nil, fmt.Errorf("open PostgreSQL: %w", err)
	}
	l, err := showcase.NewSQLLedger(ctx, db, "accord_demo_events")
	if err == nil {
		err = l.Reset(ctx)
	}
	if err != nil {
		db.Close()
		return nil, nil, fmt.Errorf("PostgreSQL ledger: %w", err)
	}
	return l, func() { db.Close() }, nil
}
