package runtime

import (
	"context"
	"math/rand/v2"
	"net/http"
	"sync"
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
	// OperationPolicies are the overrides of single operations, by
	// operation ID or Go method name (WithOperationPolicy).
	OperationPolicies map[string][]func(p *Policy)

	// CallDeadline bounds a call that has neither a budget nor a caller
	// deadline; MaxWait bounds any single pause between attempts (backoff
	// or Retry-After); MaxResponseBody caps every response body read. Zero
	// means the rtDefault… value.
	CallDeadline    time.Duration
	MaxWait         time.Duration
	MaxResponseBody int64
	// CallStore keeps the records of operations with IdempotencyClient;
	// default: a MemoryCallStore per Engine.
	CallStore ClientCallStore
	// Auth holds each security scheme's credentials, by scheme name, and
	// ClientCertificates the mutualTLS schemes' (auth_client.go).
	Auth               map[string]ClientAuth
	ClientCertificates map[string]CertificateSource
	// Switches are the kill switches (killswitch.go); nil: always on.
	Switches Switches
	// RetryBudget bounds retries across calls (retry_budget.go); default:
	// one per Engine from RetryBudgetPolicy, unless NoRetryBudget.
	RetryBudget       *RetryBudget
	RetryBudgetPolicy RetryBudgetPolicy
	NoRetryBudget     bool
	// Transports wrap the HTTP client's transport, innermost first, after
	// the runtime's own changes to it (e.g. per-attempt tracing spans).
	Transports []func(http.RoundTripper) http.RoundTripper
	// ResponseValidators, when set, check every success against the
	// contract before it is decoded (validate_client.go); off by default.
	// NoRequestBodyValidation sends JSON bodies the contract forbids
	// instead of refusing them unsent.
	ResponseValidators      func(operationID string) *ResponseValidator
	NoRequestBodyValidation bool
}

// Limits that hold when neither the contract nor the caller sets one, so
// that no call waits forever and no body exhausts memory.
const (
	// rtDefaultCallDeadline: longer than any sane API call (slow report
	// endpoints included), short enough that a stuck call surfaces within
	// an incident's first minutes. Applies only without budget or ctx deadline.
	rtDefaultCallDeadline = 2 * time.Minute
	// rtDefaultMaxWait: a provider asking for a longer pause (Retry-After)
	// is down for longer than a caller should block; its answer is handed
	// back at once instead.
	rtDefaultMaxWait = 30 * time.Second
	// rtDefaultMaxResponseBody: the largest real JSON API answers (bulk
	// exports, 1000-item pages) are a few MiB; 32 MiB leaves an order of
	// magnitude of room while bounding one call's decode to ~100 MB of heap.
	rtDefaultMaxResponseBody = 32 << 20
)

// WithCallDeadline bounds calls that have no budget and no ctx deadline
// (default 2 minutes): every call ends.
func WithCallDeadline(d time.Duration) ClientOption {
	return func(s *ClientSettings) { s.CallDeadline = d }
}

// WithMaxWait bounds each pause between attempts (default 30s). A
// Retry-After above it ends the call with the response that asked for it.
func WithMaxWait(d time.Duration) ClientOption {
	return func(s *ClientSettings) { s.MaxWait = d }
}

// WithMaxResponseBody caps the response bodies this client reads (default
// 32 MiB). Reading past the cap fails with ErrResponseTooLarge.
func WithMaxResponseBody(n int64) ClientOption {
	return func(s *ClientSettings) { s.MaxResponseBody = n }
}

