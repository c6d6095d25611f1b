package runtime

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// IdempotencyID names one idempotency record. Scope is the caller's
// identity (ServerSettings.Scope): two tenants sending the same key to the
// same operation own two records, so neither can read or block the other's.
type IdempotencyID struct {
	Scope     string // "" for anonymous callers; at most 128 bytes (longer scopes are hashed by the server)
	Operation string
	Key       string
}

// IdempotencyRecord is what a store keeps per IdempotencyID: an in-flight
// claim (Done false, ExpiresAt = end of the lease) or a finished response
// (Done true, ExpiresAt = end of the TTL).
type IdempotencyRecord struct {
	Fingerprint string
	Done        bool
	StatusCode  int
	Header      http.Header
	Body        []byte
	ExpiresAt   time.Time
}

// ErrStoreFull is returned (wrapped) by a bounded store that cannot take a
// new record without dropping a live one. The server answers 503 with
// Retry-After and reports it to ServerHooks.OnStoreError: a store that
// forgot a live record would run a retried request twice or let a captured
// message through, which is worse than refusing new work for a while.
var ErrStoreFull = errors.New("store is full")

// StoreFullError is the ErrStoreFull a memory store returns; RetryAfter is
// when its soonest record expires (capped), a hint for the Retry-After
// header.
type StoreFullError struct {
	Store      string // "idempotency" or "replay"
	RetryAfter time.Duration
}

func (e *StoreFullError) Error() string {
	return fmt.Sprintf("memory %s store is full of unexpired records", e.Store)
}

func (e *StoreFullError) Is(target error) bool { return target == ErrStoreFull }

// IdempotencyStore persists idempotency records. Implementations must make
// Claim atomic across every replica that shares the store, and must never
// drop an unexpired record to make room (return ErrStoreFull instead).
type IdempotencyStore interface {
	// Claim atomically records id as in flight with the fingerprint unless
	// a live record exists; it returns (nil, nil) when the caller now owns
	// the key, else the existing record.
	Claim(ctx context.Context, id IdempotencyID, fingerprint string, lease, ttl time.Duration) (*IdempotencyRecord, error)
	// Complete stores the finished response of an owned claim.
	Complete(ctx context.Context, id IdempotencyID, rec IdempotencyRecord) error
	// Release drops an owned, unfinished claim so a retry can run again.
	Release(ctx context.Context, id IdempotencyID) error
}

const (
	rtDefaultIdemTTL = 24 * time.Hour
	rtMaxKeyLen      = 255
	// rtStoreTimeout bounds Complete/Release, which run detached from the
	// request context: a client that hung up must not leave a claim dangling.
	rtStoreTimeout = 5 * time.Second
)

// rtLease is how long an in-flight claim is protected. It must outlast the
// handler, which keeps running after the timeout step answers 503, yet
// expire soon enough that a crashed replica's claims do not block retries
// for long.
func rtLease(timeout time.Duration) time.Duration {
	if timeout > 0 {
		return timeout + 30*time.Second
	}
	return 5 * time.Minute
}

