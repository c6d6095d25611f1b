package runtime

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// A worker dies mid-handler, after writing its effect and before the
// commit: its database session is killed (SQL) or its run abandoned
// (memory). After the lease a second worker runs the event once more, and
// the effect is counted once in SQL.
func TestWebhookWorkerKilledMidHandler(t *testing.T) {
	forWebhookBackends(t, func(t *testing.T, b whBackend) {
		q := b.newQueue()
		if _, err := q.Store(context.Background(), testEvent("evt_crash")); err != nil {
			t.Fatal(err)
		}
		var runs, mem atomic.Int32
		session := make(chan int64, 1)
		hold := make(chan struct{})
		lease := 300 * time.Millisecond
		opt := WebhookWorkerOptions{Queue: q, Lease: lease, Timeout: time.Minute, Poll: 10 * time.Millisecond}
		opt.Handle = func(ctx context.Context, ev *WebhookEvent) error {
			runs.Add(1)
			if err := b.effectOnce(ctx, ev, &mem); err != nil {
				return err
			}
			var id int64
			if tx := WebhookTx(ctx); tx != nil {
				q := "SELECT pg_backend_pid()"
				if b.dialect == DialectMySQL {
					q = "SELECT CONNECTION_ID()"
				}
				if err := tx.QueryRowContext(ctx, q).Scan(&id); err != nil {
					return err
				}
			}
			session <- id
			<-hold // the process "dies" here
			return ctx.Err()
		}
		stop1 := runWorkers(t, opt)
		id := <-session
		if b.db != nil {
			kill := "SELECT pg_terminate_backend($1)"
			if b.dialect == DialectMySQL {
				kill = "KILL ?"
			}
			if _, err := b.db.Exec(kill, id); err != nil {
				t.Fatalf("killing the worker's session: %v", err)
			}
		}
		close(hold)
		stop1()
		if b.db == nil {
			mem.Store(0) // the memory queue has no transaction to roll the effect back
		}
		var second atomic.Int32
		opt2 := opt
		opt2.Handle = func(ctx context.Context, ev *WebhookEvent) error {
			runs.Add(1)
			second.Store(int32(ev.Attempt))
			return b.effectOnce(ctx, ev, &mem)
		}
		stop2 := runWorkers(t, opt2)
		eventually(t, "the rerun after the lease, committed", func() bool { return second.Load() != 0 && b.effects(t, &mem) == 1 })
		stop2()
		if runs.Load() != 2 || second.Load() != 2 || b.effects(t, &mem) != 1 {
			t.Fatalf("runs %d, attempt of the rerun %d, effects %d; want 2, 2, 1", runs.Load(), second.Load(), b.effects(t, &mem))
		}
	})
}

