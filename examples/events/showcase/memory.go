package showcase

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/accord-dev/accord/examples/events/eventsapi"
)

// MemoryLedger keeps the state in process: a transaction is a set of
// writes applied under one lock at commit, the outbox a list the relay
// drains in order, the inbox the runtime's MemoryInbox. Nothing survives a
// restart; SQLLedger is the durable one.
type MemoryLedger struct {
	inbox *eventsapi.MemoryInbox
	wake  chan struct{} // a commit enqueued events

	mu        sync.Mutex
	payments  map[string]Payment
	invoices  map[string]*Invoice
	customers map[string]*Customer
	outbox    []eventsapi.EventMessage
	sent      int // outbox[:sent] are published
}

func NewMemoryLedger() *MemoryLedger {
	return &MemoryLedger{inbox: eventsapi.NewMemoryInbox(), wake: make(chan struct{}, 1),
		payments: map[string]Payment{}, invoices: map[string]*Invoice{}, customers: map[string]*Customer{}}
}

func (l *MemoryLedger) Name() string { return "memory" }

func (l *MemoryLedger) OpenInvoice(_ context.Context, inv Invoice) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	inv.Status, inv.PaidBy, inv.TimesPaid = "open", "", 0
	l.invoices[inv.ID] = &inv
	return nil
}

// memTx is one transaction's writes; the publisher enqueues into it.
type memTx struct {
	payments []Payment
	events   []eventsapi.EventMessage
}

func (tx *memTx) Publish(_ context.Context, msgs []eventsapi.EventMessage) error {
	tx.events = append(tx.events, msgs...)
	return nil
}

func (l *MemoryLedger) SettlePayment(ctx context.Context, p Payment, abort error) (eventsapi.EventMessage, error) {
	tx := &memTx{payments: []Payment{p}}
	pub, err := eventsapi.NewPublisher(tx, eventsapi.EventPublisherOptions{})
	if err != nil {
		return eventsapi.EventMessage{}, err
	}
	m, err := settledEvent(ctx, pub, p, time.Now())
	if err != nil {
		return m, err
	}
	if abort != nil {
		return m, abort // the transaction is dropped: neither payment nor event
	}
	l.mu.Lock()
	for _, p := range tx.payments {
		l.payments[p.ID] = p
	}
	l.outbox = append(l.outbox, tx.events...)
	l.mu.Unlock()
	select {
	case l.wake <- struct{}{}:
	default:
	}
	return m, nil
}

func (l *MemoryLedger) HasPayment(_ context.Context, id string) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.payments[id]
	return ok, nil
}

func (l *MemoryLedger) Pending(context.Context) (int64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return int64(len(l.outbox) - l.sent), nil
}

// RunRelay publishes unsent events in commit order and marks them sent
// once the transport accepted them; a failed publish is retried. Run one
// relay per ledger.
func (l *MemoryLedger) RunRelay(ctx context.Context, sink eventsapi.EventSink) error {
	for {
		l.mu.Lock()
		batch := append([]eventsapi.EventMessage(nil), l.outbox[l.sent:]...)
		l.mu.Unlock()
		if len(batch) == 0 {
			select {
			case <-ctx.Done():
				return nil
			case <-l.wake:
				continue
			}
		}
		if err := sink.Publish(ctx, batch); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(200 * time.Millisecond):
				continue
			}
		}
		l.mu.Lock()
		l.sent += len(batch)
		l.mu.Unlock()
	}
}

func (l *MemoryLedger) Inbox() eventsapi.EventInbox { return l.inbox }

func (l *MemoryLedger) Register(c *eventsapi.EventConsumer) {
	eventsapi.RegisterHandler(c, memHandler{l})
}

func (l *MemoryLedger) Invoice(_ context.Context, id string) (Invoice, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	inv, ok := l.invoices[id]
	if !ok {
		return Invoice{}, false, nil
	}
	return *inv, true, nil
}

func (l *MemoryLedger) Customer(_ context.Context, id string) (Customer, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	c, ok := l.customers[id]
	if !ok {
		return Customer{}, false, nil
	}
	return *c, true, nil
}

// memHandler is the generated Handler on the memory state. The inbox runs
// it at most once per event id; it runs again only when it failed.
type memHandler struct{ l *MemoryLedger }

var _ eventsapi.Handler = memHandler{}

func (h memHandler) OnPaymentSettled(_ context.Context, msg eventsapi.PaymentSettled, _ *eventsapi.EventDelivery) error {
	if msg.InvoiceId == nil {
		return nil // a payment without an invoice has nothing to mark
	}
	h.l.mu.Lock()
	defer h.l.mu.Unlock()
	inv, ok := h.l.invoices[*msg.InvoiceId]
	if !ok {
		return fmt.Errorf("invoice %s not found", *msg.InvoiceId) // retried, then dead-lettered
	}
	inv.Status, inv.PaidBy = "paid", msg.PaymentId
	inv.TimesPaid++
	return nil
}

func (h memHandler) OnCustomerUpdated(_ context.Context, msg eventsapi.CustomerUpdated, _ *eventsapi.EventDelivery) error {
	h.l.mu.Lock()
	defer h.l.mu.Unlock()
	c, ok := h.l.customers[msg.CustomerId]
	if ok && !msg.UpdatedAt.After(c.UpdatedAt) {
		return nil // an older copy than ours (events of one key arrive in order, replays need not)
	}
	if !ok {
		c = &Customer{ID: msg.CustomerId}
		h.l.customers[c.ID] = c
	}
	c.Email, c.Name, c.UpdatedAt = string(msg.Email), msg.Name, msg.UpdatedAt
	c.VATID = ""
	if msg.VatId != nil {
		c.VATID = *msg.VatId
	}
	c.Updates++
	return nil
}
