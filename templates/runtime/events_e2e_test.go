package runtime

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

// openBenchPostgres is openPostgres for benchmarks.
func openBenchPostgres(tb testing.TB) (*sql.DB, string) {
	tb.Helper()
	return openTestDB(tb, "pgx", "PostgreSQL", "ACCORD_TEST_POSTGRES_DSN",
		"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "accord_ev_bench")
}

// pipeline runs outbox → relay → Kafka (kfake) → consumer → SQL inbox with
// the effect in the inbox's transaction, for n messages, and returns how
// long the drain took from the first enqueue.
func pipeline(tb testing.TB, e eventsDB, tr *KafkaTransport, topic string, n int) time.Duration {
	tb.Helper()
	o := e.newOutbox(tb, 16)
	c := NewEventConsumer(tr, EventConsumerOptions{Group: "g-" + topic, Inbox: e.newInbox(tb)})
	fx := e.effectHandler()
	// Counts handler runs, rolled-back ones too: a lower bound on when to
	// start counting effect rows.
	var ran atomic.Int64
	c.HandleTx(topic, func(ctx context.Context, tx *sql.Tx, d *EventDelivery) error {
		ran.Add(1)
		return fx(ctx, tx, d)
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			tb.Error(err)
		}
	}()
	start := time.Now()
	stop := runRelay(tb, NewOutboxRelay(o, tr, OutboxRelayOptions{Workers: 4, BatchSize: 200, PollInterval: 5 * time.Millisecond}))
	enqueue(tb, o, e.db, topic, 64, n, 500)
	deadline := time.Now().Add(60 * time.Second)
	for {
		if ran.Load() >= int64(n) {
			if got, _ := e.effects(tb); got >= n {
				break
			}
		}
		if time.Now().After(deadline) {
			got, _ := e.effects(tb)
			tb.Fatalf("%d effects of %d within 60s", got, n)
		}
		time.Sleep(2 * time.Millisecond)
	}
	elapsed := time.Since(start)
	stop()
	return elapsed
}

// 10,000 messages through outbox → Kafka → inbox: every effect exactly
// once, counted in SQL.
func TestEventsTenThousandEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 messages end to end; skipped under -short")
	}
	e := openEventsDB(t, sqlBackend{DialectPostgres, openPostgres})
	_, tr := newKfakeN(t, 16, "bulk", "bulk.dlq")
	const n = 10_000
	elapsed := pipeline(t, e, tr, "bulk", n)
	got, distinct := e.effects(t)
	if got != n || distinct != n {
		t.Fatalf("effects %d, distinct %d; want %d each", got, distinct, n)
	}
	t.Logf("%d messages outbox → kfake → inbox in %s (%.0f msg/s); %d effect rows, %d distinct", n, elapsed.Round(time.Millisecond), float64(n)/elapsed.Seconds(), got, distinct)
}

// BenchmarkEventsPipeline measures outbox → kfake → inbox messages per
// second against raw franz-go produce + consume on the same cluster (the
// ceiling), and reports the ratio.
func BenchmarkEventsPipeline(b *testing.B) {
	e := openEventsDB(b, sqlBackend{DialectPostgres, nil})
	cl, tr := newKfakeN(b, 16, "bench", "bench.dlq", "raw")
	n := max(b.N, 2000)
	b.ResetTimer()
	elapsed := pipeline(b, e, tr, "bench", n)
	b.StopTimer()
	raw := rawFranz(b, cl.ListenAddrs(), "raw", n)
	pipe := float64(n) / elapsed.Seconds()
	ceil := float64(n) / raw.Seconds()
	b.ReportMetric(pipe, "msg/s")
	b.ReportMetric(ceil, "raw-msg/s")
	b.ReportMetric(pipe/ceil, "ratio")
}