// An event that arrives before the response of its API call stays pending;
// recording the response releases it.
func TestWebhookEventBeforeResponse(t *testing.T) {
	forWebhookBackends(t, func(t *testing.T, b whBackend) {
		ctx := context.Background()
		q := b.newQueue()
		ref := WebhookRef{Operation: "createPayment", Key: "p1"}
		ev := testEvent("evt_early")
		ev.Ref, ev.Wait = ref, time.Hour
		if _, err := q.Store(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if cs, err := q.Claim(ctx, 10, time.Minute); err != nil || len(cs) != 0 {
			t.Fatalf("a pending event was claimed: %v, %v", cs, err)
		}
		if err := q.Expect(ctx, ref, "paymentSettled", time.Hour); err != nil {
			t.Fatal(err)
		}
		cs, err := q.Claim(ctx, 10, time.Minute)
		if err != nil || len(cs) != 1 || cs[0].Event.Ref != ref {
			t.Fatalf("after the response: claims %v, %v; want the event", cs, err)
		}
		if err := q.Done(ctx, cs[0], func(context.Context, *sql.Tx) error { return nil }); err != nil {
			t.Fatal(err)
		}
		// Both sides met: no deadline is watched any more.
		if due, _ := q.ClaimOverdue(ctx, 10, time.Minute); len(due) != 0 {
			t.Fatalf("overdue after both sides met: %v", due)
		}
		// The other order: the response first, then the event runs at once.
		ref2 := WebhookRef{Operation: "createPayment", Key: "p2"}
		if err := q.Expect(ctx, ref2, "paymentSettled", time.Hour); err != nil {
			t.Fatal(err)
		}
		ev2 := testEvent("evt_late")
		ev2.Ref, ev2.Wait = ref2, time.Hour
		if _, err := q.Store(ctx, ev2); err != nil {
			t.Fatal(err)
		}
		if cs, _ := q.Claim(ctx, 10, time.Minute); len(cs) != 1 {
			t.Fatalf("an event whose response was recorded waited: %v", cs)
		}
	})
}

// An event whose response never comes is settled by the reconcile after its
// wait, and then handled.
func TestWebhookPendingSettledByReconcile(t *testing.T) {
	forWebhookBackends(t, func(t *testing.T, b whBackend) {
		q := b.newQueue()
		ref := WebhookRef{Operation: "createPayment", Key: "p9"}
		ev := testEvent("evt_orphan")
		ev.Ref, ev.Wait = ref, 50*time.Millisecond
		if _, err := q.Store(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
		var reconciled, handled atomic.Int32
		var early atomic.Bool
		stop := runWorkers(t, WebhookWorkerOptions{Queue: q, Poll: 10 * time.Millisecond,
			Reconcile: func(_ context.Context, o WebhookOverdue) error {
				early.Store(o.Early && o.Ref == ref)
				reconciled.Add(1)
				return nil
			},
			Handle: func(context.Context, *WebhookEvent) error { handled.Add(1); return nil },
		})
		eventually(t, "the handler after the reconcile", func() bool { return handled.Load() == 1 })
		stop()
		if reconciled.Load() != 1 || !early.Load() {
			t.Fatalf("reconciled %d times (early %v); want once, for the early event", reconciled.Load(), early.Load())
		}
	})
}

// A call whose webhook never arrives: after the deadline the hook fires and
// the reconcile runs, exactly once across two replicas; a failing reconcile
// is tried again.
func TestWebhookMissingAfterDeadline(t *testing.T) {
	forWebhookBackends(t, func(t *testing.T, b whBackend) {
		ctx := context.Background()
		q1, q2 := b.newQueue(), b.newQueue()
		ref := WebhookRef{Operation: "createPayment", Key: "p7"}
		failing := WebhookRef{Operation: "createPayment", Key: "p8"}
		for _, r := range []WebhookRef{ref, failing} {
			if err := q1.Expect(ctx, r, "paymentSettled", 50*time.Millisecond); err != nil {
				t.Fatal(err)
			}
		}
		var hooks, calls, failCalls atomic.Int32
		opt := func(q WebhookQueue) WebhookWorkerOptions {
			return WebhookWorkerOptions{Queue: q, Poll: 5 * time.Millisecond, Lease: time.Minute, BackoffBase: 10 * time.Millisecond, BackoffCap: 20 * time.Millisecond,
				Handle: func(context.Context, *WebhookEvent) error { return nil },
				Reconcile: func(_ context.Context, o WebhookOverdue) error {
					if o.Ref == failing {
						if failCalls.Add(1) < 3 {
							return context.DeadlineExceeded
						}
						return nil
					}
					calls.Add(1)
					return nil
				},
				Hooks: WebhookHooks{OnOverdue: func(o WebhookOverdue) {
					if o.Ref == ref && !o.Early && o.Webhook == "paymentSettled" {
						hooks.Add(1)
					}
				}},
			}
		}
		stop1, stop2 := runWorkers(t, opt(q1)), runWorkers(t, opt(q2))
		eventually(t, "the reconciles", func() bool { return calls.Load() >= 1 && failCalls.Load() >= 3 })
		stop1()
		stop2()
		if calls.Load() != 1 || hooks.Load() != 1 || failCalls.Load() != 3 {
			t.Fatalf("reconcile calls %d, hooks %d, failing ref's calls %d; want 1, 1, 3", calls.Load(), hooks.Load(), failCalls.Load())
		}
		if due, _ := q1.ClaimOverdue(ctx, 10, time.Minute); len(due) != 0 {
			t.Fatalf("still overdue after the reconcile: %v", due)
		}
		// A webhook arriving after the reconcile runs at once.
		ev := testEvent("evt_after")
		ev.Ref = ref
		if _, err := q1.Store(ctx, ev); err != nil {
			t.Fatal(err)
		}
		if cs, _ := q1.Claim(ctx, 10, time.Minute); len(cs) != 1 {
			t.Fatalf("an event after the reconcile waited: %v", cs)
		}
	})
}

func TestJSONPointerValue(t *testing.T) {
	doc := []byte(`{"id":"pay_1","n":42,"a/b":{"c~d":[true]},"o":{}}`)
	for ptr, want := range map[string]string{"/id": "pay_1", "/n": "42", "/a~1b/c~0d/0": "true", "/missing": "", "/id/x": ""} {
		if got, err := JSONPointerValue(doc, ptr); err != nil || got != want {
			t.Errorf("%s: %q, %v; want %q", ptr, got, err, want)
		}
	}
	if _, err := JSONPointerValue(doc, "/o"); err == nil {
		t.Error("an object was taken as a correlation value")
	}
}

// Deliveries of one call's events race with the call's response on two
// replicas: whichever commits first, none of the events is left pending.
func TestWebhookEventsRaceTheResponse(t *testing.T) {
	forWebhookBackends(t, func(t *testing.T, b whBackend) {
		ctx := context.Background()
		q1, q2 := b.newQueue(), b.newQueue()
		for round := range 5 {
			ref := WebhookRef{Operation: "createPayment", Key: fmt.Sprintf("race_%d", round)}
			var wg sync.WaitGroup
			for i := range 6 {
				q := q1
				if i%2 == 1 {
					q = q2
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					ev := testEvent(fmt.Sprintf("evt_%d_%d", round, i))
					ev.Ref, ev.Wait = ref, time.Hour
					if _, err := q.Store(ctx, ev); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if err := q2.Expect(ctx, ref, "paymentSettled", time.Hour); err != nil {
					t.Error(err)
				}
			}()
			wg.Wait()
			cs, err := q1.Claim(ctx, 100, time.Minute)
			if err != nil || len(cs) != 6 {
				t.Fatalf("round %d: %d events runnable, %v; want 6", round, len(cs), err)
			}
		}
	})
}

// Two replicas' workers drain 200 events: every effect once, counted in SQL.
func TestWebhookWorkersTwoReplicas(t *testing.T) {
	forWebhookBackends(t, func(t *testing.T, b whBackend) {
		q1, q2 := b.newQueue(), b.newQueue()
		const n = 200
		for i := range n {
			if _, err := q1.Store(context.Background(), testEvent(fmt.Sprintf("evt_%03d", i))); err != nil {
				t.Fatal(err)
			}
		}
		var runs, mem atomic.Int32
		handle := func(ctx context.Context, ev *WebhookEvent) error {
			runs.Add(1)
			return b.effectOnce(ctx, ev, &mem)
		}
		stop1 := runWorkers(t, WebhookWorkerOptions{Queue: q1, Handle: handle, Poll: 5 * time.Millisecond})
		stop2 := runWorkers(t, WebhookWorkerOptions{Queue: q2, Handle: handle, Poll: 5 * time.Millisecond})
		eventually(t, "every effect", func() bool { return b.effects(t, &mem) >= n })
		stop1()
		stop2()
		if got := b.effects(t, &mem); got != n || runs.Load() != n {
			t.Fatalf("effects %d, runs %d; want %d each", got, runs.Load(), n)
		}
		if b.db != nil {
			var distinct int
			if err := b.db.QueryRow("SELECT COUNT(DISTINCT event_id) FROM " + b.effect).Scan(&distinct); err != nil || distinct != n {
				t.Fatalf("distinct effects %d, %v", distinct, err)
			}
		}
	})
}
