package runtime

import (
	"bytes"
	"context"
	"net/http"
	"sync"
	"time"
)

// rtTimeoutStep gives the request a deadline and answers 503 problem+json
// (Retry-After) if the handler has not returned by then. Like
// http.TimeoutHandler the handler writes into a buffer, so the client gets
// either its whole response or the whole 503, never a mix. Unlike it, the
// handler runs on the serving goroutine and the 503 is written from the
// deadline's callback: the common, in-time request then pays for no
// goroutine hand-off. The 503 carries Connection: close so the client does
// not queue its next request behind a handler that is still running.
type rtTimeoutStep struct {
	next http.Handler
	d    time.Duration
	// writers recycles response buffers: every request of the operation
	// needs one, and allocating its header map and growing its buffer was a
	// third of the chain's allocations.
	writers sync.Pool
}

// rtMaxPooledBody keeps one large response from pinning its buffer forever.
const rtMaxPooledBody = 64 << 10

func (s *rtTimeoutStep) writer() *rtTimeoutWriter {
	if tw, ok := s.writers.Get().(*rtTimeoutWriter); ok {
		return tw
	}
	return &rtTimeoutWriter{h: make(http.Header)}
}

// recycle returns tw to the pool. Only a writer the deadline callback never
// started on may be reused: a started callback could still be waiting for
// its lock.
func (s *rtTimeoutStep) recycle(tw *rtTimeoutWriter) {
	if tw.buf.Cap() > rtMaxPooledBody {
		return
	}
	clear(tw.h)
	tw.buf.Reset()
	tw.code, tw.timedOut, tw.finished = 0, false, false
	s.writers.Put(tw)
}

func (s *rtTimeoutStep) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.d)
	tw := s.writer()
	stop := context.AfterFunc(ctx, func() {
		tw.mu.Lock()
		defer tw.mu.Unlock()
		if tw.finished {
			return
		}
		tw.timedOut = true
		h := w.Header()
		h.Set("Retry-After", "1")
		h.Set("Connection", "close")
		WriteProblem(w, r, ProblemDetails{Status: http.StatusServiceUnavailable, Detail: "the request did not complete within " + s.d.String()})
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
	})
	// Runs on return and on panic: after it, the callback can no longer
	// touch w, and whatever it wrote is visible to the steps outside.
	defer func() {
		tw.finish()
		neverStarted := stop()
		cancel()
		if neverStarted {
			s.recycle(tw)
		}
	}()
	s.next.ServeHTTP(tw, r.WithContext(ctx))
	if tw.finish() {
		return // the 503 is out
	}
	dst := w.Header()
	for k, vv := range tw.h {
		dst[k] = vv
	}
	code := tw.code
	if code == 0 {
		code = http.StatusOK
	}
	w.WriteHeader(code)
	_, _ = w.Write(tw.buf.Bytes())
}

// rtTimeoutWriter buffers the handler's response; after the deadline every
// write fails with http.ErrHandlerTimeout so a late handler notices.
type rtTimeoutWriter struct {
	mu       sync.Mutex
	h        http.Header
	buf      bytes.Buffer
	code     int
	timedOut bool
	finished bool
}

// finish closes the race with the deadline callback and reports whether the
// callback won it.
func (tw *rtTimeoutWriter) finish() (timedOut bool) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	tw.finished = true
	return tw.timedOut
}

func (tw *rtTimeoutWriter) Header() http.Header { return tw.h }

func (tw *rtTimeoutWriter) Write(p []byte) (int, error) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut {
		return 0, http.ErrHandlerTimeout
	}
	if tw.code == 0 {
		tw.code = http.StatusOK
	}
	return tw.buf.Write(p)
}

func (tw *rtTimeoutWriter) WriteHeader(code int) {
	tw.mu.Lock()
	defer tw.mu.Unlock()
	if tw.timedOut || tw.code != 0 || code < 200 {
		return
	}
	tw.code = code
}
