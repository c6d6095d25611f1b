package runtime

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// eventsDB opens a database of the backend and names the test's outbox,
// inbox and effect tables, dropped at cleanup.
type eventsDB struct {
	db                    *sql.DB
	dialect               SQLDialect
	outbox, inbox, effect string
}

func openEventsDB(t testing.TB, be sqlBackend) eventsDB {
	t.Helper()
	tt, ok := t.(*testing.T)
	var db *sql.DB
	var table string
	if ok {
		db, table = be.open(tt)
	} else {
		db, table = openBenchPostgres(t)
	}
	e := eventsDB{db: db, dialect: be.dialect, outbox: table + "_ob", inbox: table + "_in", effect: table + "_fx"}
	ddl := "CREATE TABLE " + e.effect + " (message_id VARCHAR(255) NOT NULL, seq INTEGER NOT NULL)"
	if _, err := db.Exec(ddl); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, tb := range []string{e.outbox, e.outbox + "_shards", e.inbox, e.effect} {
			_, _ = db.Exec("DROP TABLE IF EXISTS " + tb)
		}
	})
	return e
}

func (e eventsDB) newOutbox(t testing.TB, shards int) *SQLOutbox {
	t.Helper()
	o := NewSQLOutbox(e.db, SQLOutboxOptions{Table: e.outbox, Dialect: e.dialect, Shards: shards})
	if err := o.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return o
}

func (e eventsDB) newInbox(t testing.TB) *SQLInbox {
	t.Helper()
	in := NewSQLInbox(e.db, SQLInboxOptions{Table: e.inbox, Dialect: e.dialect})
	if err := in.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return in
}

// effectHandler writes one effect row per handled message in the inbox's
// transaction.
func (e eventsDB) effectHandler() EventTxHandler {
	q := "INSERT INTO " + e.effect + " (message_id, seq) VALUES ($1, $2)"
	if e.dialect == DialectMySQL {
		q = "INSERT INTO " + e.effect + " (message_id, seq) VALUES (?, ?)"
	}
	return func(ctx context.Context, tx *sql.Tx, d *EventDelivery) error {
		n, _ := strconv.Atoi(string(d.Payload))
		_, err := tx.ExecContext(ctx, q, d.ID, n)
		return err
	}
}

// effects returns (rows, distinct message ids) in the effect table.
func (e eventsDB) effects(t testing.TB) (int, int) {
	t.Helper()
	var n, distinct int
	if err := e.db.QueryRow("SELECT COUNT(*), COUNT(DISTINCT message_id) FROM "+e.effect).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	return n, distinct
}

