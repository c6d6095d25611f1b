package eventsbench

import (
	"context"
	"database/sql"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	accordrt "github.com/accord-dev/accord/templates/runtime"
)

// accordRelay is the relay configuration of the run: four shard workers
// (a 2-core machine), batches of 200 rows, a 5 ms poll when idle.
var accordRelay = accordrt.OutboxRelayOptions{Workers: 4, BatchSize: 200, PollInterval: 5 * time.Millisecond}

// runAccord writes n events through accord's SQL outbox in the producers'
// transactions, relays them to Kafka, consumes them with an SQL inbox whose
// transaction carries the effect, and returns the time from the first
// write to the n-th effect row.
//
// maxPoll is the transport's MaxPollRecords (0: its default).
func runAccord(tb testing.TB, db *sql.DB, n, maxPoll int) time.Duration {
	tb.Helper()
	const topic = "accord"
	t := newTables(tb, db, "accord")
	cl := newCluster(tb, topic, topic+".dlq")
	tr, err := accordrt.NewKafkaTransport(accordrt.KafkaTransportOptions{Brokers: cl.ListenAddrs(), MaxPollRecords: maxPoll,
		ClientOptions: []kgo.Opt{kgo.FetchMaxWait(200 * time.Millisecond)}})
	if err != nil {
		tb.Fatal(err)
	}
	defer tr.Close()
	ctx := context.Background()
	ob := accordrt.NewSQLOutbox(db, accordrt.SQLOutboxOptions{Table: t.prefix + "_ob", Shards: 16})
	in := accordrt.NewSQLInbox(db, accordrt.SQLInboxOptions{Table: t.inbox})
	if err := ob.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	if err := in.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	c := accordrt.NewEventConsumer(tr, accordrt.EventConsumerOptions{Group: "accord", Inbox: in})
	fx := "INSERT INTO " + t.effect + " (message_id) VALUES ($1)"
	c.HandleTx(topic, func(ctx context.Context, tx *sql.Tx, d *accordrt.EventDelivery) error {
		_, err := tx.ExecContext(ctx, fx, d.ID)
		return err
	})
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 2)
	go func() { done <- c.Run(rctx) }()
	var relayed atomic.Int64
	var relayedAt atomic.Int64 // unix ns when the n-th row was published
	ropt := accordRelay
	ropt.Hooks.OnPublished = func(_, k int, _ time.Duration) {
		if relayed.Add(int64(k)) >= int64(n) {
			relayedAt.CompareAndSwap(0, time.Now().UnixNano())
		}
	}
	go func() { done <- accordrt.NewOutboxRelay(ob, tr, ropt).Run(rctx) }()
	defer func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil {
				tb.Error(err)
			}
		}
	}()

	start := time.Now()
	for first := 0; first < n; first += benchTxRows {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			tb.Fatal(err)
		}
		msgs := make([]accordrt.EventMessage, 0, benchTxRows)
		for i := first; i < min(first+benchTxRows, n); i++ {
			msgs = append(msgs, accordrt.EventMessage{Topic: topic, Key: key(i), Payload: payload(i), ContentType: "application/json"})
		}
		if err := ob.Enqueue(ctx, tx, msgs...); err != nil {
			tb.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	written := time.Now()
	end := t.waitEffects(tb, n)
	if testing.Verbose() {
		tb.Logf("accord: written by %s, relayed by %s, effects by %s", written.Sub(start).Round(time.Millisecond),
			time.Unix(0, relayedAt.Load()).Sub(start).Round(time.Millisecond), end.Sub(start).Round(time.Millisecond))
	}
	t.checkOnce(tb, "accord", n)
	return end.Sub(start)
}
