package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func getHealth(t *testing.T, url string) (int, HealthReport, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var rep HealthReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("%s: %s: %v", url, b, err)
	}
	return resp.StatusCode, rep, string(b)
}

func TestHealthReadinessChecksStoresAndBrokers(t *testing.T) {
	var dbDown atomic.Bool
	var pings atomic.Int32
	fakeDB := PingFunc(func(ctx context.Context) error {
		pings.Add(1)
		if dbDown.Load() {
			return errors.New("dial tcp 10.0.0.7:5432: connection refused")
		}
		return nil
	})
	tr := NewMemoryTransport(MemoryTransportOptions{})
	now := time.Unix(0, 0)
	h := NewHealthHandler(HealthOptions{
		Checks: []HealthCheck{
			{Name: "idempotency-store", Ping: fakeDB},
			{Name: "events", Ping: tr},
			{Name: "cache", Ping: PingFunc(func(context.Context) error { return errors.New("cache down") }), Optional: true},
		},
		Logger: slog.New(slog.DiscardHandler), Now: func() time.Time { return now },
	})
	mux := http.NewServeMux()
	h.Register(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	code, rep, _ := getHealth(t, srv.URL+"/readyz")
	if code != 200 || rep.Status != "ok" || rep.Checks["idempotency-store"].Status != "ok" || rep.Checks["events"].Status != "ok" {
		t.Fatalf("ready: %d %+v", code, rep)
	}
	if c := rep.Checks["cache"]; c.Status != "fail" || !c.Optional {
		t.Fatalf("an optional failing check must show without failing readiness: %+v", c)
	}

	dbDown.Store(true)
	if code, _, _ := getHealth(t, srv.URL+"/readyz"); code != 200 || pings.Load() != 1 {
		t.Fatalf("within CacheFor the result is reused: %d after %d pings", code, pings.Load())
	}
	now = now.Add(2 * time.Second)
	code, rep, body := getHealth(t, srv.URL+"/readyz")
	if code != 503 || rep.Status != "fail" || rep.Checks["idempotency-store"].Status != "fail" {
		t.Fatalf("db down: %d %s", code, body)
	}
	if strings.Contains(body, "10.0.0.7") {
		t.Fatalf("a non-verbose answer leaked the error: %s", body)
	}
	if code, rep, _ := getHealth(t, srv.URL+"/livez"); code != 200 || rep.Status != "ok" {
		t.Fatalf("liveness must not depend on the stores: %d", code)
	}

	dbDown.Store(false)
	_ = tr.Close()
	now = now.Add(2 * time.Second)
	if code, rep, _ := getHealth(t, srv.URL+"/readyz"); code != 503 || rep.Checks["events"].Status != "fail" || rep.Checks["idempotency-store"].Status != "ok" {
		t.Fatalf("closed transport: %d %+v", code, rep)
	}
}

func TestHealthCheckTimeoutAndVerbose(t *testing.T) {
	h := NewHealthHandler(HealthOptions{
		Checks: []HealthCheck{
			{Name: "stuck", Ping: PingFunc(func(ctx context.Context) error { <-ctx.Done(); return ctx.Err() })},
			{Name: "nil"},
		},
		Timeout: 50 * time.Millisecond, Verbose: true, Logger: slog.New(slog.DiscardHandler),
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	code, rep, _ := getHealth(t, srv.URL)
	if code != 503 || !strings.Contains(rep.Checks["stuck"].Error, "deadline exceeded") || rep.Checks["nil"].Status != "fail" {
		t.Fatalf("%d %+v", code, rep)
	}
}

func TestHealthRealBackends(t *testing.T) {
	ctx := context.Background()
	t.Run("postgres", func(t *testing.T) {
		db, table := openPostgres(t)
		st := newPGStore(t, db, table)
		for _, p := range []Pinger{st, PingSQL(db), NewSQLInbox(db, SQLInboxOptions{})} {
			if err := p.Ping(ctx); err != nil {
				t.Fatal(err)
			}
		}
	})
	t.Run("kafka", func(t *testing.T) {
		c, tr := newKfake(t, "health")
		if err := tr.Ping(ctx); err != nil {
			t.Fatalf("kfake up: %v", err)
		}
		c.Close()
		cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		if err := tr.Ping(cctx); err == nil {
			t.Fatal("ping succeeded with the cluster closed")
		}
	})
	t.Run("redis", func(t *testing.T) {
		c := openRedis(t)
		if err := NewRedisReplayCache(c, RedisReplayOptions{}).Ping(ctx); err != nil {
			t.Fatal(err)
		}
		if err := PingRedis(c).Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("nats", func(t *testing.T) {
		tr, _ := newNATS(t, time.Second)
		if err := tr.Ping(ctx); err != nil {
			t.Fatal(err)
		}
	})
}

func TestHealthCheckOf(t *testing.T) {
	var stores = map[string]any{
		"idempotency": NewMemoryIdempotencyStore(0), // in process: nothing to check
		"events":      NewMemoryTransport(MemoryTransportOptions{}),
		"none":        nil,
	}
	var got []string
	for _, name := range []string{"idempotency", "events", "none"} {
		if c, ok := HealthCheckOf(name, stores[name]); ok {
			got = append(got, c.Name)
		}
	}
	if strings.Join(got, ",") != "events" {
		t.Fatalf("checkable: %v", got)
	}
}
