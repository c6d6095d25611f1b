package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestKillSwitchClientFailsWithoutNetwork(t *testing.T) {
	var hits atomic.Int32
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	sw := NewMemorySwitches()
	var calls []CallInfo
	e := NewEngine(WithSwitches(sw), WithHooks(Hooks{OnCall: func(c CallInfo) { calls = append(calls, c) }}))
	op := Operation{ID: "createPayment", Method: "GET", Policy: Policy{Retries: 2, RetryOn: []int{503}}}

	sw.SetEnabled("createPayment", false)
	_, err := e.Do(context.Background(), op, getReq(srv.URL))
	if !errors.Is(err, ErrDisabled) {
		t.Fatalf("err = %v, want ErrDisabled", err)
	}
	var ce *CallError
	if !errors.As(err, &ce) || ce.Attempts != 0 || ce.Operation != "createPayment" {
		t.Fatalf("err = %#v, want a *CallError with no attempts", err)
	}
	if hits.Load() != 0 {
		t.Fatalf("server saw %d requests for a switched-off operation", hits.Load())
	}
	if len(calls) != 1 || !errors.Is(calls[0].Err, ErrDisabled) {
		t.Fatalf("OnCall saw %+v", calls)
	}
	// Other operations are untouched, and switching back on needs no new client.
	if resp, err := e.Do(context.Background(), Operation{ID: "other", Method: "GET"}, getReq(srv.URL)); err != nil {
		t.Fatalf("other operation: %v", err)
	} else {
		resp.Body.Close()
	}
	sw.SetEnabled("createPayment", true)
	resp, err := e.Do(context.Background(), op, getReq(srv.URL))
	if err != nil {
		t.Fatalf("switched on again: %v", err)
	}
	resp.Body.Close()
	if hits.Load() != 2 {
		t.Fatalf("hits = %d, want 2", hits.Load())
	}
}

func TestKillSwitchStopRetries(t *testing.T) {
	var hits atomic.Int32
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(503)
	})
	sw := NewMemorySwitches()
	var denied []RetryDeniedInfo
	e := NewEngine(WithSwitches(sw), WithHooks(Hooks{OnRetryDenied: func(d RetryDeniedInfo) { denied = append(denied, d) }}))
	op := Operation{ID: "get", Method: "GET", Policy: Policy{Retries: 3, RetryOn: []int{503}, BackoffBase: time.Millisecond}}

	sw.SetRetriesEnabled(false)
	resp, err := e.Do(context.Background(), op, getReq(srv.URL))
	var re *ResponseError
	if !errors.As(err, &re) || re.StatusCode != 503 || re.Attempts != 1 {
		t.Fatalf("err = %v, want the 503 after one attempt", err)
	}
	resp.Body.Close()
	if hits.Load() != 1 || len(denied) != 1 || denied[0].Reason != "switched-off" || denied[0].Attempt != 1 {
		t.Fatalf("hits %d denied %+v", hits.Load(), denied)
	}
	sw.SetRetriesEnabled(true)
	resp, _ = e.Do(context.Background(), op, getReq(srv.URL))
	resp.Body.Close()
	if hits.Load() != 1+4 {
		t.Fatalf("hits = %d: with retries on again the call makes all 4 attempts", hits.Load())
	}
}

