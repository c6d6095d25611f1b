package runtime

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// collect consumes topic into a list the caller can poll.
type collector struct {
	mu   sync.Mutex
	msgs []*EventDelivery
}

func (c *collector) handler(_ context.Context, d *EventDelivery) error {
	c.mu.Lock()
	c.msgs = append(c.msgs, d)
	c.mu.Unlock()
	return nil
}

func (c *collector) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.msgs)
}

func (c *collector) get(i int) *EventDelivery {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.msgs[i]
}

func runConsumer(t *testing.T, c *EventConsumer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("consumer: %v", err)
		}
	})
}

func TestEventConsumerRetriesThenDeadLettersAndReplays(t *testing.T) {
	tr := NewMemoryTransport(MemoryTransportOptions{})
	ctx := context.Background()
	var calls atomic.Int32
	var fixed atomic.Bool
	var dead atomic.Int32
	c := NewEventConsumer(tr, EventConsumerOptions{
		Group: "billing", MaxAttempts: 3, BackoffBase: time.Millisecond, BackoffCap: 5 * time.Millisecond,
		Inbox: NewMemoryInbox(),
		Hooks: EventConsumerHooks{OnDeadLetter: func(*EventDelivery, string) { dead.Add(1) }},
	})
	c.Handle("invoices", func(ctx context.Context, d *EventDelivery) error {
		calls.Add(1)
		if !fixed.Load() {
			return errors.New("ledger unavailable")
		}
		return nil
	})
	runConsumer(t, c)
	pub := NewEventPublisher(tr, EventPublisherOptions{})
	sent, err := pub.Publish(ctx, EventMessage{Topic: "invoices", Key: "inv_1", Payload: []byte(`{}`), Headers: map[string]string{"x-app": "1"}})
	if err != nil {
		t.Fatal(err)
	}
	var dlq collector
	runConsume(t, tr, "inspect", []string{"invoices.dlq"}, dlq.handler)
	evWait(t, 5*time.Second, "dead letter", func() bool { return dlq.len() == 1 })
	if calls.Load() != 3 || dead.Load() != 1 {
		t.Fatalf("handler ran %d times, dead-lettered %d; want 3 and 1", calls.Load(), dead.Load())
	}
	d := dlq.get(0)
	meta, ok := ParseDeadLetter(&d.EventMessage)
	if !ok || meta.Topic != "invoices" || meta.Group != "billing" || meta.Attempts != 3 || !strings.Contains(meta.Reason, "ledger unavailable") ||
		meta.FirstFailure.IsZero() || meta.Partition < 0 || meta.Offset != 0 {
		t.Fatalf("dead-letter metadata %+v", meta)
	}
	if d.ID != sent.ID || d.Key != "inv_1" || d.Headers["x-app"] != "1" || d.Traceparent == "" {
		t.Fatalf("dead letter lost the original: %+v", d.EventMessage)
	}
	// Fixed: replaying the dead letter runs the handler once more, successfully.
	fixed.Store(true)
	runConsume(t, tr, "replay", []string{"invoices.dlq"}, DeadLetterReplayer(tr, nil))
	evWait(t, 5*time.Second, "replayed", func() bool { return calls.Load() == 4 })
	time.Sleep(50 * time.Millisecond)
	if calls.Load() != 4 || dead.Load() != 1 {
		t.Fatalf("after replay: %d calls, %d dead letters", calls.Load(), dead.Load())
	}
}

func TestEventConsumerInboxSkipsDuplicate(t *testing.T) {
	tr := NewMemoryTransport(MemoryTransportOptions{})
	var effects, dups atomic.Int32
	c := NewEventConsumer(tr, EventConsumerOptions{Group: "g", Inbox: NewMemoryInbox(),
		Hooks: EventConsumerHooks{OnDuplicate: func(*EventDelivery) { dups.Add(1) }}})
	c.Handle("t", func(context.Context, *EventDelivery) error { effects.Add(1); return nil })
	runConsumer(t, c)
	m := EventMessage{ID: "same", Topic: "t"}
	for range 3 {
		if err := tr.Publish(context.Background(), []EventMessage{m}); err != nil {
			t.Fatal(err)
		}
	}
	evWait(t, 5*time.Second, "three deliveries", func() bool { return effects.Load()+dups.Load() == 3 })
	if effects.Load() != 1 || dups.Load() != 2 {
		t.Fatalf("effects %d, duplicates %d; want 1 and 2", effects.Load(), dups.Load())
	}
}