// WithCallStore sets where calls of IdempotencyClient operations are
// recorded: share one (e.g. a SQLCallStore) between replicas so that a
// duplicate on another replica is answered from the record too.
func WithCallStore(st ClientCallStore) ClientOption {
	return func(s *ClientSettings) { s.CallStore = st }
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

// WithOperationPolicy adjusts one operation's policy on this client, after
// WithPolicy's overrides and before per-call options. name is the
// operation's ID (createPayment) or its Go method (CreatePayment); a
// generated NewClient refuses a name the contract has neither for.
func WithOperationPolicy(name string, f func(p *Policy)) ClientOption {
	return func(s *ClientSettings) {
		if s.OperationPolicies == nil {
			s.OperationPolicies = make(map[string][]func(*Policy))
		}
		s.OperationPolicies[name] = append(s.OperationPolicies[name], f)
	}
}

func WithKeyGenerator(f func() string) ClientOption {
	return func(s *ClientSettings) { s.NewKey = f }
}

// Hooks observe calls for RED metrics. They run synchronously on the
// calling goroutine and must be fast.
type Hooks struct {
	OnAttempt func(AttemptInfo)
	OnCall    func(CallInfo)
	// OnRetryDenied: a retry the policy allowed was not made because the
	// retry budget is spent or retries are switched off.
	OnRetryDenied func(RetryDeniedInfo)
	// OnBreakerState: an operation's circuit breaker changed state.
	OnBreakerState func(BreakerStateInfo)
	// OnDeprecated: the client called a deprecated operation (the contract
	// or the server's Deprecation/Sunset headers say so); once per
	// operation and client.
	OnDeprecated func(DeprecationInfo)
	// StartCall runs before a call; the context it returns is the call's
	// (tracing spans, in-flight gauges), and end, when not nil, runs with
	// the call's CallInfo after OnCall.
	StartCall func(ctx context.Context, op Operation) (_ context.Context, end func(CallInfo))
}

// AttemptInfo describes one HTTP attempt.
type AttemptInfo struct {
	Operation   string
	Method      string
	Attempt     int // from 1
	StatusCode  int // 0 when no response
	Duration    time.Duration
	Err         error
	RetryReason string // why a retry follows this attempt: "status", "timeout", "transport", "in-flight" (409 to a keyed request) or "auth" (a 401 to refreshable credentials); "" when none does
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
	// RecordErr: an IdempotencyClient call's outcome could not be stored
	// (the call's own result is in Err and the response). A duplicate will
	// find the call in flight, and unknown once its lease ends.
	RecordErr error
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
	// MaxResponseBody overrides the client's cap for this call; negative
	// means no cap (a download the caller streams and bounds itself).
	MaxResponseBody int64
	// Response receives the call's final HTTP answer (WithResponse).
	Response **http.Response
}

// WithMaxResponseBodyCall caps this call's response body at n bytes
// instead of the client's limit; n < 0 lifts the cap for a body the caller
// streams and bounds itself.
func WithMaxResponseBodyCall(n int64) CallOption {
	return func(c *CallSettings) { c.MaxResponseBody = n }
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
	s          ClientSettings
	ops        rtOpStates
	deprecated rtDeprecations
	bodyDocs   sync.Pool // parsed request bodies' memory (validate_client.go)
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
	e.s.HTTPClient = rtWithClientCertificates(e.s.HTTPClient, e.s.ClientCertificates)
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
	if e.s.CallDeadline <= 0 {
		e.s.CallDeadline = rtDefaultCallDeadline
	}
	if e.s.MaxWait <= 0 {
		e.s.MaxWait = rtDefaultMaxWait
	}
	if e.s.MaxResponseBody <= 0 {
		e.s.MaxResponseBody = rtDefaultMaxResponseBody
	}
	if e.s.CallStore == nil {
		e.s.CallStore = NewMemoryCallStore(MemoryCallStoreOptions{})
	}
	if e.s.RetryBudget == nil && !e.s.NoRetryBudget {
		e.s.RetryBudget = NewRetryBudget(e.s.RetryBudgetPolicy, e.s.Now)
	}
	if len(e.s.Transports) > 0 {
		hc := *e.s.HTTPClient
		t := hc.Transport
		if t == nil {
			t = http.DefaultTransport
		}
		for _, wrap := range e.s.Transports {
			t = wrap(t)
		}
		hc.Transport = t
		e.s.HTTPClient = &hc
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
