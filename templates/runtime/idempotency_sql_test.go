package runtime

import (
	"context"
	"database/sql"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
)

// openPostgres returns a database handle and a fresh table name, dropped at
// cleanup. Without a reachable server the test is skipped, except in CI.
func openPostgres(t *testing.T) (*sql.DB, string) {
	t.Helper()
	return openTestDB(t, "pgx", "PostgreSQL", "ACCORD_TEST_POSTGRES_DSN",
		"postgres://postgres@127.0.0.1:5432/test?sslmode=disable", "accord_idem_test")
}

// openTestDB opens the database a SQL test runs against (the DSN from env,
// else def) and returns a fresh table name with the prefix, dropped with the
// handle at cleanup. An unreachable server skips the test, except under
// CI=true, where it fails: CI must never pass by skipping the real engine.
func openTestDB(tb testing.TB, driver, label, env, def, prefix string) (*sql.DB, string) {
	tb.Helper()
	dsn := os.Getenv(env)
	if dsn == "" {
		dsn = def
	}
	db, err := sql.Open(driver, dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("%s unreachable at %s: %v", label, dsn, err)
		}
		tb.Skipf("%s unreachable at %s (set %s; CI=true makes this fatal): %v", label, dsn, env, err)
	}
	db.SetMaxOpenConns(20)
	table := fmt.Sprintf("%s_%d_%d", prefix, time.Now().UnixNano(), os.Getpid())
	tb.Cleanup(func() {
		_, _ = db.Exec("DROP TABLE IF EXISTS " + table)
		db.Close()
	})
	return db, table
}

func newPGStore(t *testing.T, db *sql.DB, table string) *SQLIdempotencyStore {
	t.Helper()
	return newSQLStore(t, db, table, DialectPostgres)
}

