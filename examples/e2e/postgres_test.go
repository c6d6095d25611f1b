package e2e

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/accord-dev/accord/examples/invoicing/invoicingapi"
)

// openPostgres connects to the test database and returns a fresh table name
// dropped at cleanup. Unreachable: a skip, except in CI where it is fatal.
func postgresDSN() string {
	if dsn := os.Getenv("ACCORD_TEST_POSTGRES_DSN"); dsn != "" {
		return dsn
	}
	return "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
}

func openPostgres(t *testing.T) (*sql.DB, string) {
	t.Helper()
	dsn := postgresDSN()
	db, err := sql.Open("pgx", dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("PostgreSQL unreachable at %s: %v", dsn, err)
		}
		t.Skipf("PostgreSQL unreachable at %s (set ACCORD_TEST_POSTGRES_DSN; CI=true makes this fatal): %v", dsn, err)
	}
	warm(t, db)
	table := fmt.Sprintf("accord_e2e_idem_%d_%d", time.Now().UnixNano(), os.Getpid())
	t.Cleanup(func() {
		_, _ = db.Exec("DROP TABLE IF EXISTS " + table)
		db.Close()
	})
	return db, table
}

// warm opens the pool's connections up front, as a running replica has
// them: PostgreSQL forks a backend per connection, and 60 cold connections
// on a busy machine take longer than the behaviour under test.
func warm(t *testing.T, db *sql.DB) {
	t.Helper()
	db.SetMaxOpenConns(40)
	db.SetMaxIdleConns(40)
	conns := make([]*sql.Conn, 0, 30)
	for range 30 {
		c, err := db.Conn(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
	}
	for _, c := range conns {
		c.Close()
	}
}

// Two replicas of the generated server share one PostgreSQL idempotency
// store (each with its own pool, as two processes would have); concurrent
// duplicate POSTs spread over both run the handler once, and every caller
// gets that one invoice.
func TestTwoReplicasSharePostgresStore(t *testing.T) {
	t.Parallel()
	db, table := openPostgres(t)
	if err := invoicingapi.NewSQLIdempotencyStore(db, invoicingapi.SQLStoreOptions{Table: table}).Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	db2, err := sql.Open("pgx", postgresDSN())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db2.Close() })
	warm(t, db2)

	// The ledger both replicas write to: the handler implementation is
	// shared, its run count is the number of invoices really created.
	// The winner is held until every other caller has had an answer from
	// either replica, so each of them met the claim made through the other
	// replica or its own.
	const n = 60
	inv := &invoicer{hold: make(chan struct{})}
	others := make(chan struct{})
	var answered atomic.Int64
	counting := invoicingapi.WithServerHooks(invoicingapi.ServerHooks{OnRequest: func(invoicingapi.ServerRequestInfo) {
		if answered.Add(1) == n-1 {
			close(others)
		}
	}})
	copt, sopt := noLimits()
	// The hold is artificial: it must not turn into a timeout, which would
	// (rightly) release the winner's claim and let a retry run again.
	patient := func(id string, p *invoicingapi.Policy) { p.Timeout, p.Budget = 0, 30*time.Second }
	replica := func(db *sql.DB) *invoicingapi.Client {
		store := invoicingapi.NewSQLIdempotencyStore(db, invoicingapi.SQLStoreOptions{Table: table})
		srv := startInvoicing(t, inv, sopt, counting, invoicingapi.WithServerPolicy(patient), invoicingapi.WithIdempotencyStore(store))
		return newInvoicingClient(t, srv.URL, copt, invoicingapi.WithPolicy(patient))
	}
	clients := []*invoicingapi.Client{replica(db), replica(db2)}

	ids := make(chan string, n)
	errs := make(chan error, n)
	var wg sync.WaitGroup
	for i := range n {
		c := clients[i%2]
		wg.Go(func() {
			r, err := c.CreateInvoice(context.Background(), nil, invoiceInput("cus_pg", 7700), invoicingapi.WithIdempotencyKey("pg-dup-1"))
			if err != nil {
				errs <- err
				return
			}
			ids <- r.Id
		})
	}
	<-others
	close(inv.hold)
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		t.Errorf("call failed: %v", err)
	}
	count := 0
	for id := range ids {
		count++
		if id != "in_0001" {
			t.Fatalf("a caller got invoice %s", id)
		}
	}
	if count != n || inv.runs.Load() != 1 {
		t.Fatalf("%d callers got the invoice; the handler ran %d times across both replicas", count, inv.runs.Load())
	}
}
