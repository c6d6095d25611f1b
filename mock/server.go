// Package mock is accord's sandbox server: it interprets OpenAPI contracts
// at run time (no generated code) and answers every operation from the
// contract's examples or from data synthesised from its schemas, validates
// requests, honours idempotency keys, signatures and credentials, keeps
// state when asked, and injects faults reproducibly.
package mock

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/accord-dev/accord/contracts"
	rt "github.com/accord-dev/accord/templates/runtime"
)

// Options configure a mock server.
type Options struct {
	// Seed makes synthesised data and fault decisions reproducible.
	Seed uint64
	// Stateful makes POST create, GET read, PUT/PATCH/DELETE change and
	// list operations page through what exists.
	Stateful bool
	Faults   []Fault
	// Secrets holds the signing keys per securityScheme name; schemes
	// without one get a random sandbox key (see Server.SandboxSecrets).
	Secrets map[string][]byte
	// Credentials holds the accepted credential per securityScheme name
	// (bearer token, "user:password", API key). A scheme without one
	// accepts any non-empty credential.
	Credentials map[string]string
	// ValidateResponses checks every answer against the contract and turns
	// a violation into a 500 problem naming it.
	ValidateResponses bool
	// MaxBody bounds request bodies (default 10 MiB).
	MaxBody int64
	// LogSize bounds the request log (default 10000 entries).
	LogSize int
	// Callback is where webhooks are delivered; "{webhook}" in it is
	// replaced by the webhook's name. PUT /__accord/callback changes it.
	Callback string
	// After lists, per operation id, the webhooks sent (signed, retried)
	// after the operation succeeds.
	After  map[string][]string
	Logger *slog.Logger
}

// Server is a mock of one or more contracts. It is an http.Handler.
type Server struct {
	seed     uint64
	opts     Options
	mux      *http.ServeMux
	ops      []*operation
	fallback []*operation // operations the mux could not take (pattern conflicts)
	log      *requestLog
	faults   *faultSet
	idem     *idemStore
	state    *store
	schemes  map[string]contracts.SignatureScheme
	secrets  map[string][]byte
	sandbox  map[string]string
	replay   *rt.MemoryReplayCache
	cache    sync.Map // static reply cache: cacheKey → reply
	logger   *slog.Logger
	hooks    *hooks
}

type cacheKey struct {
	op      *operation
	status  int
	example string
}

// New builds a server for the OpenAPI documents (AsyncAPI documents are
// ignored here).
func New(docs []*contracts.Document, o Options) (*Server, error) {
	if o.MaxBody <= 0 {
		o.MaxBody = 10 << 20
	}
	s := &Server{
		seed: o.Seed, opts: o, mux: http.NewServeMux(), log: newRequestLog(o.LogSize),
		faults: newFaultSet(o.Faults, o.Seed), idem: newIdemStore(), state: newStore(),
		schemes: map[string]contracts.SignatureScheme{}, secrets: map[string][]byte{}, sandbox: map[string]string{},
		replay: rt.NewMemoryReplayCache(100000), logger: o.Logger,
	}
	if s.logger == nil {
		s.logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	ops, err := collectOperations(docs)
	if err != nil {
		return nil, err
	}
	s.ops = ops
	s.hooks = newHooks(s, docs, o.Callback)
	known := map[string]bool{}
	for _, op := range ops {
		known[op.id] = true
	}
	for id, names := range o.After {
		if !known[id] {
			return nil, fmt.Errorf("webhooks after %q: no such operation", id)
		}
		for _, n := range names {
			if s.hooks.ops[n] == nil {
				return nil, fmt.Errorf("webhooks after %s: the contracts declare no webhook %q", id, n)
			}
		}
	}
	for _, doc := range docs {
		schemes, _ := doc.SignatureSchemes()
		for name, sc := range schemes {
			s.schemes[name] = sc
		}
	}
	for _, op := range ops {
		if name := op.policy.Signature; name != "" {
			if err := s.ensureSecret(name); err != nil {
				return nil, err
			}
		}
	}
	for _, names := range o.After {
		for _, n := range names {
			if sig := s.hooks.ops[n].policy.Signature; sig != "" {
				if err := s.ensureSecret(sig); err != nil {
					return nil, err
				}
			}
		}
	}
	s.mux.HandleFunc("GET /__accord/requests", s.log.serve)
	s.mux.HandleFunc("DELETE /__accord/requests", s.log.serve)
	s.mux.HandleFunc("GET /__accord/webhooks", s.serveWebhooks)
	s.mux.HandleFunc("PUT /__accord/callback", s.serveWebhooks)
	seen := map[string]bool{}
	for _, op := range ops {
		p := pattern(op.method, op.segs)
		if seen[p] {
			continue // same route, other parameter names: the first serves it
		}
		seen[p] = true
		if err := s.register(p, op); err != nil {
			s.fallback = append(s.fallback, op)
		}
	}
	s.mux.HandleFunc("/", s.unrouted)
	return s, nil
}

// register adds a pattern; the mux panics on patterns that conflict without
// one being more specific, and those operations are matched by hand.
func (s *Server) register(p string, op *operation) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("pattern %q: %v", p, r)
		}
	}()
	s.mux.HandleFunc(p, func(w http.ResponseWriter, r *http.Request) {
		params, ok := op.params(r, true)
		if !ok {
			s.unrouted(w, r)
			return
		}
		s.handle(op, params, w, r)
	})
	return nil
}

