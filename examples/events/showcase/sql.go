package showcase

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"regexp"
	"time"

	"github.com/accord-dev/accord/examples/events/eventsapi"
)

// SQLLedger keeps the state in PostgreSQL: the payment and its outbox row
// commit in one transaction, the invoice update and its inbox record in
// another, so neither a lost event nor a second effect is possible. Tables
// are named prefix_payments, _invoices, _customers, _outbox (and
// _outbox_shards) and _inbox.
type SQLLedger struct {
	db     *sql.DB
	prefix string
	outbox *eventsapi.SQLOutbox
	inbox  *eventsapi.SQLInbox
}

var tablePrefix = regexp.MustCompile(`^[a-z_][a-z0-9_]{0,48}$`)

// NewSQLLedger creates the tables if missing.
func NewSQLLedger(ctx context.Context, db *sql.DB, prefix string) (*SQLLedger, error) {
	if !tablePrefix.MatchString(prefix) {
		return nil, fmt.Errorf("sql ledger: table prefix %q is not a plain lower-case name", prefix)
	}
	l := &SQLLedger{db: db, prefix: prefix,
		outbox: eventsapi.NewSQLOutbox(db, eventsapi.SQLOutboxOptions{Table: prefix + "_outbox"}),
		inbox:  eventsapi.NewSQLInbox(db, eventsapi.SQLInboxOptions{Table: prefix + "_inbox"})}
	for _, q := range []string{
		`CREATE TABLE IF NOT EXISTS ` + prefix + `_payments (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL,
			invoice_id TEXT NOT NULL, amount_minor BIGINT NOT NULL, currency TEXT NOT NULL)`,
		`CREATE TABLE IF NOT EXISTS ` + prefix + `_invoices (id TEXT PRIMARY KEY, customer_id TEXT NOT NULL,
			currency TEXT NOT NULL, total_minor BIGINT NOT NULL, status TEXT NOT NULL, paid_by TEXT NOT NULL DEFAULT '',
			times_paid INTEGER NOT NULL DEFAULT 0)`,
		`CREATE TABLE IF NOT EXISTS ` + prefix + `_customers (id TEXT PRIMARY KEY, email TEXT NOT NULL, name TEXT NOT NULL,
			vat_id TEXT NOT NULL, updated_at TIMESTAMPTZ NOT NULL, updates INTEGER NOT NULL DEFAULT 1)`,
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			return nil, fmt.Errorf("sql ledger: create tables: %w", err)
		}
	}
	if err := l.outbox.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := l.inbox.Migrate(ctx); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *SQLLedger) Name() string { return "PostgreSQL" }

func (l *SQLLedger) tables() []string {
	p := l.prefix
	return []string{p + "_payments", p + "_invoices", p + "_customers", p + "_outbox", p + "_outbox_shards", p + "_inbox"}
}

// Reset empties the tables: a demo run starts from nothing, and events an
// earlier run left unsent would otherwise reach this run's consumer.
func (l *SQLLedger) Reset(ctx context.Context) error {
	for _, t := range l.tables() {
		if t == l.prefix+"_outbox_shards" {
			continue // the relay's lock rows, not state
		}
		if _, err := l.db.ExecContext(ctx, "DELETE FROM "+t); err != nil {
			return fmt.Errorf("sql ledger: reset %s: %w", t, err)
		}
	}
	return nil
}

