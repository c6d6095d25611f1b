package mock

import (
	"context"
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"github.com/accord-dev/accord/contracts"
)

const events = "../examples/events/asyncapi.yaml"

// The mock publishes what the application receives (customer.updated,
// payment.settled) on the in-process Kafka, valid against the message
// schemas, and validates what the application sends (invoice.created).
func TestAsyncOverInProcessKafka(t *testing.T) {
	k, err := NewKafka()
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	doc := load(t, events)
	a, err := NewAsync([]*contracts.Document{doc}, k, AsyncOptions{Seed: 3, Every: 50 * time.Millisecond, Count: 2})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()

	// The application under test publishes an invoice that is not one.
	if err := k.Publish(ctx, "invoicing.invoice.created", []byte(`{"nonsense": true}`), nil); err != nil {
		t.Fatal(err)
	}
	var published, received []AsyncEvent
	for ctx.Err() == nil {
		published, received = nil, nil
		for _, e := range a.Events() {
			if e.Direction == "published" {
				published = append(published, e)
			} else {
				received = append(received, e)
			}
		}
		if len(published) == 4 && len(received) == 1 {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(published) != 4 || len(received) != 1 {
		t.Fatalf("published %d, received %d", len(published), len(received))
	}
	// What was published is valid for the receiving operation's message.
	for _, e := range published {
		var got bool
		a2 := &Async{validate: map[string][]*contracts.AsyncOperation{}}
		for _, op := range doc.AsyncAPI.Operations {
			if op.ID == e.Operation {
				a2.validate[e.Channel] = append(a2.validate[e.Channel], op)
			}
		}
		a2.received(e.Channel, e.Payload)
		for _, x := range a2.Events() {
			got = x.Valid
			if !x.Valid {
				t.Errorf("%s published an invalid message %s: %v", e.Operation, e.Payload, x.Violations)
			}
		}
		if !got {
			t.Errorf("%s: not validated", e.Operation)
		}
	}
	if received[0].Valid || len(received[0].Violations) == 0 || received[0].Operation != "publishInvoiceCreated" {
		t.Fatalf("an invalid invoice was accepted: %+v", received[0])
	}
}

// NATS transport against the local server (127.0.0.1:4222) when it runs.
func TestAsyncOverNATS(t *testing.T) {
	conn, err := net.DialTimeout("tcp", "127.0.0.1:4222", time.Second)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("NATS is not running on 127.0.0.1:4222: %v", err)
		}
		t.Skipf("NATS is not running on 127.0.0.1:4222: %v", err)
	}
	conn.Close()
	n, err := NewNATS("nats://127.0.0.1:4222")
	if err != nil {
		t.Fatal(err)
	}
	defer n.Close()
	a, err := NewAsync([]*contracts.Document{load(t, events)}, n, AsyncOptions{Every: 20 * time.Millisecond, Count: 1})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	time.Sleep(100 * time.Millisecond) // the subscription is up after its flush
	if err := n.Publish(ctx, "invoicing.invoice.created", []byte(`[]`), nil); err != nil {
		t.Fatal(err)
	}
	for ctx.Err() == nil && len(a.Events()) < 3 {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	var invalid int
	for _, e := range a.Events() {
		if e.Direction == "received" && !e.Valid {
			invalid++
		}
	}
	if len(a.Events()) != 3 || invalid != 1 {
		t.Fatalf("events %+v", a.Events())
	}
}
