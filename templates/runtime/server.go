package runtime

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/netip"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// ServerSettings is shared by the chains of one server.
type ServerSettings struct {
	Logger      *slog.Logger        // default slog.Default()
	Idempotency IdempotencyStore    // default: an in-memory store per chain
	Verifiers   map[string]Verifier // by SignatureScheme name (Policy.Signature)
	Hooks       ServerHooks
	Now         func() time.Time // idempotency expiry clock
	// Scope names the caller an idempotency record belongs to, so that
	// one tenant's key never replays or blocks another's. The default is
	// the principal in the request context (ContextWithPrincipal), else the
	// verified signing key's identity, else "": unauthenticated, unsigned
	// callers share one scope, so a multi-tenant server whose tenants are
	// not told apart that way must supply Scope.
	Scope func(*http.Request) string
	// Authenticators check credentials, by security scheme name, for the
	// operations whose Security names them (auth_server.go);
	// SecuritySchemes say where each scheme's credentials are. An
	// operation with security and no authenticator for any of its
	// alternatives answers 500: it fails closed.
	Authenticators  map[string]AuthenticateFunc
	SecuritySchemes map[string]SecurityScheme
	AuthRealm       string // realm of WWW-Authenticate challenges; default "api"
	// AllowIPs, when set, refuses every caller whose connection address is
	// outside these prefixes (403) before any other step but the log.
	AllowIPs []netip.Prefix
	// Validators returns an operation's request validator (generated from
	// the contract), or nil to serve it unvalidated.
	Validators func(operationID string) *RequestValidator
	// OnInvalid sees, and may change, the problem answering a request the
	// validation step refuses (err is a *RequestInvalidError, or the
	// body's read error), or a handler's answer response validation
	// replaced (a *ResponseInvalidError); the server's WithErrorHandler.
	OnInvalid func(r *http.Request, err error, p *ProblemDetails)
	// ResponseValidators, when set, check the handlers' answers
	// (response_validate.go); off by default: for tests and sandboxes.
	ResponseValidators func(operationID string) *ResponseValidator
	// Switches are the kill switches (killswitch.go): a switched-off
	// operation answers 503 with Retry-After without running anything
	// behind the switch. nil: always on.
	Switches Switches
	// Wrap, when set, wraps each operation's whole chain, outermost (e.g.
	// the OpenTelemetry adapter's server spans).
	Wrap func(op Operation, h http.Handler) http.Handler
}

// ServerHooks observe served requests for RED metrics. They run
// synchronously and must be fast.
type ServerHooks struct {
	OnRequest func(ServerRequestInfo) // after the response
	// OnStoreError reports an idempotency store or replay cache that
	// failed or was full; the request was answered 503 with Retry-After.
	OnStoreError func(StoreErrorInfo)
}

// StoreErrorInfo describes a store failure seen while serving a request.
type StoreErrorInfo struct {
	Operation string
	Store     string // "idempotency" or "replay"
	Full      bool   // errors.Is(Err, ErrStoreFull): capacity, not an outage
	Err       error
	TraceID   string
}

// Principal is the authenticated caller of a request. Authentication (the
// chain's own step, or the user's middleware in front of the server) puts it
// in the request context; the idempotency step scopes records by it.
type Principal struct {
	Scheme  string // the security scheme that authenticated the caller
	Subject string // a stable identifier of the caller (tenant, account, client id)
	// Scopes are what the caller is granted (OAuth2 scopes, roles): the
	// operation's required scopes for the scheme must all be among them.
	Scopes []string
}

type rtPrincipalKey struct{}

// ContextWithPrincipal returns ctx carrying p.
func ContextWithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, rtPrincipalKey{}, p)
}

// PrincipalFromContext returns the principal of the request, if one was
// authenticated (a non-empty Subject).
func PrincipalFromContext(ctx context.Context) (Principal, bool) {
	// The chain's authentication step keeps its principal in the request
	// state rather than in a new context, which would copy the request.
	if st, ok := ctx.Value(rtTraceKey{}).(*rtServerRequest); ok && st.principal.Subject != "" {
		return st.principal, true
	}
	p, ok := ctx.Value(rtPrincipalKey{}).(Principal)
	return p, ok && p.Subject != ""
}

// ServerRequestInfo describes one served request.
type ServerRequestInfo struct {
	Operation  string
	Method     string
	Route      string
	StatusCode int
	Duration   time.Duration
	Bytes      int64
	TraceID    string
	Replayed   bool // answered from the idempotency store
	Panicked   bool
}

