package runtime

import (
	"context"
	"database/sql"
	"errors"
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
