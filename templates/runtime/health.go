package runtime

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Pinger is what a store or transport offers the readiness check: one
// cheap round trip to what it depends on. The runtime's SQL, Redis, Kafka,
// NATS and memory stores and transports all satisfy it (health_*.go).
type Pinger interface {
	Ping(ctx context.Context) error
}

// PingFunc adapts a function to Pinger.
type PingFunc func(ctx context.Context) error

func (f PingFunc) Ping(ctx context.Context) error { return f(ctx) }

// PingSQL checks a database handle (one the application shares with the
// stores, or any other).
func PingSQL(db *sql.DB) Pinger { return PingFunc(db.PingContext) }

// HealthCheck is one dependency the readiness endpoint checks.
type HealthCheck struct {
	Name string // shown in the answer, e.g. "idempotency-store", "kafka"
	Ping Pinger
	// Optional: a failure is reported but leaves the service ready (a
	// dependency with a fallback, e.g. a cache).
	Optional bool
}

// HealthCheckOf returns a check of v when v can be checked (it is a
// Pinger: the runtime's SQL, Redis, Kafka, NATS and memory stores and
// transports are), so wiring code can offer every store it configured
// without knowing which kinds answer.
func HealthCheckOf(name string, v any) (HealthCheck, bool) {
	p, ok := v.(Pinger)
	if !ok || p == nil {
		return HealthCheck{}, false
	}
	return HealthCheck{Name: name, Ping: p}, true
}

// HealthOptions configures NewHealthHandler. Zero values take the defaults
// in brackets.
type HealthOptions struct {
	Checks  []HealthCheck
	Timeout time.Duration // per check [2s]
	// CacheFor reuses a result this long, so that probes from every load
	// balancer and orchestrator do not become load on the stores [1s].
	CacheFor time.Duration
	// Verbose puts each failing check's error in the answer. Off, errors
	// only go to Logger: they may name hosts and users, and health
	// endpoints are usually unauthenticated.
	Verbose bool
	Logger  *slog.Logger     // [slog.Default()]
	Now     func() time.Time // [time.Now]
}

// HealthHandler serves liveness (the process answers) and readiness (the
// stores and brokers the integration uses answer) as JSON. Register it, or
// mount Live and Ready where the platform expects them.
type HealthHandler struct {
	opt HealthOptions

	mu     sync.Mutex // one round of checks at a time; later probes share it
	at     time.Time
	report HealthReport
}

// HealthReport is the readiness answer.
type HealthReport struct {
	Status string                       `json:"status"` // "ok" or "fail"
	Checks map[string]HealthCheckResult `json:"checks,omitempty"`
}

// HealthCheckResult is one check's outcome.
type HealthCheckResult struct {
	Status     string `json:"status"` // "ok" or "fail"
	Optional   bool   `json:"optional,omitempty"`
	DurationMS int64  `json:"durationMs"`
	Error      string `json:"error,omitempty"` // only with Verbose
	err        error
}

func NewHealthHandler(opt HealthOptions) *HealthHandler {
	if opt.Timeout <= 0 {
		opt.Timeout = 2 * time.Second
	}
	if opt.CacheFor <= 0 {
		opt.CacheFor = time.Second
	}
	if opt.Logger == nil {
		opt.Logger = slog.Default()
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &HealthHandler{opt: opt}
}

// Register mounts GET /livez, /healthz (both liveness) and /readyz on mux.
func (h *HealthHandler) Register(mux *http.ServeMux) {
	mux.Handle("GET /livez", h.Live())
	mux.Handle("GET /healthz", h.Live())
	mux.Handle("GET /readyz", h.Ready())
}

// Live answers 200 while the process serves: restarting it would not help
// a dependency that is down, so liveness checks none.
func (h *HealthHandler) Live() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rtWriteHealth(w, http.StatusOK, HealthReport{Status: "ok"})
	})
}

// Ready answers 200 when every required check passes, else 503.
func (h *HealthHandler) Ready() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rep := h.Check(r.Context())
		code := http.StatusOK
		if rep.Status != "ok" {
			code = http.StatusServiceUnavailable
			w.Header().Set("Retry-After", strconv.Itoa(int(max(h.opt.CacheFor/time.Second, 1))))
		}
		rtWriteHealth(w, code, rep)
	})
}

// ServeHTTP serves readiness.
func (h *HealthHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.Ready().ServeHTTP(w, r) }

// Check runs the checks concurrently (or returns the last result while it
// is fresh), each bounded by Timeout.
func (h *HealthHandler) Check(ctx context.Context) HealthReport {
	h.mu.Lock()
	defer h.mu.Unlock()
	if now := h.opt.Now(); h.report.Status != "" && now.Sub(h.at) < h.opt.CacheFor {
		return h.report
	}
	results := make([]HealthCheckResult, len(h.opt.Checks))
	var wg sync.WaitGroup
	for i, c := range h.opt.Checks {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = h.run(ctx, c)
		}()
	}
	wg.Wait()
	rep := HealthReport{Status: "ok", Checks: make(map[string]HealthCheckResult, len(results))}
	for i, res := range results {
		c := h.opt.Checks[i]
		if res.err != nil {
			h.opt.Logger.LogAttrs(ctx, slog.LevelWarn, "health check failed",
				slog.String("check", c.Name), slog.Bool("optional", c.Optional), slog.String("error", res.err.Error()))
			if !c.Optional {
				rep.Status = "fail"
			}
		}
		rep.Checks[c.Name] = res
	}
	// A caller that gave up must not leave its cancellation cached as
	// everyone's answer.
	if ctx.Err() == nil {
		h.report, h.at = rep, h.opt.Now()
	}
	return rep
}

func (h *HealthHandler) run(ctx context.Context, c HealthCheck) (res HealthCheckResult) {
	ctx, cancel := context.WithTimeout(ctx, h.opt.Timeout)
	defer cancel()
	start := time.Now()
	defer func() {
		if p := recover(); p != nil {
			res.err = fmt.Errorf("check panicked: %v", p)
		}
		res.DurationMS = time.Since(start).Milliseconds()
		res.Optional = c.Optional
		res.Status = "ok"
		if res.err != nil {
			res.Status = "fail"
			if h.opt.Verbose {
				res.Error = res.err.Error()
			}
		}
	}()
	if c.Ping == nil {
		res.err = errors.New("no check configured")
		return res
	}
	if err := c.Ping.Ping(ctx); err != nil {
		res.err = fmt.Errorf("%s: %w", c.Name, err)
	}
	return res
}

func rtWriteHealth(w http.ResponseWriter, code int, rep HealthReport) {
	b, _ := json.Marshal(rep) // plain strings, bools and numbers always marshal
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_, _ = w.Write(b)
}

// The runtime's SQL stores check the database they were given.

func (s *SQLIdempotencyStore) Ping(ctx context.Context) error { return s.db.PingContext(ctx) }
func (s *SQLReplayCache) Ping(ctx context.Context) error      { return s.db.PingContext(ctx) }
func (s *SQLInbox) Ping(ctx context.Context) error            { return s.db.PingContext(ctx) }
func (s *SQLOutbox) Ping(ctx context.Context) error           { return s.db.PingContext(ctx) }
func (s *SQLCallStore) Ping(ctx context.Context) error        { return s.db.PingContext(ctx) }

// Ping fails once the transport is closed.
func (t *MemoryTransport) Ping(context.Context) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return errors.New("memory transport closed")
	}
	return nil
}