// rtServerRequest is the per-request state shared by the chain's steps. It
// is stored in the request context under rtTraceKey, so the trace id, the
// idempotency key and the replay flag cost one allocation together.
type rtServerRequest struct {
	rec      rtRecorder
	traceID  string
	idemKey  string
	replayed atomic.Bool // set from the handler goroutine when a timeout is active
	body     []byte      // request body, once a step had to read it
	bodyRead bool
	// keyID identifies the verification key a signature step accepted
	// (empty when the operation is unsigned): the default idempotency
	// scope when no principal is known.
	keyID string
	// replayID is the entry the signature step recorded in replay; the
	// idempotency step forgets it when it releases the claim, so that the
	// sender's retry of a failed attempt is not taken for a replay.
	replay   ReplayCache
	replayID string
	// principal is the one the authentication step accepted.
	principal Principal
}

// rtReplayHook reports replay cache failures (a full cache included) to
// OnStoreError, the signature step answering them 503, and notes what it
// recorded in the request state.
type rtReplayHook struct {
	ReplayCache
	op   string
	hook func(StoreErrorInfo)
}

func (h *rtReplayHook) Seen(ctx context.Context, id string, until time.Time) (bool, error) {
	seen, err := h.ReplayCache.Seen(ctx, id, until)
	switch {
	case err != nil:
		if h.hook != nil {
			h.hook(StoreErrorInfo{Operation: h.op, Store: "replay", Full: errors.Is(err, ErrStoreFull), Err: err, TraceID: TraceIDFromContext(ctx)})
		}
	case !seen:
		if st, ok := ctx.Value(rtTraceKey{}).(*rtServerRequest); ok {
			st.replay, st.replayID = h.ReplayCache, id
		}
	}
	return seen, err
}

func rtRequestState(r *http.Request) *rtServerRequest {
	st, _ := r.Context().Value(rtTraceKey{}).(*rtServerRequest)
	return st
}

// rtChain does recover, trace id and access log in one frame: the recovery
// needs the trace id and the recorder, and the access line must be written
// even for a panicking request.
type rtChain struct {
	op    Operation
	log   *slog.Logger
	hooks ServerHooks
	inner http.Handler
}

// Chain wraps one operation's handler in DESIGN §5 order:
// recover → trace id → access log → IP allow-list → kill switch → concurrency limit →
// timeout → authentication → signature → validation → idempotency → h.
func Chain(op Operation, s *ServerSettings, h http.Handler) http.Handler {
	if s == nil {
		s = &ServerSettings{}
	}
	log := s.Logger
	if log == nil {
		log = slog.Default()
	}
	now := s.Now
	if now == nil {
		now = time.Now
	}
	p := op.Policy
	next := h
	if s.ResponseValidators != nil {
		if rv := s.ResponseValidators(op.ID); rv != nil {
			next = &rtResponseStep{next: next, rv: rv, log: log, hook: s.OnInvalid}
		}
	}
	if p.Idempotency != IdempotencyOff {
		store := s.Idempotency
		if store == nil {
			store = NewMemoryIdempotencyStore(0)
		}
		next = &rtIdemStep{next: next, store: store, op: op.ID, mode: p.Idempotency, ttl: p.IdempotencyTTL, timeout: p.Timeout,
			now: now, log: log, scope: s.Scope, hooks: s.Hooks}
	}
	if s.Validators != nil {
		if rv := s.Validators(op.ID); rv != nil {
			next = &rtValidateStep{next: next, rv: rv, op: op.ID, hook: s.OnInvalid}
		}
	}
	if p.Signature != "" {
		v, ok := s.Verifiers[p.Signature]
		if !ok {
			// Fail closed: an unsigned request must never reach a handler
			// whose contract requires a signature.
			log.Error("signature verifier not configured; requests will be refused", "op", op.ID, "scheme", p.Signature)
		}
		if v.Replay != nil {
			v.Replay = &rtReplayHook{ReplayCache: v.Replay, op: op.ID, hook: s.Hooks.OnStoreError}
		}
		next = &rtSignatureStep{next: next, verifier: v, configured: ok, scheme: p.Signature, log: log, op: op.ID}
	}
	if len(op.Security) > 0 {
		next = newRTAuthStep(op, s, log, next)
	}
	if p.Timeout > 0 {
		next = &rtTimeoutStep{next: next, d: p.Timeout}
	}
	if p.Concurrency > 0 {
		next = &rtLimitStep{next: next, limit: int64(p.Concurrency)}
	}
	// The switch sits inside the IP allow-list, so callers outside it learn
	// nothing about which operations are switched off.
	if s.Switches != nil {
		next = &rtSwitchStep{next: next, sw: s.Switches, op: op.ID}
	}
	if len(s.AllowIPs) > 0 {
		next = &rtIPStep{next: next, allow: s.AllowIPs}
	}
	if op.Deprecation != nil {
		next = &rtDeprecationStep{next: next, d: op.Deprecation}
	}
	var out http.Handler = &rtChain{op: op, log: log, hooks: s.Hooks, inner: next}
	if s.Wrap != nil {
		out = s.Wrap(op, out)
	}
	return out
}

