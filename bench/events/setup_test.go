package eventsbench

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Shape of every pipeline run: n messages over benchKeys keys, written in
// transactions of benchTxRows rows, on topics of benchPartitions
// partitions; the same for accord, Watermill and raw franz-go.
const (
	benchKeys       = 64
	benchTxRows     = 500
	benchPartitions = 16
	drainTimeout    = 120 * time.Second
)

// envInt reads a positive integer knob of the benchmark from the
// environment (the script passes them through).
func envInt(name string, def int) int {
	if v, err := strconv.Atoi(os.Getenv(name)); err == nil && v > 0 {
		return v
	}
	return def
}

// openPG opens the shared PostgreSQL test database; the benchmark skips
// when it is missing (and fails under CI=true, like accord's own tests).
func openPG(tb testing.TB) *sql.DB {
	tb.Helper()
	dsn := os.Getenv("ACCORD_TEST_POSTGRES_DSN")
	if dsn == "" {
		dsn = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"
	}
	db, err := sql.Open("pgx", dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatalf("PostgreSQL unreachable at %s: %v", dsn, err)
		}
		tb.Skipf("PostgreSQL unreachable at %s (set ACCORD_TEST_POSTGRES_DSN): %v", dsn, err)
	}
	// The same pool for every contender.
	db.SetMaxOpenConns(20)
	db.SetMaxIdleConns(20)
	tb.Cleanup(func() { db.Close() })
	return db
}

// tables names one run's tables and drops them afterwards.
type tables struct {
	db     *sql.DB
	prefix string // unique per run
	inbox  string
	effect string
}

func newTables(tb testing.TB, db *sql.DB, who string) tables {
	tb.Helper()
	p := fmt.Sprintf("evb_%s_%d_%d", who, time.Now().UnixNano(), os.Getpid())
	t := tables{db: db, prefix: p, inbox: p + "_in", effect: p + "_fx"}
	for _, q := range []string{
		"CREATE TABLE " + t.effect + " (message_id VARCHAR(255) NOT NULL)",
	} {
		if _, err := db.Exec(q); err != nil {
			tb.Fatal(err)
		}
	}
	tb.Cleanup(func() {
		rows, err := db.Query("SELECT tablename FROM pg_tables WHERE tablename LIKE $1", p+"%")
		if err != nil {
			return
		}
		var names []string
		for rows.Next() {
			var n string
			if rows.Scan(&n) == nil {
				names = append(names, n)
			}
		}
		rows.Close()
		for _, n := range names {
			_, _ = db.Exec(`DROP TABLE IF EXISTS "` + n + `"`)
		}
	})
	return t
}

// effects returns (rows, distinct message ids) of the effect table.
func (t tables) effects(tb testing.TB) (int, int) {
	tb.Helper()
	var n, distinct int
	if err := t.db.QueryRow("SELECT COUNT(*), COUNT(DISTINCT message_id) FROM "+t.effect).Scan(&n, &distinct); err != nil {
		tb.Fatal(err)
	}
	return n, distinct
}

// waitEffects polls the effect table until n rows are there and returns
// when that was seen; every contender is timed by this same loop.
func (t tables) waitEffects(tb testing.TB, n int) time.Time {
	tb.Helper()
	deadline := time.Now().Add(drainTimeout)
	for {
		var got int
		if err := t.db.QueryRow("SELECT COUNT(*) FROM " + t.effect).Scan(&got); err != nil {
			tb.Fatal(err)
		}
		if got >= n {
			return time.Now()
		}
		if time.Now().After(deadline) {
			tb.Fatalf("%d effects of %d within %s", got, n, drainTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// checkOnce fails unless every one of n messages had exactly one effect.
func (t tables) checkOnce(tb testing.TB, who string, n int) {
	tb.Helper()
	got, distinct := t.effects(tb)
	if got != n || distinct != n {
		tb.Fatalf("%s: %d effect rows, %d distinct; want %d of each", who, got, distinct, n)
	}
}

// payload is the body every contender carries: a small JSON event.
func payload(i int) []byte {
	return fmt.Appendf(nil, `{"seq":%d,"customer":"cust_%d","amount":%d,"currency":"EUR"}`, i, i%benchKeys, 100+i%900)
}

func key(i int) string { return "cust_" + strconv.Itoa(i%benchKeys) }

// newCluster starts an in-process kfake cluster with the topics.
func newCluster(tb testing.TB, topics ...string) *kfake.Cluster {
	tb.Helper()
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(benchPartitions, topics...),
		kfake.AllowAutoTopicCreation(), kfake.DefaultNumPartitions(benchPartitions),
		kfake.BrokerConfigs(map[string]string{"group.consumer.heartbeat.interval.ms": "200", "group.consumer.session.timeout.ms": "1500"}))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}
