package runtime

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"
)

// An unsafe method is retried only when the contract says the provider
// honours a key; otherwise one attempt, and no key is invented.
func TestEngineUnsafeRetriedOnlyWhenKeyHonoured(t *testing.T) {
	var hits atomic.Int32
	var keys []string
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		keys = append(keys, r.Header.Get("Idempotency-Key"))
		w.WriteHeader(503)
	})
	e := NewEngine(func(s *ClientSettings) { s.Rand = noJitter })
	for _, method := range []string{"POST", "PATCH", "QUERY"} {
		hits.Store(0)
		keys = nil
		op := Operation{ID: "create", Method: method, Policy: Policy{Retries: 3, RetryOn: []int{503}, BackoffBase: time.Millisecond, Idempotency: IdempotencyOptional}}
		build := func(ctx context.Context) (*http.Request, error) {
			return http.NewRequestWithContext(ctx, method, srv.URL, bytes.NewReader([]byte(`{}`)))
		}
		_, err := e.Do(context.Background(), op, build)
		var re *ResponseError
		if !errors.As(err, &re) || re.Attempts != 1 || hits.Load() != 1 || keys[0] != "" {
			t.Fatalf("%s not honoured: err %v hits %d keys %q", method, err, hits.Load(), keys)
		}
		// The caller's own key is sent, but a key alone proves nothing.
		hits.Store(0)
		keys = nil
		_, _ = e.Do(context.Background(), op, build, WithIdempotencyKey("mine"))
		if hits.Load() != 1 || keys[0] != "mine" {
			t.Fatalf("%s with caller key: hits %d keys %q", method, hits.Load(), keys)
		}
		hits.Store(0)
		keys = nil
		op.Policy.KeyHonoured = true
		_, _ = e.Do(context.Background(), op, build)
		if hits.Load() != 4 || keys[0] == "" || keys[0] != keys[3] {
			t.Fatalf("%s honoured: hits %d keys %q", method, hits.Load(), keys)
		}
	}
}

// Retry-After: 86400 with no budget and no caller deadline hands the
// response back at once instead of sleeping for a day.
func TestEngineRetryAfterOfADayWithoutBudgetReturnsAtOnce(t *testing.T) {
	var hits atomic.Int32
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Retry-After", "86400")
		w.WriteHeader(503)
	})
	e := NewEngine()
	op := Operation{ID: "get", Method: "GET", Policy: Policy{Retries: 3, RetryOn: []int{503}}} // no Budget, no BackoffCap
	start := time.Now()
	_, err := e.Do(context.Background(), op, getReq(srv.URL))
	var re *ResponseError
	if !errors.As(err, &re) || re.StatusCode != 503 || hits.Load() != 1 || time.Since(start) > 2*time.Second {
		t.Fatalf("err %v hits %d after %v", err, hits.Load(), time.Since(start))
	}
	// Within MaxWait and the deadline, Retry-After is honoured as before.
	hits.Store(0)
	srv2 := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1) == 1 {
			w.Header().Set("Retry-After", "0")
			w.WriteHeader(503)
		}
	})
	if _, err := e.Do(context.Background(), op, getReq(srv2.URL)); err != nil || hits.Load() != 2 {
		t.Fatalf("short Retry-After: err %v hits %d", err, hits.Load())
	}
}

// A call with no budget and no caller deadline still ends: at the client's
// CallDeadline, as if it were the budget.
func TestEngineDefaultDeadlineEndsAHangingCall(t *testing.T) {
	srv := newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	})
	e := NewEngine(WithCallDeadline(300 * time.Millisecond))
	op := Operation{ID: "get", Method: "GET", Policy: Policy{Retries: 2}} // no timeout, no budget
	start := time.Now()
	_, err := e.Do(context.Background(), op, getReq(srv.URL))
	if !errors.Is(err, ErrBudgetExhausted) || time.Since(start) > 2*time.Second {
		t.Fatalf("err %v after %v", err, time.Since(start))
	}
	if NewEngine().s.CallDeadline != rtDefaultCallDeadline || NewEngine().s.MaxWait != rtDefaultMaxWait {
		t.Fatal("defaults not applied")
	}
}

func bodyServer(t *testing.T, size int, announce bool) string {
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	return newLoopback(t, func(w http.ResponseWriter, r *http.Request) {
		if announce {
			w.Header().Set("Content-Length", strconv.Itoa(size))
		}
		for left := size; left > 0; {
			n := min(left, len(chunk))
			if _, err := w.Write(chunk[:n]); err != nil {
				return
			}
			left -= n
		}
	}).URL
}

func readBody(t *testing.T, e *Engine, url string, opts ...CallOption) (int, error) {
	t.Helper()
	resp, err := e.Do(context.Background(), Operation{ID: "get", Method: "GET"}, getReq(url), opts...)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return len(b), err
}

func TestEngineResponseBodyCapped(t *testing.T) {
	const limit = 1 << 20
	e := NewEngine(WithMaxResponseBody(limit))
	for _, announce := range []bool{false, true} {
		n, err := readBody(t, e, bodyServer(t, 3*limit, announce))
		var tl *ResponseTooLargeError
		if !errors.Is(err, ErrResponseTooLarge) || !errors.As(err, &tl) || tl.Limit != limit || n > limit {
			t.Fatalf("announced %v: read %d bytes, err %v", announce, n, err)
		}
		if announce && n != 0 {
			t.Fatalf("an announced oversize body was read (%d bytes) before failing", n)
		}
	}
	// Exactly the cap is fine; the per-call option raises or lifts it.
	if n, err := readBody(t, e, bodyServer(t, limit, false)); err != nil || n != limit {
		t.Fatalf("body at the cap: %d %v", n, err)
	}
	url := bodyServer(t, 2*limit, false)
	if n, err := readBody(t, e, url, WithMaxResponseBodyCall(4*limit)); err != nil || n != 2*limit {
		t.Fatalf("per-call cap: %d %v", n, err)
	}
	if n, err := readBody(t, e, url, WithMaxResponseBodyCall(-1)); err != nil || n != 2*limit {
		t.Fatalf("lifted cap: %d %v", n, err)
	}
	if NewEngine().s.MaxResponseBody != rtDefaultMaxResponseBody {
		t.Fatal("default cap not applied")
	}
}
