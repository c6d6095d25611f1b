package runtime

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// newKfake starts an in-process Kafka (the real protocol) with topics of 4
// partitions and returns a transport on it.
func newKfake(t testing.TB, topics ...string) (*kfake.Cluster, *KafkaTransport) {
	return newKfakeN(t, 4, topics...)
}

func newKfakeN(t testing.TB, partitions int32, topics ...string) (*kfake.Cluster, *KafkaTransport) {
	t.Helper()
	// A short heartbeat makes a restarted consumer get its partitions quickly.
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(partitions, topics...), kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(int(partitions)),
		kfake.BrokerConfigs(map[string]string{"group.consumer.heartbeat.interval.ms": "200", "group.consumer.session.timeout.ms": "1500"}))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	tr, err := NewKafkaTransport(KafkaTransportOptions{Brokers: c.ListenAddrs(), ClientOptions: []kgo.Opt{kgo.AllowAutoTopicCreation(), kgo.FetchMaxWait(200 * time.Millisecond)}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tr.Close() })
	return c, tr
}

func TestKafkaTransportEndToEnd(t *testing.T) {
	_, tr := newKfake(t, "orders", "orders.dlq")
	ctx := context.Background()
	pub := NewEventPublisher(tr, EventPublisherOptions{})
	const keys, perKey = 6, 40
	for i := range perKey {
		var batch []EventMessage
		for k := range keys {
			batch = append(batch, EventMessage{Topic: "orders", Key: "cust_" + strconv.Itoa(k), Payload: []byte(strconv.Itoa(i)),
				ContentType: "application/json", CorrelationID: "corr-" + strconv.Itoa(i), Headers: map[string]string{"x-tenant": "t1"}})
		}
		for _, m := range batch {
			if _, err := pub.Publish(ctx, m); err != nil {
				t.Fatal(err)
			}
		}
	}
	var mu sync.Mutex
	last := map[string]int{}
	partitions := map[int32]bool{}
	var n atomic.Int32
	stop := runConsume(t, tr, "g1", []string{"orders"}, func(_ context.Context, d *EventDelivery) error {
		i, _ := strconv.Atoi(string(d.Payload))
		mu.Lock()
		defer mu.Unlock()
		if prev, ok := last[d.Key]; (ok && i != prev+1) || (!ok && i != 0) {
			t.Errorf("key %s: %d after %d", d.Key, i, prev)
		}
		last[d.Key] = i
		partitions[d.Partition] = true
		if d.ID == "" || d.ContentType != "application/json" || d.CorrelationID != "corr-"+string(d.Payload) ||
			len(d.Traceparent) != 55 || d.Headers["x-tenant"] != "t1" || d.Time.IsZero() || d.Offset < 0 {
			t.Errorf("fields lost in transit: %+v", d)
		}
		n.Add(1)
		return nil
	})
	evWait(t, 20*time.Second, "all records", func() bool { return n.Load() == keys*perKey })
	stop()
	if len(partitions) < 2 {
		t.Errorf("records of %d keys all on %d partition(s)", keys, len(partitions))
	}
	// Everything was committed: a new consumer of the group gets nothing.
	var again atomic.Int32
	stop = runConsume(t, tr, "g1", []string{"orders"}, func(context.Context, *EventDelivery) error { again.Add(1); return nil })
	if err := tr.Publish(ctx, []EventMessage{{ID: "marker", Topic: "orders", Key: "m"}}); err != nil {
		t.Fatal(err)
	}
	evWait(t, 20*time.Second, "marker", func() bool { return again.Load() >= 1 })
	stop()
	if again.Load() != 1 {
		t.Fatalf("restarted consumer saw %d records, want only the new one", again.Load())
	}
}

// A consumer killed after the effect and before the commit: the record
// comes back to the next consumer of the group, and the inbox keeps the
// effect single.
func TestKafkaConsumerKilledBeforeCommit(t *testing.T) {
	_, tr := newKfake(t, "pay", "pay.dlq")
	ctx := context.Background()
	for i := range 20 {
		if err := tr.Publish(ctx, []EventMessage{{ID: fmt.Sprintf("m%d", i), Topic: "pay", Key: "k" + strconv.Itoa(i%3)}}); err != nil {
			t.Fatal(err)
		}
	}
	inbox := NewMemoryInbox()
	var effects, deliveries, dups atomic.Int32
	newConsumer := func() *EventConsumer {
		c := NewEventConsumer(tr, EventConsumerOptions{Group: "g", Inbox: inbox, Hooks: EventConsumerHooks{OnDuplicate: func(*EventDelivery) { dups.Add(1) }}})
		c.Handle("pay", func(context.Context, *EventDelivery) error { effects.Add(1); return nil })
		return c
	}
	// First process: handles m5 (effect done), then dies before its commit.
	c1 := newConsumer()
	ctx1, kill := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- tr.Consume(ctx1, "g", []string{"pay"}, func(ctx context.Context, d *EventDelivery) error {
			deliveries.Add(1)
			err := c1.Deliver(ctx, d)
			if d.ID == "m5" {
				kill()
				return errors.New("killed")
			}
			return err
		})
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if effects.Load() < 1 {
		t.Fatal("first consumer did nothing")
	}
	// Second process: everything not committed comes again.
	c2 := newConsumer()
	stop := runConsume(t, tr, "g", []string{"pay"}, func(ctx context.Context, d *EventDelivery) error {
		deliveries.Add(1)
		return c2.Deliver(ctx, d)
	})
	evWait(t, 20*time.Second, "20 effects", func() bool { return effects.Load() == 20 })
	time.Sleep(100 * time.Millisecond)
	stop()
	if effects.Load() != 20 || dups.Load() < 1 {
		t.Fatalf("effects %d (want 20), duplicates skipped %d (want ≥1: m5 came back), deliveries %d", effects.Load(), dups.Load(), deliveries.Load())
	}
	t.Logf("deliveries %d, effects %d, duplicates skipped %d", deliveries.Load(), effects.Load(), dups.Load())
}

func TestKafkaPoisonToDeadLetter(t *testing.T) {
	_, tr := newKfake(t, "crm", "crm.dlq")
	c := NewEventConsumer(tr, EventConsumerOptions{Group: "g", MaxAttempts: 2, BackoffBase: time.Millisecond})
	var good atomic.Int32
	c.Handle("crm", func(_ context.Context, d *EventDelivery) error {
		if string(d.Payload) == "poison" {
			return errors.New("cannot decode")
		}
		good.Add(1)
		return nil
	})
	runConsumer(t, c)
	ctx := context.Background()
	if err := tr.Publish(ctx, []EventMessage{{ID: "p", Topic: "crm", Key: "c1", Payload: []byte("poison")}, {ID: "ok", Topic: "crm", Key: "c1", Payload: []byte("fine")}}); err != nil {
		t.Fatal(err)
	}
	var dlq collector
	runConsume(t, tr, "inspect", []string{"crm.dlq"}, dlq.handler)
	evWait(t, 20*time.Second, "dead letter", func() bool { return dlq.len() == 1 && good.Load() == 1 })
	meta, ok := ParseDeadLetter(&dlq.get(0).EventMessage)
	if !ok || meta.Topic != "crm" || meta.Attempts != 2 || meta.Offset != 0 || meta.Partition < 0 || dlq.get(0).ID != "p" {
		t.Fatalf("dead letter %+v", meta)
	}
}
