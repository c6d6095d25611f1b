package runtime

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// whBackend is one WebhookQueue implementation under test: newQueue opens
// the queue as another replica would (same tables), db is nil for memory.
type whBackend struct {
	name     string
	db       *sql.DB
	dialect  SQLDialect
	effect   string // an effect table written in the handler's transaction
	newQueue func() WebhookQueue
}

type whOpener struct {
	name string
	open func(t *testing.T) whBackend
}

func webhookBackends() []whOpener {
	mem := func(t *testing.T) whBackend {
		q := NewMemoryWebhookQueue()
		return whBackend{name: "memory", newQueue: func() WebhookQueue { return q }}
	}
	out := []whOpener{{"memory", mem}}
	for _, be := range sqlBackends() {
		out = append(out, whOpener{string(be.dialect), func(t *testing.T) whBackend {
			db, table := be.open(t)
			b := whBackend{name: string(be.dialect), db: db, dialect: be.dialect, effect: table + "_fx"}
			if _, err := db.Exec("CREATE TABLE " + b.effect + " (event_id VARCHAR(255) NOT NULL)"); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() {
				for _, s := range []string{"", "_expect", "_dead", "_fx"} {
					_, _ = db.Exec("DROP TABLE IF EXISTS " + table + s)
				}
			})
			b.newQueue = func() WebhookQueue {
				q := NewSQLWebhookQueue(db, SQLWebhookQueueOptions{Table: table, Dialect: be.dialect})
				if err := q.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				return q
			}
			return b
		}})
	}
	return out
}

func forWebhookBackends(t *testing.T, fn func(t *testing.T, b whBackend)) {
	for _, o := range webhookBackends() {
		t.Run(o.name, func(t *testing.T) { fn(t, o.open(t)) })
	}
}

// effectOnce writes the event's effect in the handler's transaction, or
// counts it in memory when the queue has none.
func (b whBackend) effectOnce(ctx context.Context, ev *WebhookEvent, mem *atomic.Int32) error {
	tx := WebhookTx(ctx)
	if b.db == nil {
		mem.Add(1)
		return nil
	}
	if tx == nil {
		return errors.New("the SQL queue gave the handler no transaction")
	}
	q := "INSERT INTO " + b.effect + " (event_id) VALUES ($1)"
	if b.dialect == DialectMySQL {
		q = strings.ReplaceAll(q, "$1", "?")
	}
	_, err := tx.ExecContext(ctx, q, ev.ID)
	return err
}

func (b whBackend) effects(t *testing.T, mem *atomic.Int32) int {
	t.Helper()
	if b.db == nil {
		return int(mem.Load())
	}
	var n int
	if err := b.db.QueryRow("SELECT COUNT(*) FROM " + b.effect).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// runWorkers starts workers and returns their stop function.
func runWorkers(t *testing.T, opt WebhookWorkerOptions) func() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- RunWebhookWorkers(ctx, opt) }()
	stopped := false
	stop := func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	t.Cleanup(stop)
	return stop
}

// eventually polls cond for up to 10 s (a bound, not a speed claim).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for i := 0; i < 1000; i++ {
		if cond() {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("timed out waiting for %s", what)
}

func testEvent(id string) WebhookEvent {
	return WebhookEvent{ID: id, Operation: "paymentSettled", Payload: []byte(`{"payment_id":"p1"}`), Headers: http.Header{"Webhook-Id": {id}}}
}

// Eight concurrent deliveries of one event, on two replicas: stored once,
// handled once.
func TestWebhookDuplicateDeliveryStoredOnce(t *testing.T) {
	forWebhookBackends(t, func(t *testing.T, b whBackend) {
		q1, q2 := b.newQueue(), b.newQueue()
		var dups, stored atomic.Int32
		var wg sync.WaitGroup
		for i := range 8 {
			q := q1
			if i%2 == 1 {
				q = q2
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				dup, err := q.Store(context.Background(), testEvent("evt_1"))
				if err != nil {
					t.Error(err)
				}
				if dup {
					dups.Add(1)
				} else {
					stored.Add(1)
				}
			}()
		}
		wg.Wait()
		if stored.Load() != 1 || dups.Load() != 7 {
			t.Fatalf("stored %d, duplicates %d; want 1, 7", stored.Load(), dups.Load())
		}
		var runs, mem atomic.Int32
		stop := runWorkers(t, WebhookWorkerOptions{Queue: q1, Poll: 10 * time.Millisecond, Handle: func(ctx context.Context, ev *WebhookEvent) error {
			runs.Add(1)
			return b.effectOnce(ctx, ev, &mem)
		}})
		eventually(t, "the handler", func() bool { return b.effects(t, &mem) == 1 })
		// A delivery after the event was handled is still a duplicate.
		if dup, err := q2.Store(context.Background(), testEvent("evt_1")); !dup || err != nil {
			t.Fatalf("late redelivery: duplicate %v, %v", dup, err)
		}
		stop()
		if runs.Load() != 1 || b.effects(t, &mem) != 1 {
			t.Fatalf("runs %d, effects %d; want 1, 1", runs.Load(), b.effects(t, &mem))
		}
	})
}

