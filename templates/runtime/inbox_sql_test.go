package runtime

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Two replicas receive one message at once; a failed effect leaves no
// record, so the redelivery runs; purge forgets old records.
func TestSQLInboxOnceAcrossReplicas(t *testing.T) {
	for _, be := range sqlBackends() {
		t.Run(string(be.dialect), func(t *testing.T) {
			e := openEventsDB(t, be)
			in1 := e.newInbox(t)
			db2, _ := be.open(t)
			in2 := NewSQLInbox(db2, SQLInboxOptions{Table: e.inbox, Dialect: e.dialect})
			ctx := context.Background()
			fx := e.effectHandler()
			var ran, dups atomic.Int32
			var wg sync.WaitGroup
			for i := range 8 {
				in := in1
				if i%2 == 1 {
					in = in2
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					dup, err := in.Once(ctx, "g", "m1", func(ctx context.Context, tx *sql.Tx) error {
						ran.Add(1)
						time.Sleep(20 * time.Millisecond) // hold the row while the others arrive
						return fx(ctx, tx, &EventDelivery{EventMessage: EventMessage{ID: "m1", Payload: []byte("1")}})
					})
					if err != nil {
						t.Error(err)
					}
					if dup {
						dups.Add(1)
					}
				}()
			}
			wg.Wait()
			if n, _ := e.effects(t); ran.Load() != 1 || dups.Load() != 7 || n != 1 {
				t.Fatalf("ran %d, duplicates %d, effect rows %d; want 1, 7, 1", ran.Load(), dups.Load(), n)
			}
			// A failing effect rolls the record back with it.
			boom := errors.New("boom")
			if _, err := in1.Once(ctx, "g", "m2", func(ctx context.Context, tx *sql.Tx) error {
				if err := fx(ctx, tx, &EventDelivery{EventMessage: EventMessage{ID: "m2", Payload: []byte("2")}}); err != nil {
					return err
				}
				return boom
			}); !errors.Is(err, boom) {
				t.Fatalf("failing effect: %v", err)
			}
			if dup, err := in2.Once(ctx, "g", "m2", func(ctx context.Context, tx *sql.Tx) error { return nil }); dup || err != nil {
				t.Fatalf("redelivery after a failure: duplicate %v, %v; want it to run", dup, err)
			}
			if n, _ := e.effects(t); n != 1 {
				t.Fatalf("effect rows %d, want 1 (the failed one rolled back)", n)
			}
			// Another group is another consumer: it runs too.
			if dup, _ := in1.Once(ctx, "other", "m1", func(context.Context, *sql.Tx) error { return nil }); dup {
				t.Fatal("a second group was skipped")
			}
			if n, err := in1.Purge(ctx, -time.Minute); err != nil || n != 3 {
				t.Fatalf("purge: %d, %v; want 3", n, err)
			}
			if dup, _ := in1.Once(ctx, "g", "m1", func(context.Context, *sql.Tx) error { return nil }); dup {
				t.Fatal("purged record still skips")
			}
		})
	}
}

// A batch records its ids together: ids recorded before and later copies
// of an id within the batch are duplicates (their effect does not run), and
// a failing effect rolls the whole batch back, records included.
func TestSQLInboxBatchDuplicates(t *testing.T) {
	for _, be := range sqlBackends() {
		t.Run(string(be.dialect), func(t *testing.T) {
			e := openEventsDB(t, be)
			in := e.newInbox(t)
			ctx := context.Background()
			fx := e.effectHandler()
			if dup, err := in.Once(ctx, "g", "b2", func(ctx context.Context, tx *sql.Tx) error {
				return fx(ctx, tx, &EventDelivery{EventMessage: EventMessage{ID: "b2", Payload: []byte("2")}})
			}); dup || err != nil {
				t.Fatalf("first record: duplicate %v, %v", dup, err)
			}
			ids := []string{"b1", "b2", "b3", "b1", "b4", "b3"}
			var ran []string
			dup, ok := in.rtOnceAll(ctx, "g", ids, func(ctx context.Context, tx *sql.Tx, i int) error {
				ran = append(ran, ids[i])
				return fx(ctx, tx, &EventDelivery{EventMessage: EventMessage{ID: ids[i], Payload: []byte("1")}})
			})
			want := []bool{false, true, false, true, false, true}
			if !ok || !slices.Equal(dup, want) || !slices.Equal(ran, []string{"b1", "b3", "b4"}) {
				t.Fatalf("batch: ok %v, duplicates %v, ran %v; want true, %v, [b1 b3 b4]", ok, dup, ran, want)
			}
			if n, distinct := e.effects(t); n != 4 || distinct != 4 {
				t.Fatalf("effect rows %d (distinct %d), want 4", n, distinct)
			}
			// A failure inside a batch leaves neither effects nor records.
			if _, ok := in.rtOnceAll(ctx, "g", []string{"b5", "b6"}, func(ctx context.Context, tx *sql.Tx, i int) error {
				if i == 1 {
					return errors.New("boom")
				}
				return fx(ctx, tx, &EventDelivery{EventMessage: EventMessage{ID: "b5", Payload: []byte("5")}})
			}); ok {
				t.Fatal("a failing batch reported success")
			}
			if dup, err := in.Once(ctx, "g", "b5", func(context.Context, *sql.Tx) error { return nil }); dup || err != nil {
				t.Fatalf("b5 after the failed batch: duplicate %v, %v; want it to run", dup, err)
			}
			if n, _ := e.effects(t); n != 4 {
				t.Fatalf("effect rows %d after the failed batch, want 4", n)
			}
		})
	}
}
