package runtime

import (
	"context"
	"database/sql"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/go-sql-driver/mysql"
)

// openMariaDB is openPostgres for the MySQL dialect (MariaDB or MySQL).
func openMariaDB(t *testing.T) (*sql.DB, string) {
	t.Helper()
	return openTestDB(t, "mysql", "MySQL/MariaDB", "ACCORD_TEST_MYSQL_DSN", "root@tcp(127.0.0.1:3306)/test", "accord_test")
}

type sqlBackend struct {
	dialect SQLDialect
	open    func(t *testing.T) (*sql.DB, string)
}

func sqlBackends() []sqlBackend {
	return []sqlBackend{{DialectPostgres, openPostgres}, {DialectMySQL, openMariaDB}}
}

// sharedClock is the application clock of every replica in a test.
type sharedClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *sharedClock) Now() time.Time          { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *sharedClock) Advance(d time.Duration) { c.mu.Lock(); c.t = c.t.Add(d); c.mu.Unlock() }

// testSharedReplayCache runs what every shared replay cache must do. newCache
// returns a cache as a new replica (or a restarted one) would open it;
// expire makes entries recorded with until <= the returned time stale.
func testSharedReplayCache(t *testing.T, newCache func() ReplayCache, now func() time.Time, expire func(time.Time)) {
	ctx := context.Background()
	a, b := newCache(), newCache()
	until := now().Add(300 * time.Millisecond)
	if seen, err := a.Seen(ctx, "partner|a|nonce-1", until); seen || err != nil {
		t.Fatalf("first delivery on replica A: %v %v", seen, err)
	}
	if seen, err := b.Seen(ctx, "partner|a|nonce-1", until); !seen || err != nil {
		t.Fatalf("replay on replica B accepted: %v %v", seen, err)
	}
	restarted := newCache()
	if seen, err := restarted.Seen(ctx, "partner|a|nonce-1", until); !seen || err != nil {
		t.Fatalf("replay after a restart accepted: %v %v", seen, err)
	}
	// Ids differing in case are different messages (MySQL collations).
	if seen, err := b.Seen(ctx, "partner|a|NONCE-1", until); seen || err != nil {
		t.Fatalf("an id differing in case counted as seen: %v %v", seen, err)
	}
	// A long nonce is hashed, and still caught.
	long := "partner|a|" + strings.Repeat("n", 1000)
	if seen, err := a.Seen(ctx, long, until); seen || err != nil {
		t.Fatalf("long id: %v %v", seen, err)
	}
	if seen, err := b.Seen(ctx, long, until); !seen || err != nil {
		t.Fatalf("long id replayed: %v %v", seen, err)
	}
	// Racing replicas: exactly one of them accepts a message.
	var accepted atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 20; i++ {
		c := a
		if i%2 == 1 {
			c = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			seen, err := c.Seen(ctx, "partner|a|race", until)
			if err != nil {
				t.Error(err)
			} else if !seen {
				accepted.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if accepted.Load() != 1 {
		t.Fatalf("%d replicas accepted one message", accepted.Load())
	}
	// Forget (a failed attempt) lets the same id through once more.
	if f, ok := a.(ReplayForgetter); !ok {
		t.Fatal("no Forget")
	} else if err := f.Forget(ctx, "partner|a|race"); err != nil {
		t.Fatal(err)
	}
	if seen, err := b.Seen(ctx, "partner|a|race", until); seen || err != nil {
		t.Fatalf("forgotten id: %v %v", seen, err)
	}
	// Past until, the message would fail the freshness check anyway: the
	// entry may go, and the id is accepted once more, then refused again.
	expire(until)
	if seen, err := b.Seen(ctx, "partner|a|nonce-1", now().Add(time.Minute)); seen || err != nil {
		t.Fatalf("expired entry still refused: %v %v", seen, err)
	}
	if seen, err := a.Seen(ctx, "partner|a|nonce-1", now().Add(time.Minute)); !seen || err != nil {
		t.Fatalf("re-recorded id accepted twice: %v %v", seen, err)
	}
}

func TestSQLReplayCacheReplicasAndRestart(t *testing.T) {
	for _, be := range sqlBackends() {
		t.Run(string(be.dialect), func(t *testing.T) {
			db, table := be.open(t)
			clk := &sharedClock{t: time.Now()}
			newCache := func() ReplayCache {
				c := NewSQLReplayCache(db, SQLReplayOptions{Table: table, Dialect: be.dialect})
				c.now = clk.Now
				if err := c.Migrate(context.Background()); err != nil {
					t.Fatal(err)
				}
				return c
			}
			testSharedReplayCache(t, newCache, clk.Now, func(until time.Time) { clk.Advance(until.Sub(clk.Now()) + time.Millisecond) })
			c := newCache().(*SQLReplayCache)
			clk.Advance(2 * time.Minute)
			if n, err := c.Purge(context.Background()); err != nil || n != 4 {
				t.Fatalf("purge: %d %v", n, err)
			}
		})
	}
}

func TestSQLReplayCacheOptionsValidated(t *testing.T) {
	ctx := context.Background()
	for _, c := range []*SQLReplayCache{
		NewSQLReplayCache(nil, SQLReplayOptions{}),
		NewSQLReplayCache(&sql.DB{}, SQLReplayOptions{Table: "x; DROP TABLE y"}),
		NewSQLReplayCache(&sql.DB{}, SQLReplayOptions{Dialect: "oracle"}),
	} {
		if err := c.Migrate(ctx); err == nil {
			t.Error("invalid options accepted by Migrate")
		}
		if _, err := c.Seen(ctx, "id", time.Now()); err == nil {
			t.Error("invalid options accepted by Seen")
		}
	}
}

func TestSQLStoreRefusesPreScopeTable(t *testing.T) {
	for _, be := range sqlBackends() {
		t.Run(string(be.dialect), func(t *testing.T) {
			db, table := be.open(t)
			// The shape an older accord created.
			blob := "BYTEA"
			if be.dialect == DialectMySQL {
				blob = "LONGBLOB"
			}
			if _, err := db.Exec("CREATE TABLE " + table + ` (operation_id VARCHAR(255) NOT NULL, idempotency_key VARCHAR(255) NOT NULL,
fingerprint VARCHAR(64) NOT NULL, done BOOLEAN NOT NULL DEFAULT FALSE, status_code INTEGER NOT NULL DEFAULT 0, header TEXT,
body ` + blob + `, expires_at BIGINT NOT NULL, PRIMARY KEY (operation_id, idempotency_key))`); err != nil {
				t.Fatal(err)
			}
			s := NewSQLIdempotencyStore(db, SQLStoreOptions{Table: table, Dialect: be.dialect})
			err := s.Migrate(context.Background())
			if err == nil || !strings.Contains(err.Error(), "pre-scope") || !strings.Contains(err.Error(), "(scope, operation_id, idempotency_key)") {
				t.Fatalf("old table accepted or unexplained: %v", err)
			}
			// Without Migrate, a claim fails (503) instead of mixing.
			if _, err := s.Claim(context.Background(), IdempotencyID{Scope: "s", Operation: "o", Key: "k"}, "fp", time.Minute, time.Hour); err == nil {
				t.Fatal("claim on an old table succeeded")
			}
		})
	}
}