func newSQLStore(t *testing.T, db *sql.DB, table string, d SQLDialect) *SQLIdempotencyStore {
	t.Helper()
	s := NewSQLIdempotencyStore(db, SQLStoreOptions{Table: table, Dialect: d})
	if err := s.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSQLStoreRacingReplicas(t *testing.T) {
	for _, be := range sqlBackends() {
		t.Run(string(be.dialect), func(t *testing.T) { testSQLStoreRacingReplicas(t, be) })
	}
}

func testSQLStoreRacingReplicas(t *testing.T, be sqlBackend) {
	db1, table := be.open(t)
	db2, _ := be.open(t) // a second pool: a second replica
	s1, s2 := newSQLStore(t, db1, table, be.dialect), newSQLStore(t, db2, table, be.dialect)
	ctx := context.Background()
	const goroutines = 40
	var owners, sawRecord atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < goroutines; i++ {
		s := s1
		if i%2 == 1 {
			s = s2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			rec, err := s.Claim(ctx, IdempotencyID{Operation: "createPayment", Key: "race-key"}, "fp", time.Minute, time.Hour)
			switch {
			case err != nil:
				t.Error(err)
			case rec == nil:
				owners.Add(1)
			case rec.Fingerprint == "fp" && !rec.Done:
				sawRecord.Add(1)
			default:
				t.Errorf("unexpected record %+v", rec)
			}
		}()
	}
	close(start)
	wg.Wait()
	if owners.Load() != 1 || sawRecord.Load() != goroutines-1 {
		t.Fatalf("owners %d, saw in-flight record %d", owners.Load(), sawRecord.Load())
	}

	// The owner crashes; once its lease is over, replicas race to take the
	// expired row over: again exactly one wins.
	clk := newTestClock()
	clk.t = time.Now().Add(2 * time.Minute)
	s1.now, s2.now = clk.Now, clk.Now
	owners.Store(0)
	var takeovers []*SQLIdempotencyStore
	start = make(chan struct{})
	var mu sync.Mutex
	for i := 0; i < goroutines; i++ {
		s := s1
		if i%2 == 1 {
			s = s2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			rec, err := s.Claim(ctx, IdempotencyID{Operation: "createPayment", Key: "race-key"}, "fp", time.Minute, time.Hour)
			if err != nil {
				t.Error(err)
			} else if rec == nil {
				mu.Lock()
				takeovers = append(takeovers, s)
				mu.Unlock()
			}
		}()
	}
	close(start)
	wg.Wait()
	if len(takeovers) != 1 {
		t.Fatalf("%d replicas took the expired claim over", len(takeovers))
	}
}

func TestSQLStoreLifecycle(t *testing.T) {
	for _, be := range sqlBackends() {
		t.Run(string(be.dialect), func(t *testing.T) { testSQLStoreLifecycle(t, be) })
	}
}

func testSQLStoreLifecycle(t *testing.T, be sqlBackend) {
	db, table := be.open(t)
	s := newSQLStore(t, db, table, be.dialect)
	clk := newTestClock()
	s.now = clk.Now
	ctx := context.Background()
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("migrate is not idempotent: %v", err)
	}
	if rec, err := s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "fp", time.Minute, time.Hour); rec != nil || err != nil {
		t.Fatalf("claim: %v %v", rec, err)
	}
	// Complete, then replay the stored response.
	hdr := http.Header{"Content-Type": {"application/json"}, "Location": {"/v1/payments/p1"}}
	body := []byte{0, 1, 2, 0xff, '{', '}'}
	if err := s.Complete(ctx, IdempotencyID{Operation: "op", Key: "k"}, IdempotencyRecord{Fingerprint: "fp", StatusCode: 201, Header: hdr, Body: body, ExpiresAt: clk.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	rec, err := s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "fp", time.Minute, time.Hour)
	if err != nil || rec == nil || !rec.Done || rec.StatusCode != 201 || string(rec.Body) != string(body) ||
		rec.Header.Get("Location") != "/v1/payments/p1" || rec.Fingerprint != "fp" {
		t.Fatalf("replayed record %+v err %v", rec, err)
	}
	if rec.ExpiresAt.UnixMilli() != clk.Now().Add(time.Hour).UnixMilli() {
		t.Fatalf("expiry %v", rec.ExpiresAt)
	}
	// Release must not drop a done record.
	_ = s.Release(ctx, IdempotencyID{Operation: "op", Key: "k"})
	if rec, _ := s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "fp", time.Minute, time.Hour); rec == nil || !rec.Done {
		t.Fatal("release dropped a done record")
	}
	// TTL expiry: the key is free again, and a new claim replaces the row.
	clk.Advance(time.Hour + time.Second)
	if rec, err := s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "fp2", time.Minute, time.Hour); rec != nil || err != nil {
		t.Fatalf("expired done record not replaced: %v %v", rec, err)
	}
	rec, _ = s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "other", time.Minute, time.Hour)
	if rec == nil || rec.Done || rec.Fingerprint != "fp2" || rec.Body != nil {
		t.Fatalf("replaced row %+v", rec)
	}
	// Lease expiry: an abandoned claim (crashed replica) is re-claimable.
	clk.Advance(2 * time.Minute)
	if rec, err := s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "fp3", time.Minute, time.Hour); rec != nil || err != nil {
		t.Fatalf("abandoned claim not re-claimable: %v %v", rec, err)
	}
	// The crashed owner's late Complete does not clobber the new owner.
	_ = s.Complete(ctx, IdempotencyID{Operation: "op", Key: "k"}, IdempotencyRecord{Fingerprint: "fp2", StatusCode: 200, ExpiresAt: clk.Now().Add(time.Hour)})
	if rec, _ := s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "x", time.Minute, time.Hour); rec == nil || rec.Done || rec.Fingerprint != "fp3" {
		t.Fatalf("stale complete took over: %+v", rec)
	}
	// Release frees an in-flight claim.
	_ = s.Release(ctx, IdempotencyID{Operation: "op", Key: "k"})
	if rec, _ := s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "fp4", time.Minute, time.Hour); rec != nil {
		t.Fatal("release did not free the key")
	}
	// Complete after the claim vanished still stores the answer.
	_ = s.Release(ctx, IdempotencyID{Operation: "op", Key: "k"})
	if err := s.Complete(ctx, IdempotencyID{Operation: "op", Key: "k"}, IdempotencyRecord{Fingerprint: "fp4", StatusCode: 202, ExpiresAt: clk.Now().Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if rec, _ := s.Claim(ctx, IdempotencyID{Operation: "op", Key: "k"}, "fp4", time.Minute, time.Hour); rec == nil || rec.StatusCode != 202 {
		t.Fatalf("orphan complete lost: %+v", rec)
	}
	clk.Advance(2 * time.Hour)
	if n, err := s.Purge(ctx); err != nil || n != 1 {
		t.Fatalf("purge: %d %v", n, err)
	}
}

func TestSQLStoreThroughChain(t *testing.T) {
	db, table := openPostgres(t)
	s, _ := testSettings()
	s.Idempotency = newPGStore(t, db, table)
	var runs atomic.Int32
	op := Operation{ID: "createPayment", Method: "POST", Pattern: "/p", Policy: Policy{Idempotency: IdempotencyRequired}}
	srv := serveChain(t, op, s, func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		w.Header().Set("Location", "/p/1")
		w.WriteHeader(201)
	})
	for i := 0; i < 3; i++ {
		req := mustReq("POST", srv.URL+"/p", `{"a":1}`)
		req.Header.Set("Idempotency-Key", "chain-key")
		resp := do(t, req)
		if resp.StatusCode != 201 || resp.Header.Get("Location") != "/p/1" || (i > 0) != (resp.Header.Get("Idempotent-Replayed") == "true") {
			t.Fatalf("request %d: %d %v", i, resp.StatusCode, resp.Header)
		}
	}
	if runs.Load() != 1 {
		t.Fatalf("handler ran %d times", runs.Load())
	}
}