// rawFranz produces n records and consumes them back with a group, no
// outbox or inbox.
func rawFranz(tb testing.TB, brokers []string, topic string, n int) time.Duration {
	tb.Helper()
	ctx := context.Background()
	prod, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ProducerLinger(time.Millisecond))
	if err != nil {
		tb.Fatal(err)
	}
	defer prod.Close()
	cons, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumerGroup("raw"), kgo.ConsumeTopics(topic), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		tb.Fatal(err)
	}
	defer cons.Close()
	start := time.Now()
	go func() {
		for i := 0; i < n; i += 500 {
			var recs []*kgo.Record
			for j := i; j < min(i+500, n); j++ {
				recs = append(recs, &kgo.Record{Topic: topic, Key: fmt.Appendf(nil, "k%d", j%64), Value: fmt.Appendf(nil, "%d", j)})
			}
			if err := prod.ProduceSync(ctx, recs...).FirstErr(); err != nil {
				tb.Error(err)
				return
			}
		}
	}()
	got := 0
	pctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	for got < n && pctx.Err() == nil {
		f := cons.PollFetches(pctx)
		got += f.NumRecords()
	}
	if err := cons.CommitUncommittedOffsets(ctx); err != nil {
		tb.Error(err)
	}
	return time.Since(start)
}

// A failing message inside a batch rolls the batch's inbox transaction
// back; the run is then handled one by one, so the failure is retried and
// the others' effects still happen exactly once.
func TestKafkaBatchFallsBackOnFailure(t *testing.T) {
	e := openEventsDB(t, sqlBackend{DialectPostgres, openPostgres})
	_, tr := newKfakeN(t, 2, "inv", "inv.dlq")
	const n = 300
	ms := msgs("inv", 3, n/3)
	if err := tr.Publish(context.Background(), ms); err != nil {
		t.Fatal(err)
	}
	fx := e.effectHandler()
	var failed atomic.Bool
	var runs atomic.Int32
	c := NewEventConsumer(tr, EventConsumerOptions{Group: "g", Inbox: e.newInbox(t), BackoffBase: time.Millisecond})
	c.HandleTx("inv", func(ctx context.Context, tx *sql.Tx, d *EventDelivery) error {
		runs.Add(1)
		if d.ID == "k1-50" && failed.CompareAndSwap(false, true) {
			return fmt.Errorf("transient")
		}
		return fx(ctx, tx, d)
	})
	runConsumer(t, c)
	evWait(t, 30*time.Second, "all effects", func() bool { got, _ := e.effects(t); return got >= n })
	time.Sleep(100 * time.Millisecond)
	got, distinct := e.effects(t)
	if got != n || distinct != n || !failed.Load() || runs.Load() <= n {
		t.Fatalf("effects %d (distinct %d), handler runs %d, failure injected %v; want %d once each and more runs than messages", got, distinct, runs.Load(), failed.Load(), n)
	}
}

// The consumer dies after the inbox transaction committed the effect and
// before Kafka's offset commit: the record comes back, the inbox skips it,
// and the effect rows in SQL stay one per message.
func TestKafkaConsumerKilledAfterEffectSQL(t *testing.T) {
	e := openEventsDB(t, sqlBackend{DialectPostgres, openPostgres})
	_, tr := newKfakeN(t, 2, "ship", "ship.dlq")
	const n = 50
	if err := tr.Publish(context.Background(), msgs("ship", 2, n/2)); err != nil {
		t.Fatal(err)
	}
	inbox := e.newInbox(t)
	var dups atomic.Int32
	newConsumer := func() *EventConsumer {
		c := NewEventConsumer(tr, EventConsumerOptions{Group: "g", Inbox: inbox, Hooks: EventConsumerHooks{OnDuplicate: func(*EventDelivery) { dups.Add(1) }}})
		c.HandleTx("ship", e.effectHandler())
		return c
	}
	c1 := newConsumer()
	ctx1, kill := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- tr.Consume(ctx1, "g", []string{"ship"}, func(ctx context.Context, d *EventDelivery) error {
			err := c1.Deliver(ctx, d)
			if d.ID == "k1-10" {
				kill() // the effect is committed; the offset never will be
				return errors.New("killed")
			}
			return err
		})
	}()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	runConsumer(t, newConsumer())
	evWait(t, 30*time.Second, "all effects", func() bool { got, _ := e.effects(t); return got >= n && dups.Load() >= 1 })
	time.Sleep(100 * time.Millisecond)
	got, distinct := e.effects(t)
	if got != n || distinct != n || dups.Load() < 1 {
		t.Fatalf("effect rows %d (distinct %d), duplicates skipped %d; want %d rows, one per message, and k1-10 skipped", got, distinct, dups.Load(), n)
	}
	t.Logf("%d effect rows for %d messages; %d redelivered duplicates skipped", got, n, dups.Load())
}