func TestKillSwitchServerAnswers503WithoutHandler(t *testing.T) {
	var ran atomic.Int32
	sw := NewMemorySwitches()
	var served []ServerRequestInfo
	s := &ServerSettings{Logger: slog.New(slog.DiscardHandler), Switches: sw, Hooks: ServerHooks{OnRequest: func(i ServerRequestInfo) { served = append(served, i) }}}
	op := Operation{ID: "refund", Method: "POST", Pattern: "/refunds", Policy: Policy{Idempotency: IdempotencyOff, Concurrency: 4}}
	srv := httptest.NewServer(Chain(op, s, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ran.Add(1)
		w.WriteHeader(201)
	})))
	t.Cleanup(srv.Close)

	sw.SetEnabled("refund", false)
	resp, err := http.Post(srv.URL+"/refunds", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 503 || resp.Header.Get("Retry-After") != "60" || resp.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("status %d Retry-After %q type %q", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"))
	}
	var p map[string]any
	if err := json.Unmarshal(body, &p); err != nil || p["operation"] != "refund" || p["status"] != 503.0 || p["traceId"] == "" {
		t.Fatalf("problem %s (%v)", body, err)
	}
	if ran.Load() != 0 {
		t.Fatal("the handler ran for a switched-off operation")
	}
	if len(served) != 1 || served[0].StatusCode != 503 {
		t.Fatalf("access hook saw %+v", served)
	}

	// An accord client gets the 503 back at once: Retry-After is above its MaxWait.
	e := NewEngine()
	start := time.Now()
	cresp, err := e.Do(context.Background(), Operation{ID: "refund", Method: "GET", Policy: Policy{Retries: 2, RetryOn: []int{503}}}, getReq(srv.URL+"/refunds"))
	var re *ResponseError
	if !errors.As(err, &re) || re.Attempts != 1 || time.Since(start) > 5*time.Second {
		t.Fatalf("client: err %v after %v", err, time.Since(start))
	}
	cresp.Body.Close()

	sw.SetEnabled("refund", true)
	resp, err = http.Post(srv.URL+"/refunds", "application/json", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 201 || ran.Load() != 1 {
		t.Fatalf("switched on: status %d ran %d", resp.StatusCode, ran.Load())
	}
}

func TestKillSwitchFileReloads(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "switches")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("# incident 42\noff: createPayment, refund\n")
	now := time.Unix(1000, 0)
	env := map[string]string{}
	var reported []error
	f, err := NewFileSwitches(FileSwitchesOptions{
		Path: path, Now: func() time.Time { return now }, Getenv: func(k string) string { return env[k] },
		OnError: func(err error) { reported = append(reported, err) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if f.Enabled("createPayment") || f.Enabled("refund") || !f.Enabled("getPayment") || !f.RetriesEnabled() {
		t.Fatal("initial file not applied")
	}

	write("off: refund\nretries: off\n")
	if f.Enabled("createPayment") {
		t.Fatal("re-read before the interval passed")
	}
	now = now.Add(time.Second)
	if !f.Enabled("createPayment") || f.Enabled("refund") || f.RetriesEnabled() {
		t.Fatal("changed file not re-read after the interval")
	}

	// A broken edit keeps the last good switches and is reported.
	write("of: refund\n")
	now = now.Add(time.Second)
	if f.Enabled("refund") || len(reported) != 1 {
		t.Fatalf("after a bad edit: refund enabled %v, reported %v", f.Enabled("refund"), reported)
	}

	// The environment adds to the file; a deleted file switches its part on.
	env["ACCORD_OFF"] = "getPayment"
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	now = now.Add(time.Second)
	if f.Enabled("getPayment") || !f.Enabled("refund") || !f.RetriesEnabled() {
		t.Fatalf("env and removed file: disabled %v", f.Disabled())
	}
	env["ACCORD_RETRIES"] = "off"
	now = now.Add(time.Second)
	if f.RetriesEnabled() || !slices.Equal(f.Disabled(), []string{"getPayment"}) {
		t.Fatalf("retries %v disabled %v", f.RetriesEnabled(), f.Disabled())
	}
}

func TestKillSwitchFileRejectsBadStart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switches")
	if err := os.WriteFile(path, []byte("off: a\nretries: maybe\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := NewFileSwitches(FileSwitchesOptions{Path: path, EnvPrefix: "-"})
	if err == nil || !strings.Contains(err.Error(), path+":2") {
		t.Fatalf("err = %v, want one naming %s:2", err, path)
	}
}

func TestKillSwitchAllSwitches(t *testing.T) {
	page, file := NewMemorySwitches(), NewMemorySwitches()
	all := AllSwitches(page, file)
	if !all.Enabled("a") || !all.RetriesEnabled() {
		t.Fatal("everything starts on")
	}
	file.SetEnabled("a", false)
	page.SetRetriesEnabled(false)
	if all.Enabled("a") || !all.Enabled("b") || all.RetriesEnabled() {
		t.Fatal("one source switching off must be enough")
	}
	page.SetEnabled("a", true) // the page cannot override the file's off
	if all.Enabled("a") {
		t.Fatal("a switched on by one source while another holds it off")
	}
}

func TestKillSwitchFileConcurrentReload(t *testing.T) {
	path := filepath.Join(t.TempDir(), "switches")
	if err := os.WriteFile(path, []byte("off: a\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var tick atomic.Int64
	f, err := NewFileSwitches(FileSwitchesOptions{Path: path, EnvPrefix: "-", CheckEvery: time.Nanosecond,
		Now: func() time.Time { return time.Unix(0, tick.Add(1)) }})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var readers sync.WaitGroup
	for range 4 {
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				select {
				case <-done:
					return
				default:
					f.Enabled("a")
					f.RetriesEnabled()
				}
			}
		}()
	}
	for i := range 50 {
		body := "off: a\n"
		if i%2 == 1 {
			body = "off: b\nretries: off\n"
		}
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	close(done)
	readers.Wait()
	// The last write says b is off; the next read after it must see that.
	if f.Enabled("b") || !f.Enabled("a") || f.RetriesEnabled() {
		t.Fatalf("after the last write: a %v b %v retries %v", f.Enabled("a"), f.Enabled("b"), f.RetriesEnabled())
	}
}

// FuzzParseSwitches: the switch file parser never panics, and what it
// accepts is what it reads back from its own rendering.
func FuzzParseSwitches(f *testing.F) {
	for _, s := range []string{"off: a, b\nretries: off\n", "# c\n\noff:a\toff2\n", "retries: maybe", "x", "off: \u00e9 ,,\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := rtParseSwitches([]byte(s), "fuzz")
		if err != nil {
			return
		}
		var b strings.Builder
		for id := range st.off {
			if id == "" || strings.ContainsAny(id, ", \t\n#") {
				t.Fatalf("operation id %q from %q", id, s)
			}
			b.WriteString("off: " + id + "\n")
		}
		if st.noRetries {
			b.WriteString("retries: off\n")
		}
		again, err := rtParseSwitches([]byte(b.String()), "again")
		if err != nil || len(again.off) != len(st.off) || again.noRetries != st.noRetries {
			t.Fatalf("%q rendered as %q read back as %+v (%v)", s, b.String(), again, err)
		}
	})
}