// Drop removes the tables (tests).
func (l *SQLLedger) Drop(ctx context.Context) error {
	var errs []error
	for _, t := range l.tables() {
		if _, err := l.db.ExecContext(ctx, "DROP TABLE IF EXISTS "+t); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

func (l *SQLLedger) OpenInvoice(ctx context.Context, inv Invoice) error {
	_, err := l.db.ExecContext(ctx, "INSERT INTO "+l.prefix+"_invoices (id, customer_id, currency, total_minor, status) VALUES ($1, $2, $3, $4, 'open')",
		inv.ID, inv.CustomerID, inv.Currency, inv.TotalMinor)
	if err != nil {
		return fmt.Errorf("open invoice %s: %w", inv.ID, err)
	}
	return nil
}

func (l *SQLLedger) SettlePayment(ctx context.Context, p Payment, abort error) (eventsapi.EventMessage, error) {
	tx, err := l.db.BeginTx(ctx, nil)
	if err != nil {
		return eventsapi.EventMessage{}, fmt.Errorf("settle %s: %w", p.ID, err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	if _, err := tx.ExecContext(ctx, "INSERT INTO "+l.prefix+"_payments (id, customer_id, invoice_id, amount_minor, currency) VALUES ($1, $2, $3, $4, $5)",
		p.ID, p.CustomerID, p.InvoiceID, p.AmountMinor, p.Currency); err != nil {
		return eventsapi.EventMessage{}, fmt.Errorf("settle %s: %w", p.ID, err)
	}
	// The publisher writes into the outbox within tx: the event exists if
	// and only if the payment does.
	pub, err := eventsapi.NewPublisher(l.outbox.Sink(tx), eventsapi.EventPublisherOptions{})
	if err != nil {
		return eventsapi.EventMessage{}, err
	}
	m, err := settledEvent(ctx, pub, p, time.Now())
	if err != nil {
		return m, err
	}
	if abort != nil {
		return m, abort
	}
	if err := tx.Commit(); err != nil {
		return m, fmt.Errorf("settle %s: commit: %w", p.ID, err)
	}
	return m, nil
}

func (l *SQLLedger) HasPayment(ctx context.Context, id string) (bool, error) {
	var n int
	if err := l.db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+l.prefix+"_payments WHERE id = $1", id).Scan(&n); err != nil {
		return false, fmt.Errorf("payment %s: %w", id, err)
	}
	return n > 0, nil
}

func (l *SQLLedger) Pending(ctx context.Context) (int64, error) {
	n, _, err := l.outbox.Pending(ctx)
	return n, err
}

// RunRelay runs the runtime's outbox relay, polling often: the demo and
// tests wait for it.
func (l *SQLLedger) RunRelay(ctx context.Context, sink eventsapi.EventSink) error {
	return eventsapi.NewOutboxRelay(l.outbox, sink, eventsapi.OutboxRelayOptions{PollInterval: 20 * time.Millisecond}).Run(ctx)
}

func (l *SQLLedger) Inbox() eventsapi.EventInbox { return l.inbox }

func (l *SQLLedger) Register(c *eventsapi.EventConsumer) {
	eventsapi.RegisterHandlerTx(c, sqlHandler{l})
}

func (l *SQLLedger) Invoice(ctx context.Context, id string) (Invoice, bool, error) {
	inv := Invoice{ID: id}
	err := l.db.QueryRowContext(ctx, "SELECT customer_id, currency, total_minor, status, paid_by, times_paid FROM "+l.prefix+"_invoices WHERE id = $1", id).
		Scan(&inv.CustomerID, &inv.Currency, &inv.TotalMinor, &inv.Status, &inv.PaidBy, &inv.TimesPaid)
	if errors.Is(err, sql.ErrNoRows) {
		return Invoice{}, false, nil
	}
	if err != nil {
		return Invoice{}, false, fmt.Errorf("invoice %s: %w", id, err)
	}
	return inv, true, nil
}

func (l *SQLLedger) Customer(ctx context.Context, id string) (Customer, bool, error) {
	c := Customer{ID: id}
	err := l.db.QueryRowContext(ctx, "SELECT email, name, vat_id, updated_at, updates FROM "+l.prefix+"_customers WHERE id = $1", id).
		Scan(&c.Email, &c.Name, &c.VATID, &c.UpdatedAt, &c.Updates)
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, false, nil
	}
	if err != nil {
		return Customer{}, false, fmt.Errorf("customer %s: %w", id, err)
	}
	return c, true, nil
}

// sqlHandler is the generated HandlerTx: each effect is written in the
// inbox's transaction, which also records the event id.
type sqlHandler struct{ l *SQLLedger }

var _ eventsapi.HandlerTx = sqlHandler{}

func (h sqlHandler) OnPaymentSettled(ctx context.Context, tx *sql.Tx, msg eventsapi.PaymentSettled, _ *eventsapi.EventDelivery) error {
	if msg.InvoiceId == nil {
		return nil
	}
	res, err := tx.ExecContext(ctx, "UPDATE "+h.l.prefix+"_invoices SET status = 'paid', paid_by = $1, times_paid = times_paid + 1 WHERE id = $2",
		msg.PaymentId, *msg.InvoiceId)
	if err != nil {
		return fmt.Errorf("mark invoice %s paid: %w", *msg.InvoiceId, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("invoice %s not found", *msg.InvoiceId)
	}
	return nil
}

func (h sqlHandler) OnCustomerUpdated(ctx context.Context, tx *sql.Tx, msg eventsapi.CustomerUpdated, _ *eventsapi.EventDelivery) error {
	vat := ""
	if msg.VatId != nil {
		vat = *msg.VatId
	}
	// An older copy than the stored one changes nothing.
	_, err := tx.ExecContext(ctx, "INSERT INTO "+h.l.prefix+"_customers AS c (id, email, name, vat_id, updated_at) VALUES ($1, $2, $3, $4, $5)"+
		" ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, name = EXCLUDED.name, vat_id = EXCLUDED.vat_id,"+
		" updated_at = EXCLUDED.updated_at, updates = c.updates + 1 WHERE c.updated_at < EXCLUDED.updated_at",
		msg.CustomerId, string(msg.Email), msg.Name, vat, msg.UpdatedAt)
	if err != nil {
		return fmt.Errorf("catalog %s: %w", msg.CustomerId, err)
	}
	return nil
}