// A handler that always fails is retried, then dead-lettered with its
// reason, attempts and first failure; a requeue runs it again.
func TestWebhookPoisonDeadLettered(t *testing.T) {
	forWebhookBackends(t, func(t *testing.T, b whBackend) {
		q := b.newQueue()
		if _, err := q.Store(context.Background(), testEvent("evt_poison")); err != nil {
			t.Fatal(err)
		}
		var runs, dead atomic.Int32
		fixed := atomic.Bool{}
		stop := runWorkers(t, WebhookWorkerOptions{
			Queue: q, Retries: 2, BackoffBase: 5 * time.Millisecond, BackoffCap: 20 * time.Millisecond, Poll: 5 * time.Millisecond,
			Handle: func(ctx context.Context, ev *WebhookEvent) error {
				runs.Add(1)
				if fixed.Load() {
					return nil
				}
				return fmt.Errorf("run %d: the ledger refused it", ev.Attempt)
			},
			Hooks: WebhookHooks{OnDeadLetter: func(WebhookEvent, string) { dead.Add(1) }},
		})
		eventually(t, "the dead letter", func() bool { return dead.Load() == 1 })
		dls, err := q.DeadLetters(context.Background(), 10)
		if err != nil || len(dls) != 1 {
			t.Fatalf("dead letters: %v, %v", dls, err)
		}
		d := dls[0]
		if d.Attempts != 3 || runs.Load() != 3 || d.Reason != "run 3: the ledger refused it" || d.FirstFailure.IsZero() ||
			string(d.Event.Payload) != `{"payment_id":"p1"}` || d.Event.Headers.Get("Webhook-Id") != "evt_poison" {
			t.Fatalf("dead letter %+v after %d runs; want 3 attempts, the last reason, a first failure, the payload and headers", d, runs.Load())
		}
		// A redelivery of a dead-lettered event is not stored again.
		if dup, _ := q.Store(context.Background(), testEvent("evt_poison")); !dup {
			t.Fatal("a dead-lettered event was stored again")
		}
		fixed.Store(true)
		if err := q.Requeue(context.Background(), "paymentSettled", "evt_poison"); err != nil {
			t.Fatal(err)
		}
		eventually(t, "the requeued run", func() bool { return runs.Load() == 4 })
		stop()
		if dls, _ := q.DeadLetters(context.Background(), 10); len(dls) != 0 {
			t.Fatalf("dead letters after the requeue: %v", dls)
		}
	})
}

// A dead letter evicted from a full memory queue's known ids is still
// claimable once requeued.
func TestMemoryWebhookQueueRequeueAfterEviction(t *testing.T) {
	ctx := context.Background()
	q := &MemoryWebhookQueue{Capacity: 2}
	if _, err := q.Store(ctx, testEvent("a")); err != nil {
		t.Fatal(err)
	}
	cs, _ := q.Claim(ctx, 1, time.Minute)
	if err := q.Bury(ctx, cs[0], "poison"); err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"b", "c"} { // "a" (done) is evicted to make room
		if _, err := q.Store(ctx, testEvent(id)); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := q.Store(ctx, testEvent("d")); !errors.Is(err, ErrStoreFull) {
		t.Fatalf("a queue full of undone events took another: %v", err)
	}
	if err := q.Requeue(ctx, "paymentSettled", "a"); err != nil {
		t.Fatal(err)
	}
	cs, _ = q.Claim(ctx, 10, time.Minute)
	if len(cs) != 3 {
		t.Fatalf("claimable after the requeue: %d, want 3", len(cs))
	}
}
