package mock

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"
)

// LoggedRequest is one request as the log at /__accord/requests lists it;
// its JSON form is what tests assert on.
type LoggedRequest struct {
	Seq            int64     `json:"seq"`
	Time           time.Time `json:"time"`
	Operation      string    `json:"operation,omitempty"`
	Method         string    `json:"method"`
	Path           string    `json:"path"`
	Query          string    `json:"query,omitempty"`
	Status         int       `json:"status"`
	IdempotencyKey string    `json:"idempotencyKey,omitempty"`
	Replayed       bool      `json:"replayed,omitempty"`
	// Faults names the injected faults (status=503, latency, reset, hang).
	Faults []string `json:"faults,omitempty"`
	// Violations are the request's validation failures (status 400).
	Violations []Violation `json:"violations,omitempty"`
	DurationMS float64     `json:"durationMs"`
}

// requestLog keeps the newest entries up to a bound so that a long-running
// sandbox does not grow without limit.
type requestLog struct {
	mu      sync.Mutex
	entries []LoggedRequest
	next    int64
	max     int
}

func newRequestLog(max int) *requestLog {
	if max <= 0 {
		max = 10000
	}
	return &requestLog{max: max}
}

func (l *requestLog) add(e LoggedRequest) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.next++
	e.Seq = l.next
	if len(l.entries) >= l.max {
		// Drop the oldest tenth at once: amortised O(1) per request.
		n := copy(l.entries, l.entries[l.max/10+1:])
		l.entries = l.entries[:n]
	}
	l.entries = append(l.entries, e)
}

func (l *requestLog) list(op string) []LoggedRequest {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]LoggedRequest, 0, len(l.entries))
	for _, e := range l.entries {
		if op == "" || e.Operation == op {
			out = append(out, e)
		}
	}
	return out
}

func (l *requestLog) reset() {
	l.mu.Lock()
	l.entries = nil
	l.mu.Unlock()
}

// serveLog answers GET /__accord/requests[?operation=ID] with the entries
// as JSON and DELETE with an empty log.
func (l *requestLog) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodDelete {
		l.reset()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	body, err := json.Marshal(l.list(r.URL.Query().Get("operation")))
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}
