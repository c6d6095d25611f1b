package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

type logLine map[string]any

func parseLog(t *testing.T, b *bytes.Buffer) []logLine {
	t.Helper()
	var out []logLine
	for _, l := range strings.Split(strings.TrimSpace(b.String()), "\n") {
		if l == "" {
			continue
		}
		var m logLine
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("log line %q: %v", l, err)
		}
		out = append(out, m)
	}
	return out
}

func TestClientLoggerCallsRetriesAndBreaker(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		if fail.Load() {
			w.WriteHeader(503)
			return
		}
		w.WriteHeader(200)
	})
	var buf bytes.Buffer
	l := slogJSON(&buf)
	now := time.Unix(1_700_000_000, 0)
	var states []BreakerStateInfo
	var calls atomic.Int32
	e := NewEngine(
		func(s *ClientSettings) { s.Now = func() time.Time { return now } },
		WithHooks(Hooks{OnCall: func(CallInfo) { calls.Add(1) }}),
		WithClientLogger(l),
		AddHooks(Hooks{OnBreakerState: func(b BreakerStateInfo) { states = append(states, b) }}),
		WithRetryBudget(RetryBudgetPolicy{Burst: 1, Ratio: 0.01}),
	)
	op := Operation{ID: "getThing", Method: "GET", Policy: Policy{
		Retries: 1, RetryOn: []int{503}, Breaker: BreakerPolicy{Failures: 3, Cooldown: time.Second},
	}}
	for i := 0; i < 3; i++ {
		if resp, _ := e.Do(context.Background(), op, getReq(srv.URL+"/?secret=s3cr3t")); resp != nil {
			resp.Body.Close()
		}
	}
	// 1st call: two attempts (the one saved retry); 2nd: one, the budget
	// is spent; the third failure opens the breaker; the 3rd call is refused.
	now = now.Add(2 * time.Second)
	fail.Store(false)
	resp, err := e.Do(context.Background(), op, getReq(srv.URL))
	if err != nil {
		t.Fatalf("probe call: %v", err)
	}
	resp.Body.Close()

	if calls.Load() != 4 {
		t.Fatalf("WithHooks then AddHooks: OnCall ran %d times, want 4 (merged, not replaced)", calls.Load())
	}
	want := []string{"closed>open", "open>half-open", "half-open>closed"}
	var got []string
	for _, s := range states {
		got = append(got, string(s.From)+">"+string(s.To))
		if s.Operation != "getThing" {
			t.Errorf("breaker event for %q", s.Operation)
		}
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Fatalf("breaker transitions %v, want %v", got, want)
	}

	lines := parseLog(t, &buf)
	count := map[string]int{}
	for _, m := range lines {
		count[m["msg"].(string)+"/"+m["level"].(string)]++
		if strings.Contains(buf.String(), "s3cr3t") {
			t.Fatal("the logger wrote the request's query")
		}
	}
	for k, n := range map[string]int{
		"call/WARN": 3, "call/INFO": 1, "retrying/DEBUG": 1, "retries stopped: calls go once/WARN": 1,
		"circuit breaker/WARN": 1, "circuit breaker/INFO": 2,
	} {
		if count[k] != n {
			t.Errorf("%s logged %d times, want %d; log:\n%s", k, count[k], n, buf.String())
		}
	}
	for _, m := range lines {
		if m["msg"] == "call" && m["level"] == "WARN" && m["op"] != "getThing" {
			t.Errorf("call line without op: %v", m)
		}
	}
}

func TestMergeHooksStartCallNests(t *testing.T) {
	type key string
	var order []string
	mk := func(name string) Hooks {
		return Hooks{StartCall: func(ctx context.Context, op Operation) (context.Context, func(CallInfo)) {
			order = append(order, "start "+name)
			if name == "b" && ctx.Value(key("a")) == nil {
				t.Error("the second StartCall did not get the first one's context")
			}
			return context.WithValue(ctx, key(name), true), func(CallInfo) { order = append(order, "end "+name) }
		}}
	}
	h := MergeHooks(mk("a"), Hooks{}, mk("b"))
	ctx, end := h.StartCall(context.Background(), Operation{})
	if ctx.Value(key("b")) == nil {
		t.Fatal("merged StartCall lost the context")
	}
	end(CallInfo{})
	if strings.Join(order, ",") != "start a,start b,end b,end a" {
		t.Fatalf("order %v", order)
	}
}

func slogJSON(w io.Writer) *slog.Logger {
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
