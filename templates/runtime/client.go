package runtime

import (
	"context"
	"math/rand/v2"
	"net/http"
	"time"
)

// ClientOption configures an Engine.
type ClientOption func(*ClientSettings)

// ClientSettings is everything an Engine can be configured with. Options
// are plain functions over it, so callers may write their own.
type ClientSettings struct {
	HTTPClient      *http.Client
	Signers         map[string]Signer // by SignatureScheme name (Policy.Signature)
	Hooks           Hooks
	Editors         []func(context.Context, *http.Request) error // run on every attempt, e.g. auth
	PolicyOverrides []func(op string, p *Policy)
	NewKey          func() string // idempotency keys; default UUID v4 from crypto/rand
	UserAgent       string
	Now             func() time.Time // breaker clock; deadlines always use the wall clock, as contexts do
	Rand            func() float64   // backoff jitter in [0, 1)
	// SensitiveHeaders never follow a redirect to another origin (see
	// WithSensitiveHeaders and client_redirect.go).
	SensitiveHeaders []string
}

func WithHTTPClient(c *http.Client) ClientOption {
	return func(s *ClientSettings) { s.HTTPClient = c }
}

func WithSigner(scheme string, sg Signer) ClientOption {
	return func(s *ClientSettings) {
		if s.Signers == nil {
			s.Signers = make(map[string]Signer)
		}
		s.Signers[scheme] = sg
	}
}

func WithHooks(h Hooks) ClientOption {
	return func(s *ClientSettings) { s.Hooks = h }
}

// WithRequestEditor adds a function run on every attempt's request after
// the runtime's own headers and before signing (e.g. auth headers).
func WithRequestEditor(f func(context.Context, *http.Request) error) ClientOption {
	return func(s *ClientSettings) { s.Editors = append(s.Editors, f) }
}

// WithPolicy adds a per-client override, applied after the contract's
// policy and before per-call options.
func WithPolicy(f func(operationID string, p *Policy)) ClientOption {
	return func(s *ClientSettings) { s.PolicyOverrides = append(s.PolicyOverrides, f) }
}

func WithKeyGenerator(f func() string) ClientOption {
	return func(s *ClientSettings) { s.NewKey = f }
}

// Hooks observe calls for RED metrics. They run synchronously on the
// calling goroutine and must be fast.
type Hooks struct {
	OnAttempt func(AttemptInfo)
	OnCall    func(CallInfo)
}

// AttemptInfo describes one HTTP attempt.
type AttemptInfo struct {
	Operation   string
	Method      string
	Attempt     int // from 1
	StatusCode  int // 0 when no response
	Duration    time.Duration
	Err         error
	RetryReason string // why a retry follows this attempt: "status", "timeout", "transport" or "in-flight" (409 to a keyed request); "" when none does
}

// CallInfo describes one logical call (all its attempts).
type CallInfo struct {
	Operation  string
	Method     string
	Attempts   int
	StatusCode int // final status, 0 when no response
	Duration   time.Duration
	Err        error
	TraceID    string
}

// CallOption adjusts one call.
type CallOption func(*CallSettings)

// CallSettings holds per-call overrides; zero values mean "use the policy".
type CallSettings struct {
	IdempotencyKey string
	Timeout        time.Duration
	Budget         time.Duration
	Retries        *int
	Header         http.Header
}

func WithIdempotencyKey(key string) CallOption {
	return func(c *CallSettings) { c.IdempotencyKey = key }
}

func WithTimeout(d time.Duration) CallOption {
	return func(c *CallSettings) { c.Timeout = d }
}

func WithBudget(d time.Duration) CallOption {
	return func(c *CallSettings) { c.Budget = d }
}

func WithRetries(n int) CallOption {
	return func(c *CallSettings) { c.Retries = &n }
}

func WithHeader(k, v string) CallOption {
	return func(c *CallSettings) {
		if c.Header == nil {
			c.Header = make(http.Header)
		}
		c.Header.Add(k, v)
	}
}

// Engine runs calls for one generated client. It owns the circuit breakers
// and bulkheads, one per operation ID, and is safe for concurrent use.
type Engine struct {
	s   ClientSettings
	ops rtOpStates
}

// NewEngine builds an Engine. Without WithHTTPClient it uses its own
// transport with a connection pool sized for concurrent calls to one host
// (net/http's default keeps only 2 idle connections per host).
func NewEngine(opts ...ClientOption) *Engine {
	e := &Engine{}
	for _, o := range opts {
		o(&e.s)
	}
	if e.s.HTTPClient == nil {
		e.s.HTTPClient = &http.Client{Transport: rtDefaultTransport()}
	}
	e.s.HTTPClient = rtWithRedirectPolicy(e.s.HTTPClient, e.s.Signers, e.s.SensitiveHeaders)
	if e.s.NewKey == nil {
		e.s.NewKey = rtNewUUID
	}
	if e.s.Now == nil {
		e.s.Now = time.Now
	}
	if e.s.Rand == nil {
		e.s.Rand = rand.Float64
	}
	return e
}

func rtDefaultTransport() http.RoundTripper {
	t, ok := http.DefaultTransport.(*http.Transport)
	if !ok {
		return http.DefaultTransport
	}
	t = t.Clone()
	t.MaxIdleConnsPerHost = 64
	return t
}