func (s *Server) ensureSecret(name string) error {
	if _, ok := s.secrets[name]; ok {
		return nil
	}
	if k, ok := s.opts.Secrets[name]; ok {
		if len(k) < 16 {
			return fmt.Errorf("secret for %s: keys under 16 bytes are refused", name)
		}
		s.secrets[name] = k
		return nil
	}
	var b [24]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("sandbox key for %s: %w", name, err)
	}
	key := "sandbox_" + hex.EncodeToString(b[:])
	s.secrets[name] = []byte(key)
	s.sandbox[name] = key
	return nil
}

// AttachAsync lists a's messages at GET /__accord/messages.
func (s *Server) AttachAsync(a *Async) { s.mux.Handle("GET /__accord/messages", a) }

// SandboxSecrets returns the keys generated for signature schemes the
// options gave no secret for, by scheme name.
func (s *Server) SandboxSecrets() map[string]string { return s.sandbox }

// Operations lists the served operation ids in routing order.
func (s *Server) Operations() []string {
	out := make([]string, len(s.ops))
	for i, o := range s.ops {
		out[i] = o.id
	}
	return out
}

// Requests returns the request log, oldest first.
func (s *Server) Requests() []LoggedRequest { return s.log.list("") }

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// unrouted matches the fallback operations by hand, then answers 405 for a
// known path with another method and 404 otherwise.
func (s *Server) unrouted(w http.ResponseWriter, r *http.Request) {
	for _, op := range s.fallback {
		if op.method != r.Method && !(op.method == http.MethodGet && r.Method == http.MethodHead) {
			continue
		}
		if params, ok := op.params(r, false); ok {
			s.handle(op, params, w, r)
			return
		}
	}
	var allow []string
	for _, op := range s.ops {
		if _, ok := op.params(r, false); ok {
			allow = append(allow, op.method)
		}
	}
	status := http.StatusNotFound
	detail := "no operation of the contract serves " + r.URL.Path
	if len(allow) > 0 {
		status = http.StatusMethodNotAllowed
		detail = r.Method + " is not an operation of " + r.URL.Path
		for _, m := range allow {
			w.Header().Add("Allow", m)
		}
	}
	s.log.add(LoggedRequest{Time: time.Now(), Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, Status: status})
	rt.WriteProblem(w, r, rt.ProblemDetails{Status: status, Detail: detail})
}