func (c *rtChain) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	st := &rtServerRequest{rec: rtRecorder{w: w}}
	if st.traceID = rtParseTraceparent(r.Header.Get("Traceparent")); st.traceID == "" {
		st.traceID = rtNewTraceID()
	}
	r = r.WithContext(context.WithValue(r.Context(), rtTraceKey{}, st))
	w.Header()["Trace-Id"] = []string{st.traceID}
	defer c.finish(st, r, start)
	c.inner.ServeHTTP(&st.rec, r)
}

// finish is deferred: it recovers a panic into a 500 problem, then writes
// the access line and calls the hook.
func (c *rtChain) finish(st *rtServerRequest, r *http.Request, start time.Time) {
	p := recover()
	panicked := p != nil
	if panicked {
		if p != http.ErrAbortHandler {
			c.log.LogAttrs(r.Context(), slog.LevelError, "handler panic",
				slog.String("op", c.op.ID), slog.String("trace_id", st.traceID),
				slog.String("panic", fmt.Sprint(p)), slog.String("stack", string(debug.Stack())))
			if !st.rec.wrote {
				WriteProblem(&st.rec, r, ProblemDetails{Status: http.StatusInternalServerError, Detail: "the server failed to handle the request"})
			}
		}
	}
	status := st.rec.status
	if !st.rec.wrote {
		status = http.StatusOK // what net/http sends for a handler that wrote nothing
	}
	d := time.Since(start)
	if c.log.Enabled(r.Context(), slog.LevelInfo) {
		c.log.LogAttrs(r.Context(), slog.LevelInfo, "request",
			slog.String("op", c.op.ID), slog.String("method", r.Method), slog.String("route", c.op.Pattern),
			slog.Int("status", status), slog.Duration("duration", d), slog.Int64("bytes", st.rec.bytes),
			slog.String("trace_id", st.traceID), slog.Bool("replayed", st.replayed.Load()))
	}
	if c.hooks.OnRequest != nil {
		c.hooks.OnRequest(ServerRequestInfo{
			Operation: c.op.ID, Method: r.Method, Route: c.op.Pattern, StatusCode: status, Duration: d,
			Bytes: st.rec.bytes, TraceID: st.traceID, Replayed: st.replayed.Load(), Panicked: panicked,
		})
	}
	if p == http.ErrAbortHandler {
		panic(p) // net/http's way to abort the connection; let it do so
	}
}

// rtRecorder notes status and size for the access log.
type rtRecorder struct {
	w      http.ResponseWriter
	status int
	bytes  int64
	wrote  bool
}

func (r *rtRecorder) Header() http.Header { return r.w.Header() }

func (r *rtRecorder) WriteHeader(code int) {
	if !r.wrote && code >= 200 {
		r.status, r.wrote = code, true
	}
	r.w.WriteHeader(code)
}

func (r *rtRecorder) Write(b []byte) (int, error) {
	if !r.wrote {
		r.status, r.wrote = http.StatusOK, true
	}
	n, err := r.w.Write(b)
	r.bytes += int64(n)
	return n, err
}

func (r *rtRecorder) Flush() {
	if f, ok := r.w.(http.Flusher); ok {
		if !r.wrote {
			r.status, r.wrote = http.StatusOK, true
		}
		f.Flush()
	}
}

// Unwrap lets http.ResponseController reach the underlying writer.
func (r *rtRecorder) Unwrap() http.ResponseWriter { return r.w }

// rtLimitStep is a non-blocking semaphore: a saturated operation answers
// 429 at once instead of queueing requests that would time out anyway.
type rtLimitStep struct {
	next  http.Handler
	limit int64
	n     atomic.Int64
}

func (s *rtLimitStep) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.n.Add(1) > s.limit {
		s.n.Add(-1)
		w.Header().Set("Retry-After", "1")
		WriteProblem(w, r, ProblemDetails{Status: http.StatusTooManyRequests, Detail: "too many requests in flight for this operation"})
		return
	}
	defer s.n.Add(-1)
	s.next.ServeHTTP(w, r)
}