func rtValidIdemKey(k string) bool {
	if len(k) == 0 || len(k) > rtMaxKeyLen {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// rtFingerprint identifies the request payload a key was first used with.
func rtFingerprint(r *http.Request, body []byte) string {
	h := sha256.New()
	h.Write([]byte(r.Method))
	h.Write([]byte{'\n'})
	h.Write([]byte(r.URL.EscapedPath()))
	h.Write([]byte{'\n'})
	h.Write([]byte(r.URL.RawQuery))
	h.Write([]byte{'\n'})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}

// rtStoredHeader reports whether a response header belongs in a replay.
// Hop-by-hop and per-response headers are recomputed; Set-Cookie is left out
// because a store (possibly a shared database) is no place for credentials.
func rtStoredHeader(k string) bool {
	switch k {
	case "Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Te", "Trailer",
		"Transfer-Encoding", "Upgrade", "Content-Length", "Date", "Trace-Id", "Set-Cookie", "Idempotent-Replayed":
		return false
	}
	return true
}

// rtMaxScopeLen keeps scopes within the SQL store's column; longer ones
// (a principal with a long subject) are replaced by their SHA-256.
const rtMaxScopeLen = 128

func rtScopeID(scope string) string {
	if len(scope) <= rtMaxScopeLen {
		return scope
	}
	sum := sha256.Sum256([]byte(scope))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// rtDefaultScope is the caller's identity as far as the chain knows it: the
// authenticated principal, else the verified signing key, else anonymous
// (""), where every caller shares one scope.
func rtDefaultScope(r *http.Request) string {
	if p, ok := PrincipalFromContext(r.Context()); ok {
		// The scheme's length keeps ("a:b", "c") and ("a", "b:c") apart.
		return "principal:" + strconv.Itoa(len(p.Scheme)) + ":" + p.Scheme + ":" + p.Subject
	}
	if st := rtRequestState(r); st != nil && st.keyID != "" {
		return "key:" + st.keyID
	}
	return ""
}

type rtIdemStep struct {
	next    http.Handler
	store   IdempotencyStore
	op      string
	mode    IdempotencyMode
	ttl     time.Duration
	timeout time.Duration
	now     func() time.Time
	log     *slog.Logger
	scope   func(*http.Request) string
	hooks   ServerHooks
}

func (s *rtIdemStep) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := r.Header.Get("Idempotency-Key")
	if key == "" {
		if s.mode == IdempotencyRequired {
			WriteProblem(w, r, ProblemDetails{Status: http.StatusBadRequest, Detail: "this operation requires an Idempotency-Key header"})
			return
		}
		s.next.ServeHTTP(w, r)
		return
	}
	if !rtValidIdemKey(key) {
		WriteProblem(w, r, ProblemDetails{Status: http.StatusBadRequest, Detail: "Idempotency-Key must be 1 to 255 printable ASCII characters"})
		return
	}
	st := rtRequestState(r)
	body, ok := rtReadBody(w, r, st)
	if !ok {
		return
	}
	if st != nil {
		st.idemKey = key
	} else {
		r = r.WithContext(context.WithValue(r.Context(), rtIdemKeyKey{}, key))
	}
	fp := rtFingerprint(r, body)
	ttl := s.ttl
	if ttl <= 0 {
		ttl = rtDefaultIdemTTL
	}
	scope := rtDefaultScope
	if s.scope != nil {
		scope = s.scope
	}
	id := IdempotencyID{Scope: rtScopeID(scope(r)), Operation: s.op, Key: key}
	rec, err := s.store.Claim(r.Context(), id, fp, rtLease(s.timeout), ttl)
	if err != nil {
		s.storeError(r, err)
		retry := time.Second
		var full *StoreFullError
		if errors.As(err, &full) && full.RetryAfter > retry {
			retry = full.RetryAfter
		}
		w.Header().Set("Retry-After", strconv.Itoa(int(retry/time.Second)))
		detail := "idempotency store unavailable"
		if errors.Is(err, ErrStoreFull) {
			detail = "idempotency store is full; try again later"
		}
		WriteProblem(w, r, ProblemDetails{Status: http.StatusServiceUnavailable, Detail: detail})
		return
	}
	if rec != nil {
		s.answerExisting(w, r, st, rec, fp)
		return
	}
	s.runOwned(w, r, id, fp, ttl)
}

func (s *rtIdemStep) storeError(r *http.Request, err error) {
	s.log.LogAttrs(r.Context(), slog.LevelError, "idempotency store claim failed",
		slog.String("op", s.op), slog.String("trace_id", TraceIDFromContext(r.Context())), slog.String("error", err.Error()))
	if s.hooks.OnStoreError != nil {
		s.hooks.OnStoreError(StoreErrorInfo{Operation: s.op, Store: "idempotency", Full: errors.Is(err, ErrStoreFull), Err: err, TraceID: TraceIDFromContext(r.Context())})
	}
}

func (s *rtIdemStep) answerExisting(w http.ResponseWriter, r *http.Request, st *rtServerRequest, rec *IdempotencyRecord, fp string) {
	switch {
	case rec.Fingerprint != fp:
		WriteProblem(w, r, ProblemDetails{Status: http.StatusUnprocessableEntity, Detail: "Idempotency-Key was already used with a different request"})
	case !rec.Done:
		w.Header().Set("Retry-After", "1")
		WriteProblem(w, r, ProblemDetails{Status: http.StatusConflict, Detail: "a request with this Idempotency-Key is still in progress"})
	default:
		h := w.Header()
		for k, vv := range rec.Header {
			if rtStoredHeader(k) {
				h[k] = vv
			}
		}
		h.Set("Idempotent-Replayed", "true")
		h.Set("Content-Length", strconv.Itoa(len(rec.Body)))
		if st != nil {
			st.replayed.Store(true)
		}
		w.WriteHeader(rec.StatusCode)
		_, _ = w.Write(rec.Body)
	}
}

// runOwned runs the handler for a key this replica now owns and stores the
// outcome. 5xx and panics release the claim instead: they are failures a
// retry should be allowed to fix, not answers to replay.
func (s *rtIdemStep) runOwned(w http.ResponseWriter, r *http.Request, id IdempotencyID, fp string, ttl time.Duration) {
	cw := &rtCaptureWriter{w: w}
	settled := false
	defer func() {
		if !settled { // the handler panicked
			s.release(r, id, true)
		}
	}()
	s.next.ServeHTTP(cw, r)
	settled = true
	code := cw.code
	if code == 0 {
		code = http.StatusOK
	}
	if code >= 500 {
		s.release(r, id, true)
		return
	}
	if cw.header == nil {
		cw.snapshot()
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), rtStoreTimeout)
	defer cancel()
	rec := IdempotencyRecord{Fingerprint: fp, Done: true, StatusCode: code, Header: cw.header, Body: cw.buf.Bytes(), ExpiresAt: s.now().Add(ttl)}
	if err := s.store.Complete(ctx, id, rec); err != nil {
		// The client already has its answer; without a stored record a
		// retry would run the handler again, so at least free the key
		// instead of leaving it "in flight" until the lease ends.
		s.log.LogAttrs(r.Context(), slog.LevelError, "idempotency store complete failed",
			slog.String("op", s.op), slog.String("trace_id", TraceIDFromContext(r.Context())), slog.String("error", err.Error()))
		s.release(r, id, false)
	}
}

// release frees the claim. With failed, the attempt also stops counting as
// a delivered signed message: a sender's retry of a failed attempt may carry
// the very same signature (a Standard Webhooks retry within the second),
// and it must run the handler as the released claim allows, not be refused
// as a replay. A replay of a request that succeeded is still refused.
func (s *rtIdemStep) release(r *http.Request, id IdempotencyID, failed bool) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), rtStoreTimeout)
	defer cancel()
	if err := s.store.Release(ctx, id); err != nil {
		s.log.LogAttrs(r.Context(), slog.LevelError, "idempotency store release failed",
			slog.String("op", s.op), slog.String("trace_id", TraceIDFromContext(r.Context())), slog.String("error", err.Error()))
	}
	st := rtRequestState(r)
	if !failed || st == nil || st.replayID == "" {
		return
	}
	if f, ok := st.replay.(ReplayForgetter); ok {
		if err := f.Forget(ctx, st.replayID); err != nil {
			s.log.LogAttrs(r.Context(), slog.LevelError, "replay cache forget failed",
				slog.String("op", s.op), slog.String("trace_id", TraceIDFromContext(r.Context())), slog.String("error", err.Error()))
		}
	}
}

// rtCaptureWriter passes the response through and keeps a copy to store.
type rtCaptureWriter struct {
	w      http.ResponseWriter
	code   int
	header http.Header
	buf    bytes.Buffer
}

func (c *rtCaptureWriter) Header() http.Header { return c.w.Header() }

// Unwrap lets http.ResponseController reach the underlying writer.
func (c *rtCaptureWriter) Unwrap() http.ResponseWriter { return c.w }

func (c *rtCaptureWriter) snapshot() {
	c.header = make(http.Header)
	for k, vv := range c.w.Header() {
		if rtStoredHeader(k) {
			c.header[k] = append([]string(nil), vv...)
		}
	}
}

func (c *rtCaptureWriter) WriteHeader(code int) {
	if c.code == 0 && code >= 200 {
		c.code = code
		c.snapshot()
	}
	c.w.WriteHeader(code)
}

func (c *rtCaptureWriter) Write(p []byte) (int, error) {
	if c.code == 0 {
		c.WriteHeader(http.StatusOK)
	}
	c.buf.Write(p)
	return c.w.Write(p)
}

// String names the record in errors and logs.
func (id IdempotencyID) String() string {
	return fmt.Sprintf("%s/%s (scope %q)", id.Operation, id.Key, id.Scope)
}