// handle runs one request through the steps in the order the generated
// server runs them, with faults first: a partner's bad day hits before its
// business logic does.
func (s *Server) handle(op *operation, params map[string]string, w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	entry := LoggedRequest{Time: start, Operation: op.id, Method: r.Method, Path: r.URL.Path, Query: r.URL.RawQuery, IdempotencyKey: r.Header.Get(keyHeader)}
	defer func() {
		entry.DurationMS = float64(time.Since(start).Microseconds()) / 1000
		s.log.add(entry)
	}()

	d := s.faults.decide(op.id, op.method, op.path)
	entry.Faults = d.names
	if d.latency > 0 {
		t := time.NewTimer(d.latency)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	switch {
	case d.hang:
		<-r.Context().Done()
		return
	case d.reset:
		resetConnection(w)
		return
	case d.status != 0:
		if d.retryAfter != "" {
			w.Header().Set("Retry-After", d.retryAfter)
		}
		entry.Status = d.status
		rt.WriteProblem(w, r, rt.ProblemDetails{Status: d.status, Detail: "injected fault"})
		return
	}

	rep := s.answer(op, params, r, &entry)
	entry.Status = rep.status
	rep.write(w)
	if rep.status < 300 && rep.status >= 200 && !entry.Replayed && len(s.opts.After[op.id]) > 0 {
		s.hooks.trigger(op.id, rep.body)
	}
}

// answer runs authentication, signature, validation and idempotency, then
// produces the operation's answer.
func (s *Server) answer(op *operation, params map[string]string, r *http.Request, entry *LoggedRequest) reply {
	var body []byte
	var err error
	if r.Body != nil && r.Body != http.NoBody {
		body, err = io.ReadAll(http.MaxBytesReader(nil, r.Body, s.opts.MaxBody))
	}
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return problem(http.StatusRequestEntityTooLarge, "the request body exceeds "+strconv.FormatInt(s.opts.MaxBody, 10)+" bytes", nil)
		}
		return problem(http.StatusBadRequest, "reading the request body: "+err.Error(), nil)
	}
	if detail, ok := s.authenticate(op, r); !ok {
		return problem(http.StatusUnauthorized, detail, nil)
	}
	// A signed request's idempotency scope is the key that signed it, as
	// in the generated server; otherwise the caller's credential.
	scope := r.Header.Get("Authorization")
	if name := op.policy.Signature; name != "" {
		keyID, err := s.verifySignature(r.Context(), name, r, body)
		if err != nil {
			return problem(http.StatusUnauthorized, "signature ("+name+"): "+err.Error(), nil)
		}
		scope = "key:" + keyID
	}
	in, vs := op.validateRequest(r.Context(), r, body, params)
	if len(vs) > 0 {
		entry.Violations = vs
		return problem(http.StatusBadRequest, "the request does not match the contract", vs)
	}
	key := r.Header.Get(keyHeader)
	if op.keyed && op.policy.Idempotency == contracts.IdempotencyRequired && key == "" {
		return problem(http.StatusBadRequest, "this operation requires an Idempotency-Key header", nil)
	}
	produce := func() reply {
		rep := s.produce(op, params, r, body)
		if s.opts.ValidateResponses {
			if vs := validateResponse(r.Context(), in, rep); len(vs) > 0 {
				s.logger.Warn("mock response violates the contract", "operation", op.id, "violations", len(vs))
				return problem(http.StatusInternalServerError, "the mock's own response violates the contract", vs)
			}
		}
		return rep
	}
	if !op.keyed || key == "" {
		return produce()
	}
	rep, replayed := s.idem.do(idemID{scope: scope, op: op.id, key: key}, body, produce)
	entry.Replayed = replayed
	return rep
}

// produce makes the operation's answer: stateful when asked and the
// operation is a resource operation, else the contract's static answer.
func (s *Server) produce(op *operation, params map[string]string, r *http.Request, body []byte) reply {
	pref := parsePrefer(r.Header)
	if s.opts.Stateful && pref.code == 0 && pref.example == "" {
		if rep, ok := s.stateful(op, params, r, body); ok {
			if _, resp := op.chooseStatus(rep.status); resp != nil && rep.status < 300 {
				addHeaders(NewGenerator(s.seed, op.id, Response), resp, rep.header)
			}
			return rep
		}
	}
	status, resp := op.chooseStatus(pref.code)
	if pref.code != 0 && status != pref.code {
		return problem(http.StatusBadRequest, fmt.Sprintf("Prefer: code=%d, but %s declares no %d, %dXX or default response", pref.code, op.id, pref.code, pref.code/100), nil)
	}
	k := cacheKey{op, status, pref.example}
	if v, ok := s.cache.Load(k); ok {
		return v.(reply)
	}
	rep, err := s.staticReply(op, status, resp, pref.example)
	if err != nil {
		return problem(http.StatusBadRequest, err.Error(), nil)
	}
	s.cache.Store(k, rep)
	return rep
}

// problem is an RFC 9457 answer; violations go in "errors".
func problem(status int, detail string, vs []Violation) reply {
	p := rt.ProblemDetails{Status: status, Title: http.StatusText(status), Detail: detail}
	if len(vs) > 0 {
		p.Extensions = map[string]any{"errors": vs}
	}
	body, err := p.MarshalJSON()
	if err != nil {
		p.Extensions = nil
		body, _ = p.MarshalJSON()
	}
	return reply{status: status, header: http.Header{"Content-Type": {"application/problem+json"}}, body: body}
}

// resetConnection drops the connection without an answer. SetLinger(0)
// makes the close a TCP RST, which is what a crashed proxy looks like.
func resetConnection(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		panic(http.ErrAbortHandler) // HTTP/2: the server resets the stream
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// Serve answers on ln until ctx ends, then shuts down gracefully: requests
// in flight get up to grace to finish, held ones (hang faults) are released.
func (s *Server) Serve(ctx context.Context, ln net.Listener, grace time.Duration) error {
	base, release := context.WithCancel(context.Background())
	defer release()
	defer s.Close()
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return base },
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("mock server: %w", err)
	case <-ctx.Done():
	}
	release() // held and delayed requests end now
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("mock server shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("mock server: %w", err)
	}
	return nil
}
