// Package showcase is the event-driven half of the showcase integration,
// written against the generated eventsapi package as an application would:
//
//   - the payments service writes a payment and its payment.settled event
//     in one transaction (the outbox), and a relay publishes the event;
//   - the invoicing consumer marks the invoice a settled payment pays as
//     paid, through the inbox, so a redelivered event has no second effect;
//   - the CRM's customer.updated events keep a local customer catalog.
//
// A Ledger is the application's database: MemoryLedger for the demo and
// tests without services, SQLLedger on PostgreSQL, where the outbox rows
// commit with the payment and the inbox record with the invoice update.
// The demo (examples/demo) narrates it; examples/e2e/events_test.go counts
// what it does.
package showcase

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"github.com/accord-dev/accord/examples/events/eventsapi"
)

// The contract's channel addresses, and the dead-letter topics its
// x-accord dlq names.
const (
	TopicPaymentSettled  = "payments.payment.settled"
	TopicCustomerUpdated = "crm.customer.updated"
	TopicInvoiceCreated  = "invoicing.invoice.created"
	DLQPaymentSettled    = TopicPaymentSettled + ".dlq"
	DLQCustomerUpdated   = TopicCustomerUpdated + ".dlq"
)

// Group is the consumer group the contract's Kafka bindings name.
const Group = "showcase-integration"

// Payment is a payment the payments service settles.
type Payment struct {
	ID, CustomerID, InvoiceID, Currency string
	AmountMinor                         int64
}

// Invoice is an invoice as invoicing keeps it. TimesPaid counts the
// effects of payment.settled events on it: the inbox keeps it at 1 however
// often the event is delivered.
type Invoice struct {
	ID, CustomerID, Currency string
	TotalMinor               int64
	Status                   string // open | paid
	PaidBy                   string // the payment id
	TimesPaid                int
}

// Customer is the local catalog's copy of a CRM customer. Updates counts
// the customer.updated events applied (older ones than the copy are not).
type Customer struct {
	ID, Email, Name, VATID string
	UpdatedAt              time.Time
	Updates                int
}

// Ledger is the application's state and its outbox and inbox.
type Ledger interface {
	// Name says where the state lives, for the demo's narration.
	Name() string
	OpenInvoice(ctx context.Context, inv Invoice) error
	// SettlePayment writes the payment and its payment.settled event in
	// one transaction and returns the event as enqueued. When abort is not
	// nil the transaction is rolled back after the event was enqueued: the
	// payment and the event are both gone, and abort is returned.
	SettlePayment(ctx context.Context, p Payment, abort error) (eventsapi.EventMessage, error)
	HasPayment(ctx context.Context, id string) (bool, error)
	// Pending is the number of outbox events not yet published.
	Pending(ctx context.Context) (int64, error)
	// RunRelay publishes the outbox to sink until ctx ends.
	RunRelay(ctx context.Context, sink eventsapi.EventSink) error
	// Inbox deduplicates the consumer's deliveries.
	Inbox() eventsapi.EventInbox
	// Register puts the ledger's handlers on a consumer built with Inbox.
	Register(c *eventsapi.EventConsumer)
	Invoice(ctx context.Context, id string) (Invoice, bool, error)
	Customer(ctx context.Context, id string) (Customer, bool, error)
}

// NewConsumer is the integration's consumer of both receive operations,
// with the contract's retries and dead-letter topics, deduplicating
// through the ledger's inbox.
func NewConsumer(l Ledger, t eventsapi.EventTransport, hooks eventsapi.EventConsumerHooks) (*eventsapi.EventConsumer, error) {
	c, err := eventsapi.NewConsumer(t, eventsapi.EventConsumerOptions{Group: Group, Inbox: l.Inbox(), Hooks: hooks})
	if err != nil {
		return nil, fmt.Errorf("consumer: %w", err)
	}
	l.Register(c)
	return c, nil
}