func TestSQLStoreOptionsValidated(t *testing.T) {
	ctx := context.Background()
	db, _ := sql.Open("pgx", "postgres://invalid")
	defer db.Close()
	for _, table := range []string{"x; DROP TABLE y", "a.b.c", "1abc", "bad-name"} {
		s := NewSQLIdempotencyStore(db, SQLStoreOptions{Table: table})
		if err := s.Migrate(ctx); err == nil {
			t.Errorf("table %q accepted", table)
		}
		if _, err := s.Claim(ctx, IdempotencyID{Operation: "o", Key: "k"}, "f", time.Second, time.Second); err == nil {
			t.Errorf("table %q: claim accepted", table)
		}
	}
	if err := NewSQLIdempotencyStore(nil, SQLStoreOptions{}).Release(ctx, IdempotencyID{Operation: "o", Key: "k"}); err == nil {
		t.Error("nil db accepted")
	}
	if err := NewSQLIdempotencyStore(db, SQLStoreOptions{Dialect: "oracle"}).Migrate(ctx); err == nil {
		t.Error("unknown dialect accepted")
	}
	for _, ok := range []string{"accord_idempotency", "public.idem", "_t1"} {
		if !rtValidTableName(ok) {
			t.Errorf("%q rejected", ok)
		}
	}
}

func TestSQLStoreScopesAreSeparate(t *testing.T) {
	for _, be := range sqlBackends() {
		t.Run(string(be.dialect), func(t *testing.T) {
			db, table := be.open(t)
			s := newSQLStore(t, db, table, be.dialect)
			ctx := context.Background()
			a := IdempotencyID{Scope: "principal:bearer:tenant-a", Operation: "op", Key: "k"}
			b := IdempotencyID{Scope: "principal:bearer:tenant-b", Operation: "op", Key: "k"}
			upper := IdempotencyID{Scope: a.Scope, Operation: "op", Key: "K"}
			if rec, err := s.Claim(ctx, a, "fp", time.Minute, time.Hour); rec != nil || err != nil {
				t.Fatalf("claim a: %v %v", rec, err)
			}
			if err := s.Complete(ctx, a, IdempotencyRecord{Fingerprint: "fp", StatusCode: 201, Body: []byte("a's data")}); err != nil {
				t.Fatal(err)
			}
			for _, id := range []IdempotencyID{b, upper} {
				if rec, err := s.Claim(ctx, id, "fp", time.Minute, time.Hour); rec != nil || err != nil {
					t.Fatalf("%v sees a's record: %+v %v", id, rec, err)
				}
			}
			if rec, _ := s.Claim(ctx, a, "fp", time.Minute, time.Hour); rec == nil || string(rec.Body) != "a's data" {
				t.Fatalf("a's record: %+v", rec)
			}
		})
	}
}