// enqueue writes n messages over keys in transactions of batch rows.
func enqueue(t testing.TB, o *SQLOutbox, db *sql.DB, topic string, keys, n, batch int) {
	t.Helper()
	ctx := context.Background()
	for start := 0; start < n; start += batch {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			t.Fatal(err)
		}
		var ms []EventMessage
		for i := start; i < min(start+batch, n); i++ {
			ms = append(ms, EventMessage{Topic: topic, Key: "k" + strconv.Itoa(i%keys), Payload: []byte(strconv.Itoa(i / keys))})
		}
		if err := o.Enqueue(ctx, tx, ms...); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

func runRelay(t testing.TB, r *OutboxRelay) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = r.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// orderChecker records per-key sequence numbers as a consumer sees them.
type orderChecker struct {
	mu     sync.Mutex
	last   map[string]int
	total  int
	broken []string
}

func (c *orderChecker) handler(_ context.Context, d *EventDelivery) error {
	i, _ := strconv.Atoi(string(d.Payload))
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.last == nil {
		c.last = map[string]int{}
	}
	prev, ok := c.last[d.Key]
	if (ok && i != prev+1) || (!ok && i != 0) {
		c.broken = append(c.broken, fmt.Sprintf("%s: %d after %d", d.Key, i, prev))
	}
	c.last[d.Key] = i
	c.total++
	return nil
}

func (c *orderChecker) count() int { c.mu.Lock(); defer c.mu.Unlock(); return c.total }

func TestOutboxEnqueueCommitsWithTransaction(t *testing.T) {
	for _, be := range sqlBackends() {
		t.Run(string(be.dialect), func(t *testing.T) {
			e := openEventsDB(t, be)
			o := e.newOutbox(t, 4)
			ctx := context.Background()
			tx, _ := e.db.BeginTx(ctx, nil)
			if err := o.Enqueue(ctx, tx, EventMessage{ID: "rolled-back", Topic: "t"}); err != nil {
				t.Fatal(err)
			}
			_ = tx.Rollback()
			enqueue(t, o, e.db, "t", 1, 3, 3)
			if n, _, err := o.Pending(ctx); err != nil || n != 3 {
				t.Fatalf("pending %d, %v; want 3 (the rolled-back event is gone)", n, err)
			}
			tr := NewMemoryTransport(MemoryTransportOptions{})
			var oc orderChecker
			runConsume(t, tr, "g", []string{"t"}, oc.handler)
			var published, lagCalls atomic.Int32
			stop := runRelay(t, NewOutboxRelay(o, tr, OutboxRelayOptions{PollInterval: 10 * time.Millisecond, LagInterval: 10 * time.Millisecond,
				Retention: time.Nanosecond, PurgeInterval: 20 * time.Millisecond,
				Hooks: OutboxHooks{OnPublished: func(_, n int, _ time.Duration) { published.Add(int32(n)) }, OnLag: func(int64, time.Duration) { lagCalls.Add(1) }}}))
			evWait(t, 10*time.Second, "3 delivered", func() bool { return oc.count() == 3 })
			var rows int
			evWait(t, 10*time.Second, "sent rows purged", func() bool {
				_ = e.db.QueryRow("SELECT COUNT(*) FROM " + e.outbox).Scan(&rows)
				return rows == 0
			})
			stop()
			if published.Load() != 3 || lagCalls.Load() == 0 || len(oc.broken) > 0 {
				t.Fatalf("published %d, lag hook %d calls, order %v", published.Load(), lagCalls.Load(), oc.broken)
			}
		})
	}
}

// The relay dies between publish and mark-sent: the rows stay pending and
// go out again (at least once); the inbox makes the effect once.
func TestOutboxRelayKilledBetweenPublishAndMarkSent(t *testing.T) {
	e := openEventsDB(t, sqlBackend{DialectPostgres, openPostgres})
	o := e.newOutbox(t, 4)
	const n = 200
	enqueue(t, o, e.db, "pay", 5, n, 50)
	_, tr := newKfake(t, "pay", "pay.dlq")
	var deliveries atomic.Int32
	c := NewEventConsumer(tr, EventConsumerOptions{Group: "g", Inbox: e.newInbox(t)})
	c.HandleTx("pay", e.effectHandler())
	stopC := runConsume(t, tr, "g", []string{"pay"}, func(ctx context.Context, d *EventDelivery) error {
		deliveries.Add(1)
		return c.Deliver(ctx, d)
	})
	r := NewOutboxRelay(o, tr, OutboxRelayOptions{PollInterval: 10 * time.Millisecond})
	var crashes atomic.Int32
	r.rtAfterPublish = func([]EventMessage) error {
		if crashes.Add(1) <= 3 {
			return errors.New("relay killed after publish")
		}
		return nil
	}
	stop := runRelay(t, r)
	evWait(t, 30*time.Second, "all effects", func() bool { got, _ := e.effects(t); return got >= n })
	stop()
	time.Sleep(200 * time.Millisecond)
	stopC()
	got, distinct := e.effects(t)
	if got != n || distinct != n || int(deliveries.Load()) <= n {
		t.Fatalf("effects %d (distinct %d), deliveries %d; want %d effects once each and more than %d deliveries", got, distinct, deliveries.Load(), n, n)
	}
	t.Logf("%d crashes after publish: %d deliveries, %d effects", 3, deliveries.Load(), got)
}

// flakyTransport fails every Publish while down is set.
type flakyTransport struct {
	EventTransport
	down   atomic.Bool
	failed atomic.Int32
}

func (f *flakyTransport) Publish(ctx context.Context, msgs []EventMessage) error {
	if f.down.Load() {
		f.failed.Add(1)
		return errors.New("broker unreachable")
	}
	return f.EventTransport.Publish(ctx, msgs)
}

// The broker is down for a while: rows wait, nothing is lost, they drain
// in order once it is back.
func TestOutboxBrokerDownThenDrains(t *testing.T) {
	e := openEventsDB(t, sqlBackend{DialectPostgres, openPostgres})
	o := e.newOutbox(t, 4)
	_, kt := newKfake(t, "crm", "crm.dlq")
	tr := &flakyTransport{EventTransport: kt}
	tr.down.Store(true)
	var errs, lagged atomic.Int32
	stop := runRelay(t, NewOutboxRelay(o, tr, OutboxRelayOptions{PollInterval: 10 * time.Millisecond, BackoffBase: 20 * time.Millisecond, BackoffCap: 100 * time.Millisecond,
		LagInterval: 20 * time.Millisecond,
		Hooks: OutboxHooks{OnPublishError: func(int, error, int, time.Duration) { errs.Add(1) },
			OnLag: func(pending int64, oldest time.Duration) {
				if pending == 300 && oldest > 0 {
					lagged.Add(1)
				}
			}}}))
	const n = 300
	enqueue(t, o, e.db, "crm", 7, n, 30)
	time.Sleep(500 * time.Millisecond)
	pending, age, err := o.Pending(context.Background())
	if err != nil || pending != n || age <= 0 || errs.Load() == 0 || lagged.Load() == 0 {
		t.Fatalf("while down: pending %d age %s err %v, publish errors %d, lag reports of all rows %d; want all %d waiting", pending, age, err, errs.Load(), lagged.Load(), n)
	}
	tr.down.Store(false)
	var oc orderChecker
	runConsume(t, kt, "g", []string{"crm"}, oc.handler)
	evWait(t, 30*time.Second, "drained", func() bool {
		p, _, _ := o.Pending(context.Background())
		return oc.count() >= n && p == 0
	})
	stop()
	if pending, _, _ = o.Pending(context.Background()); pending != 0 || oc.count() != n || len(oc.broken) > 0 {
		t.Fatalf("after: pending %d, delivered %d of %d, order broken %v", pending, oc.count(), n, oc.broken)
	}
	t.Logf("%d failed publishes while down; %d delivered after, in order", tr.failed.Load(), oc.count())
}

// Two relays (two pools, as two replicas) at once: every row once, per-key
// order kept.
func TestOutboxTwoRelaysKeepOrder(t *testing.T) {
	for _, be := range sqlBackends() {
		t.Run(string(be.dialect), func(t *testing.T) {
			e := openEventsDB(t, be)
			o1 := e.newOutbox(t, 8)
			db2, _ := be.open(t)
			o2 := NewSQLOutbox(db2, SQLOutboxOptions{Table: e.outbox, Dialect: e.dialect, Shards: 8})
			const n = 2000
			enqueue(t, o1, e.db, "t", 10, n, 100)
			tr := NewMemoryTransport(MemoryTransportOptions{Partitions: 4, Capacity: n})
			var oc orderChecker
			runConsume(t, tr, "g", []string{"t"}, oc.handler)
			var by1, by2 atomic.Int32
			opt := func(c *atomic.Int32) OutboxRelayOptions {
				return OutboxRelayOptions{Workers: 3, BatchSize: 20, PollInterval: 5 * time.Millisecond,
					Hooks: OutboxHooks{OnPublished: func(_, n int, _ time.Duration) { c.Add(int32(n)) }}}
			}
			s1 := runRelay(t, NewOutboxRelay(o1, tr, opt(&by1)))
			s2 := runRelay(t, NewOutboxRelay(o2, tr, opt(&by2)))
			evWait(t, 30*time.Second, "all delivered", func() bool { return oc.count() >= n })
			time.Sleep(100 * time.Millisecond)
			s1()
			s2()
			if oc.count() != n || len(oc.broken) > 0 || by1.Load() == 0 || by2.Load() == 0 {
				t.Fatalf("delivered %d of %d; relay 1 published %d, relay 2 %d; order broken: %v", oc.count(), n, by1.Load(), by2.Load(), oc.broken)
			}
			t.Logf("relay 1 published %d, relay 2 %d", by1.Load(), by2.Load())
		})
	}
}

// A signed event written through the outbox (EventPublisher on Sink(tx))
// still verifies after the row's round trip and the relay; a tampered row
// does not reach the handler.
func TestOutboxSignedEventsVerify(t *testing.T) {
	e := openEventsDB(t, sqlBackend{DialectPostgres, openPostgres})
	o := e.newOutbox(t, 4)
	signer := &EventSigner{Secrets: StaticSecrets{[]byte("outbox-signing-key-0001")}}
	ctx := context.Background()
	tx, err := e.db.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	pub := NewEventPublisher(o.Sink(tx), EventPublisherOptions{Signer: signer})
	for i := range 2 {
		if _, err := pub.Publish(ctx, EventMessage{ID: "s" + strconv.Itoa(i), Topic: "pay", Key: "p", Payload: []byte(`{"n":` + strconv.Itoa(i) + `}`)}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.db.Exec("UPDATE " + e.outbox + " SET payload = '{\"n\":1000}' WHERE message_id = 's1'"); err != nil {
		t.Fatal(err)
	}
	tr := NewMemoryTransport(MemoryTransportOptions{})
	var got collector
	c := NewEventConsumer(tr, EventConsumerOptions{Group: "g", Verifier: signer})
	c.Handle("pay", got.handler)
	runConsumer(t, c)
	var dlq collector
	runConsume(t, tr, "inspect", []string{"pay.dlq"}, dlq.handler)
	runRelay(t, NewOutboxRelay(o, tr, OutboxRelayOptions{PollInterval: 10 * time.Millisecond}))
	evWait(t, 10*time.Second, "one handled, one dead letter", func() bool { return got.len() == 1 && dlq.len() == 1 })
	if got.get(0).ID != "s0" || dlq.get(0).ID != "s1" {
		t.Fatalf("handled %s, dead-lettered %s", got.get(0).ID, dlq.get(0).ID)
	}
}