func TestEventConsumerSignedChannel(t *testing.T) {
	tr := NewMemoryTransport(MemoryTransportOptions{})
	key := []byte("0123456789abcdef0123")
	signer := &EventSigner{Secrets: StaticSecrets{key}}
	var handled collector
	c := NewEventConsumer(tr, EventConsumerOptions{Group: "g", Verifier: signer})
	c.Handle("pay", handled.handler)
	runConsumer(t, c)
	ctx := context.Background()
	good, err := NewEventPublisher(tr, EventPublisherOptions{Signer: signer}).Publish(ctx, EventMessage{Topic: "pay", Key: "p", Payload: []byte(`{"amount":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	forged := good
	forged.ID = "other"
	forged.Payload = []byte(`{"amount":1000}`)
	other := &EventSigner{Secrets: StaticSecrets{[]byte("another-key-16bytes!")}}
	wrongKey, err := NewEventPublisher(tr, EventPublisherOptions{Signer: other}).Publish(ctx, EventMessage{Topic: "pay", Key: "p"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := NewEventPublisher(tr, EventPublisherOptions{}).Publish(ctx, EventMessage{ID: "unsigned", Topic: "pay", Key: "p"}); err != nil {
		t.Fatal(err)
	}
	if err := tr.Publish(ctx, []EventMessage{forged}); err != nil {
		t.Fatal(err)
	}
	var dlq collector
	runConsume(t, tr, "inspect", []string{"pay.dlq"}, dlq.handler)
	evWait(t, 5*time.Second, "three dead letters", func() bool { return dlq.len() == 3 })
	time.Sleep(20 * time.Millisecond)
	if handled.len() != 1 || handled.get(0).ID != good.ID {
		t.Fatalf("handler got %d messages, want only the genuine one", handled.len())
	}
	reasons := map[string]string{}
	for i := range 3 {
		d := dlq.get(i)
		meta, _ := ParseDeadLetter(&d.EventMessage)
		reasons[d.ID] = meta.Reason
	}
	for id, want := range map[string]string{"unsigned": "not signed", "other": "no key matches", wrongKey.ID: "no key matches"} {
		if !strings.Contains(reasons[id], want) {
			t.Errorf("dead letter %s: reason %q, want %q", id, reasons[id], want)
		}
	}
	short := &EventSigner{Secrets: StaticSecrets{[]byte("short")}}
	if _, err := NewEventPublisher(tr, EventPublisherOptions{Signer: short}).Publish(ctx, EventMessage{Topic: "pay"}); !errors.Is(err, ErrKeyTooShort) {
		t.Fatalf("5-byte key: %v, want ErrKeyTooShort", err)
	}
}

func TestEventConsumerPermanentAndPanicGoStraightToDLQ(t *testing.T) {
	tr := NewMemoryTransport(MemoryTransportOptions{})
	var calls atomic.Int32
	c := NewEventConsumer(tr, EventConsumerOptions{Group: "g", MaxAttempts: 5, BackoffBase: time.Millisecond})
	c.Handle("t", func(_ context.Context, d *EventDelivery) error {
		calls.Add(1)
		if d.ID == "panic" {
			panic("boom")
		}
		return ErrEventPermanent
	})
	runConsumer(t, c)
	if err := tr.Publish(context.Background(), []EventMessage{{ID: "bad", Topic: "t", Key: "a"}, {ID: "panic", Topic: "t", Key: "a"}}); err != nil {
		t.Fatal(err)
	}
	var dlq collector
	runConsume(t, tr, "inspect", []string{"t.dlq"}, dlq.handler)
	evWait(t, 5*time.Second, "two dead letters", func() bool { return dlq.len() == 2 })
	// The panic is retried like any failure (5 attempts), the permanent error is not.
	evWait(t, 5*time.Second, "calls", func() bool { return calls.Load() == 6 })
	m0, _ := ParseDeadLetter(&dlq.get(0).EventMessage)
	m1, _ := ParseDeadLetter(&dlq.get(1).EventMessage)
	if m0.Attempts != 1 || m1.Attempts != 5 || !strings.Contains(m1.Reason, "panic: boom") {
		t.Fatalf("dead letters %+v / %+v", m0, m1)
	}
}
