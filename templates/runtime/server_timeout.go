package runtime

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"
)

// rtTimeoutStep is http.TimeoutHandler with a problem+json 503 and
// Retry-After: the handler runs on its own goroutine writing into a buffer,
// and whichever of "handler returned" and "deadline" comes first decides
// what the client gets. Nothing is ever half-written.
type rtTimeoutStep struct {
	next http.Handler
	d    time.Duration
	log  *slog.Logger
	op   string
}

func (s *rtTimeoutStep) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.d)
	defer cancel()
	r = r.WithContext(ctx)
	tw := &rtTimeoutWriter{h: make(http.Header)}
	done := make(chan struct{})
	panicked := make(chan *rtPanic, 1)
	go func() {
		defer func() {
			if p := recover(); p != nil {
				rp := &rtPanic{value: p, stack: debug.Stack()}
				tw.mu.Lock()
				late := tw.timedOut
				tw.mu.Unlock()
				if late && p != http.ErrAbortHandler {
					// Nobody is waiting any more; a panic here must not
					// take the process down, but it must be seen.
					s.log.LogAttrs(context.Background(), slog.LevelError, "handler panic after timeout",
						slog.String("op", s.op), slog.String("trace_id", TraceIDFromContext(ctx)),
						slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(rp.stack)))
				}
				panicked <- rp
			}
			close(done)
		}()
		s.next.ServeHTTP(tw, r)
	}()
	select {
	case p := <-panicked:
		panic(p)
	case <-done:
	case <-ctx.Done():
		select {
		case <-done: // finished at the wire: prefer the real answer
		default:
			tw.mu.Lock()
			tw.timedOut = true
			tw.mu.Unlock()
			w.Header().Set("Retry-After", "1")
			WriteProblem(w, r, ProblemDetails{Status: http.StatusServiceUnavailable, Detail: "the request did not complete within " + s.d.String()})
			return
		}
	}
	select {
	case p := <-panicked:
		panic(p)
	default:
	}
	tw.mu.Lock()
	defer tw.mu.Unlock()
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
