package runtime

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// TestWaitPollsUntilTerminal: the status resource answers running twice
// (once with Retry-After: 0), then succeeded; Wait polls three times, each
// poll carrying the original call's trace id, and returns the final body.
// A failed state is a *WaitError with that state; a budget that runs out
// is ErrWaitBudget; a status resource answering 500 after retries is the
// poll's *ResponseError.
func TestWaitPollsUntilTerminal(t *testing.T) {
	const trace = "4bf92f3577b34da6a3ce929d0e0e4736"
	var polls atomic.Int64
	var badTrace atomic.Bool
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if rtParseTraceparent(r.Header.Get("Traceparent")) != trace {
			badTrace.Store(true)
		}
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/ops/ok":
			switch polls.Add(1) {
			case 1:
				w.Header().Set("Retry-After", "0")
				fmt.Fprint(w, `{"status":"running"}`)
			case 2:
				w.WriteHeader(http.StatusAccepted)
				fmt.Fprint(w, `{"state":"PENDING"}`)
			default:
				fmt.Fprint(w, `{"status":"Succeeded","result":{"id":"inv_1"}}`)
			}
		case "/ops/bad":
			fmt.Fprint(w, `{"status":"failed","error":"card declined"}`)
		case "/ops/slow":
			fmt.Fprint(w, `{"status":"running"}`)
		case "/ops/broken":
			w.WriteHeader(http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	base, _ := url.Parse(srv.URL + "/v1/invoices/inv_1/send")
	e := NewEngine()
	op := Operation{ID: "sendInvoice", Method: http.MethodPost, Policy: Policy{Timeout: time.Second, Budget: 5 * time.Second, Retries: 1, BackoffBase: time.Millisecond, BackoffCap: time.Millisecond, RetryOn: []int{500}}}
	fast := WaitPolicy{Interval: time.Millisecond, MaxInterval: 2 * time.Millisecond, Budget: 5 * time.Second}

	res, err := e.Wait(context.Background(), op, base, "/ops/ok", trace, fast)
	if err != nil {
		t.Fatal(err)
	}
	if res.Polls != 3 || res.State != "succeeded" || string(res.Body) != `{"status":"Succeeded","result":{"id":"inv_1"}}` || res.TraceID != trace {
		t.Fatalf("result %+v", res)
	}
	if badTrace.Load() {
		t.Error("a poll did not carry the original trace id")
	}

	_, err = e.Wait(context.Background(), op, base, "/ops/bad", trace, fast)
	var we *WaitError
	if !errors.As(err, &we) || we.State != "failed" || we.Result == nil {
		t.Fatalf("failed operation: %v", err)
	}

	_, err = e.Wait(context.Background(), op, base, srv.URL+"/ops/slow", "", WaitPolicy{Interval: time.Millisecond, Budget: 50 * time.Millisecond})
	if !errors.Is(err, ErrWaitBudget) {
		t.Fatalf("budget: %v", err)
	}

	_, err = e.Wait(context.Background(), op, base, "/ops/broken", "", fast)
	var re *ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusInternalServerError {
		t.Fatalf("broken status resource: %v", err)
	}

	if _, err := e.Wait(context.Background(), op, base, "", "", fast); !errors.As(err, &we) {
		t.Fatalf("no Location: %v", err)
	}
}
