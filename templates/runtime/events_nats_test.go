package runtime

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// newNATS connects to the JetStream server on 127.0.0.1:4222 and returns a
// transport on a stream of its own (subjects <prefix>.>), deleted at
// cleanup. Without a server the test is skipped, except in CI.
func newNATS(t *testing.T, ackWait time.Duration) (*NATSTransport, string) {
	t.Helper()
	url := os.Getenv("ACCORD_TEST_NATS_URL")
	if url == "" {
		url = "nats://127.0.0.1:4222"
	}
	nc, err := nats.Connect(url, nats.Timeout(3*time.Second), nats.MaxReconnects(0))
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("NATS unreachable at %s: %v", url, err)
		}
		t.Skipf("NATS unreachable at %s (set ACCORD_TEST_NATS_URL; CI=true makes this fatal): %v", url, err)
	}
	prefix := fmt.Sprintf("acc%d", time.Now().UnixNano())
	stream := "ACCORD_TEST_" + prefix
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	tr, err := NewNATSTransport(ctx, NATSTransportOptions{Conn: nc, Stream: stream, Subjects: []string{prefix + ".>"}, AckWait: ackWait})
	if err != nil {
		nc.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		js, err := jetstream.New(nc)
		if err == nil {
			err = js.DeleteStream(context.Background(), stream)
		}
		if err != nil {
			t.Errorf("delete stream %s: %v", stream, err)
		}
		nc.Close()
	})
	return tr, prefix
}

func TestNATSTransportEndToEnd(t *testing.T) {
	testNATSEndToEnd(t, false)
}

// With NakRedelivery a failure is a nak with delay: the message comes back
// from the server (its delivery count says 2), the lane does not wait.
func TestNATSNakWithDelay(t *testing.T) {
	testNATSEndToEnd(t, true)
}

func testNATSEndToEnd(t *testing.T, nak bool) {
	tr, p := newNATS(t, 30*time.Second)
	tr.opt.NakRedelivery = nak
	topic := p + ".orders"
	ctx := context.Background()
	signer := &EventSigner{Secrets: StaticSecrets{[]byte("nats-test-key-0123456789")}}
	pub := NewEventPublisher(tr, EventPublisherOptions{Signer: signer})
	const keys, perKey = 4, 25
	for i := range perKey {
		for k := range keys {
			if _, err := pub.Publish(ctx, EventMessage{Topic: topic, Key: "k" + strconv.Itoa(k), Payload: []byte(strconv.Itoa(i)),
				CorrelationID: "c" + strconv.Itoa(i), Headers: map[string]string{"x-tenant": "t1"}}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// One message fails once: it comes back through a nak with delay.
	var failedOnce atomic.Bool
	var oc orderChecker
	var mu sync.Mutex
	attempts := map[string]int{}
	c := NewEventConsumer(tr, EventConsumerOptions{Group: "billing.v1", Inbox: NewMemoryInbox(), Verifier: signer, BackoffBase: 10 * time.Millisecond, BackoffCap: 50 * time.Millisecond})
	c.Handle(topic, func(ctx context.Context, d *EventDelivery) error {
		if d.Key == "k1" && string(d.Payload) == "0" && failedOnce.CompareAndSwap(false, true) {
			return errors.New("transient")
		}
		if d.CorrelationID != "c"+string(d.Payload) || d.Headers["x-tenant"] != "t1" || d.Sequence == 0 || len(d.Traceparent) != 55 {
			t.Errorf("fields lost: %+v", d)
		}
		mu.Lock()
		attempts[d.Key+"/"+string(d.Payload)] = d.Attempt
		mu.Unlock()
		return oc.handler(ctx, d)
	})
	runConsumer(t, c)
	evWait(t, 20*time.Second, "all messages", func() bool { return oc.count() == keys*perKey })
	mu.Lock()
	defer mu.Unlock()
	if attempts["k1/0"] != 2 {
		t.Errorf("the failed message was delivered %d times, want 2 (nak then redelivery)", attempts["k1/0"])
	}
	if len(oc.broken) > 0 && !nak {
		t.Errorf("order per key: %v", oc.broken)
	}
}

func TestNATSDeadLetterReplayAndUnackedRedelivery(t *testing.T) {
	tr, p := newNATS(t, time.Second)
	topic := p + ".crm"
	ctx := context.Background()
	inbox := NewMemoryInbox()
	var fixed atomic.Bool
	var effects, dups atomic.Int32
	newConsumer := func() *EventConsumer {
		c := NewEventConsumer(tr, EventConsumerOptions{Group: "crm", Inbox: inbox, MaxAttempts: 2, BackoffBase: 5 * time.Millisecond,
			Hooks: EventConsumerHooks{OnDuplicate: func(*EventDelivery) { dups.Add(1) }}})
		c.Handle(topic, func(_ context.Context, d *EventDelivery) error {
			if string(d.Payload) == "poison" && !fixed.Load() {
				return errors.New("bad customer")
			}
			effects.Add(1)
			return nil
		})
		return c
	}
	if err := tr.Publish(ctx, []EventMessage{{ID: "a", Topic: topic, Key: "c1"}, {ID: "p", Topic: topic, Key: "c2", Payload: []byte("poison")}}); err != nil {
		t.Fatal(err)
	}
	// The first process handles "a" and dies before acknowledging it.
	c1 := newConsumer()
	ctx1, kill := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- tr.Consume(ctx1, "crm", []string{topic}, func(ctx context.Context, d *EventDelivery) error {
			err := c1.Deliver(ctx, d)
			if d.ID == "a" {
				kill()
			}
			return err
		})
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	runConsumer(t, newConsumer())
	var dlq collector
	runConsume(t, tr, "inspect", []string{topic + ".dlq"}, dlq.handler)
	evWait(t, 20*time.Second, "dead letter and redelivered duplicate", func() bool { return dlq.len() == 1 && dups.Load() >= 1 })
	meta, ok := ParseDeadLetter(&dlq.get(0).EventMessage)
	if !ok || meta.Topic != topic || meta.Attempts != 2 || meta.Sequence == 0 || dlq.get(0).ID != "p" {
		t.Fatalf("dead letter %+v", meta)
	}
	if effects.Load() != 1 {
		t.Fatalf("effects %d before the replay, want 1 (\"a\" once though delivered twice)", effects.Load())
	}
	fixed.Store(true)
	runConsume(t, tr, "replay", []string{topic + ".dlq"}, DeadLetterReplayer(tr, nil))
	evWait(t, 20*time.Second, "replayed", func() bool { return effects.Load() == 2 })
}