// settledEvent publishes p's payment.settled through pub: the event id is
// also the contract's event-id header, the payment id the correlation id
// (the key comes from the payload: x-accord partitionKey).
func settledEvent(ctx context.Context, pub *eventsapi.Publisher, p Payment, now time.Time) (eventsapi.EventMessage, error) {
	msg := eventsapi.PaymentSettled{PaymentId: p.ID, CustomerId: p.CustomerID, AmountMinor: p.AmountMinor,
		Currency: p.Currency, SettledAt: now.UTC().Truncate(time.Millisecond)}
	if p.InvoiceID != "" {
		msg.InvoiceId = &p.InvoiceID
	}
	id := NewEventID()
	return pub.PublishPaymentSettled(ctx, msg, eventsapi.WithMessageID(id),
		eventsapi.WithMessageHeader("event-id", id), eventsapi.WithCorrelationID(p.ID))
}

// CustomerUpdatedEvent is the CRM's customer.updated for c as the CRM
// (another system, without accord's typed publisher) sends it: the
// contract's headers set, the customer id as key and correlation id.
func CustomerUpdatedEvent(c eventsapi.CustomerUpdated) (eventsapi.EventMessage, error) {
	payload, err := json.Marshal(c)
	if err != nil {
		return eventsapi.EventMessage{}, fmt.Errorf("customer.updated %s: %w", c.CustomerId, err)
	}
	id := NewEventID()
	return eventsapi.EventMessage{ID: id, Topic: TopicCustomerUpdated, Key: c.CustomerId, Payload: payload, ContentType: "application/json",
		CorrelationID: "crm-" + c.CustomerId, Headers: map[string]string{"event-id": id}}, nil
}

// PoisonPaymentSettled is a payment.settled from a producer with a bug:
// amount_minor is a string, which no retry can fix.
func PoisonPaymentSettled(paymentID, invoiceID string) eventsapi.EventMessage {
	id := NewEventID()
	return eventsapi.EventMessage{ID: id, Topic: TopicPaymentSettled, Key: paymentID, ContentType: "application/json", CorrelationID: paymentID,
		Headers: map[string]string{"event-id": id},
		Payload: []byte(`{"payment_id":"` + paymentID + `","customer_id":"cus_ada","invoice_id":"` + invoiceID +
			`","amount_minor":"42,00","currency":"EUR","settled_at":"2026-01-05T10:00:00Z"}`)}
}

// NewEventID returns a random (version 4) UUID, the contract's event-id.
func NewEventID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

// Kafka is franz-go's in-process cluster (kfake: the real Kafka protocol
// on 127.0.0.1) with the contract's topics, and the runtime's transport on
// it.
type Kafka struct {
	Cluster   *kfake.Cluster
	Transport *eventsapi.KafkaTransport
}

// StartKafka starts the cluster; Close stops it.
func StartKafka() (*Kafka, error) {
	topics := []string{TopicPaymentSettled, TopicCustomerUpdated, TopicInvoiceCreated, DLQPaymentSettled, DLQCustomerUpdated}
	// A short heartbeat lets a consumer that joins late get its partitions
	// at once rather than after the default rebalance timing.
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, topics...), kfake.AllowAutoTopicCreation(),
		kfake.BrokerConfigs(map[string]string{"group.consumer.heartbeat.interval.ms": "200", "group.consumer.session.timeout.ms": "1500"}))
	if err != nil {
		return nil, fmt.Errorf("starting kfake: %w", err)
	}
	t, err := eventsapi.NewKafkaTransport(eventsapi.KafkaTransportOptions{Brokers: c.ListenAddrs(),
		ClientOptions: []kgo.Opt{kgo.FetchMaxWait(100 * time.Millisecond)}})
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("kafka transport: %w", err)
	}
	return &Kafka{Cluster: c, Transport: t}, nil
}

// Addr is the cluster's listen address.
func (k *Kafka) Addr() string { return k.Cluster.ListenAddrs()[0] }

func (k *Kafka) Close() {
	_ = k.Transport.Close()
	k.Cluster.Close()
}
