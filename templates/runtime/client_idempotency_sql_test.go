package runtime

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
	_ "github.com/jackc/pgx/v5/stdlib"
)

// openCallStoreDB opens the test database of a dialect and names a fresh
// table, dropped at cleanup. Without a reachable server the test is
// skipped, except under CI=true.
func openCallStoreDB(t *testing.T, dialect SQLDialect) (*sql.DB, string) {
	t.Helper()
	driver, env, dsn := "pgx", "ACCORD_TEST_POSTGRES_DSN", "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	if dialect == DialectMySQL {
		driver, env, dsn = "mysql", "ACCORD_TEST_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/test"
	}
	if v := os.Getenv(env); v != "" {
		dsn = v
	}
	db, err := sql.Open(driver, dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s unreachable at %s: %v", dialect, dsn, err)
		}
		t.Skipf("%s unreachable at %s (set %s; CI=true makes this fatal): %v", dialect, dsn, env, err)
	}
	db.SetMaxOpenConns(20)
	table := fmt.Sprintf("accord_calls_test_%d_%d", time.Now().UnixNano(), os.Getpid())
	t.Cleanup(func() {
		_, _ = db.Exec("DROP TABLE IF EXISTS " + table)
		db.Close()
	})
	return db, table
}

func forEachCallStoreDialect(t *testing.T, f func(t *testing.T, open func(now func() time.Time) *SQLCallStore)) {
	for _, d := range []SQLDialect{DialectPostgres, DialectMySQL} {
		t.Run(string(d), func(t *testing.T) {
			db, table := openCallStoreDB(t, d)
			f(t, func(now func() time.Time) *SQLCallStore {
				s := NewSQLCallStore(db, SQLCallStoreOptions{Table: table, Dialect: d, Now: now})
				if err := s.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				return s
			})
		})
	}
}

func TestSQLCallStoreOneOfRacingDuplicatesSends(t *testing.T) {
	forEachCallStoreDialect(t, func(t *testing.T, open func(func() time.Time) *SQLCallStore) {
		s1, s2 := open(nil), open(nil) // two replicas sharing the table
		ctx := context.Background()
		var created atomic.Int32
		var wg sync.WaitGroup
		for i := range 20 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				s := s1
				if i%2 == 1 {
					s = s2
				}
				rec := CallRecord{Reference: fmt.Sprintf("r%d", i), State: CallInFlight, LeaseUntil: time.Now().Add(time.Minute)}
				_, ok, err := s.Begin(ctx, "createCustomer", "k", rec, time.Hour)
				if err != nil {
					t.Error(err)
				}
				if ok {
					created.Add(1)
				}
			}()
		}
		wg.Wait()
		if created.Load() != 1 {
			t.Fatalf("%d duplicates were allowed to send", created.Load())
		}
	})
}

func TestSQLCallStoreLifecycle(t *testing.T) {
	forEachCallStoreDialect(t, func(t *testing.T, open func(func() time.Time) *SQLCallStore) {
		clock := time.Unix(2_000_000, 0)
		var mu sync.Mutex
		now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
		s := open(now)
		ctx := context.Background()
		long := strings.Repeat("k", 300) // longer than the column: stored by digest
		begin := func(key, ref string) (CallRecord, bool) {
			t.Helper()
			cur, ok, err := s.Begin(ctx, "op", key, CallRecord{Reference: ref, State: CallInFlight, LeaseUntil: now().Add(time.Minute)}, time.Hour)
			if err != nil {
				t.Fatal(err)
			}
			return cur, ok
		}
		if _, ok := begin(long, "r1"); !ok {
			t.Fatal("first Begin did not create")
		}
		if cur, ok := begin(long, "r2"); ok || cur.Reference != "r1" || cur.State != CallInFlight {
			t.Fatalf("duplicate: %v %+v", ok, cur)
		}
		done := CallRecord{Reference: "r1", State: CallDone, Status: 201, Header: http.Header{"Location": {"/c/1"}}, Body: []byte(`{"id":1}`)}
		if err := s.Finish(ctx, "op", long, done, time.Hour); err != nil {
			t.Fatal(err)
		}
		if cur, _ := begin(long, "r3"); cur.State != CallDone || cur.Status != 201 || string(cur.Body) != `{"id":1}` || cur.Header.Get("Location") != "/c/1" {
			t.Fatalf("recorded outcome: %+v", cur)
		}
		// A finish for another reference does not overwrite the record.
		if err := s.Finish(ctx, "op", long, CallRecord{Reference: "zz", State: CallUnknown}, time.Hour); err == nil {
			t.Fatal("foreign reference finished the record")
		}
		// Forget frees the key; past its lease an in-flight record is unknown.
		if err := s.Forget(ctx, "op", long, "r1"); err != nil {
			t.Fatal(err)
		}
		if _, ok := begin(long, "r4"); !ok {
			t.Fatal("forgotten key not free")
		}
		mu.Lock()
		clock = clock.Add(2 * time.Minute)
		mu.Unlock()
		if cur, _ := begin(long, "r5"); cur.State != CallUnknown || cur.Reference != "r4" {
			t.Fatalf("stale in-flight record: %+v", cur)
		}
		// Expired records are replaced and purged.
		mu.Lock()
		clock = clock.Add(2 * time.Hour)
		mu.Unlock()
		if _, ok := begin(long, "r6"); !ok {
			t.Fatal("expired record not replaced")
		}
		_, _ = begin("other", "o1")
		mu.Lock()
		clock = clock.Add(2 * time.Hour)
		mu.Unlock()
		if n, err := s.Purge(ctx); err != nil || n != 2 {
			t.Fatalf("purge: %d %v", n, err)
		}
	})
}

// Two engines (two replicas of a service) share the SQL store: a duplicate
// sent from the second is answered from the first's record.
func TestSQLCallStoreAcrossReplicas(t *testing.T) {
	db, table := openCallStoreDB(t, DialectPostgres)
	st := NewSQLCallStore(db, SQLCallStoreOptions{Table: table})
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	p := newIgnoringProvider(t, func(hit int32, w http.ResponseWriter, r *http.Request) bool {
		if hit == 1 {
			w.WriteHeader(503)
			return true
		}
		return false
	})
	a, b := NewEngine(WithCallStore(st)), NewEngine(WithCallStore(st))
	resp, err := a.Do(context.Background(), clientOp(), postReq(p.url, `{"n":1}`), WithIdempotencyKey("order-1"))
	if err != nil {
		t.Fatal(err)
	}
	first := callBody(t, resp)
	resp, err = b.Do(context.Background(), clientOp(), postReq(p.url, `{"n":1}`), WithIdempotencyKey("order-1"))
	if err != nil || callBody(t, resp) != first || resp.Header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("replica b: %v", err)
	}
	if p.created.Load() != 1 || p.hits.Load() != 2 {
		t.Fatalf("created %d hits %d", p.created.Load(), p.hits.Load())
	}
	if err := NewSQLCallStore(nil, SQLCallStoreOptions{}).Migrate(context.Background()); err == nil || errors.Is(err, ErrCallStoreFull) {
		t.Fatalf("nil db: %v", err)
	}
}
