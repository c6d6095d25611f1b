package contracts

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// PolicyKey is the extension that carries the resilience policy.
const PolicyKey = "x-accord"

// IdempotencyMode says whether an operation takes an Idempotency-Key.
type IdempotencyMode string

const (
	IdempotencyRequired IdempotencyMode = "required"
	IdempotencyOptional IdempotencyMode = "optional"
	IdempotencyOff      IdempotencyMode = "off"
	// IdempotencyClient is for providers with no idempotency at all: the
	// client records each logical call on its side, never repeats one whose
	// outcome it does not know, and answers duplicates from the record.
	IdempotencyClient IdempotencyMode = "client"
)

// Breaker is a circuit breaker setting. Failures 0 disables the breaker.
type Breaker struct {
	Failures int
	Window   time.Duration
	Cooldown time.Duration
}

// Policy is the resolved resilience policy of one operation.
type Policy struct {
	Timeout        time.Duration // per attempt
	Budget         time.Duration // all attempts of one call
	Retries        int           // retries, not attempts
	BackoffBase    time.Duration
	BackoffCap     time.Duration
	RetryOn        []int
	Idempotency    IdempotencyMode
	IdempotencyTTL time.Duration
	Concurrency    int // in-flight limit; 0 = unlimited
	Breaker        Breaker
	Signature      string // securityScheme name, "" = unsigned

	// IdempotencyExplicit: some layer set idempotency (the default for the
	// method does not count). KeyDeclared: the operation declares an
	// Idempotency-Key header parameter, or is a webhook. Either is the
	// contract saying the provider honours a key; see KeyHonoured.
	IdempotencyExplicit bool
	KeyDeclared         bool
	// Reconcile names the GET-like operation that settles a call whose
	// outcome stayed unknown (idempotency client); ReconcilePos is where
	// the winning layer wrote it.
	Reconcile    string
	ReconcilePos Position
	// SLO is the latency the whole call must fit in (x-accord slo), 0 when
	// none is declared: the budget, all retries included, must not exceed it.
	SLO time.Duration
	// Reason says why a setting is off (idempotency off, no retries, no
	// breaker); preflight accepts a disabled safeguard only with one.
	Reason string
	// KillSwitch marks an operation risky enough that operators must be
	// able to switch it off at run time (x-accord kill-switch).
	KillSwitch bool

	// AsyncAPI operations only (see AsyncOnlyKeys). DLQ is the dead-letter
	// destination, "" for the default <channel address>.dlq. NoInbox is
	// x-accord inbox: false: a receive operation that does not deduplicate
	// redeliveries (the zero value keeps the inbox on). PartitionKey is a
	// $message.payload#/... location the ordering key is read from.
	DLQ          string
	NoInbox      bool
	PartitionKey string

	// Correlates (webhooks only, x-accord correlates) names the API call a
	// webhook follows; see the webhook correlation block at the end.
	Correlates *Correlation
}

// KeyHonoured reports whether the contract says the provider deduplicates
// by Idempotency-Key, which is what makes repeating an unsafe request safe:
// a declared header parameter, or idempotency required/optional set
// explicitly. An implicit default is no such promise: against a provider
// that ignores the header, a retried POST creates twice.
func (p Policy) KeyHonoured() bool {
	if p.Idempotency == IdempotencyOff || p.Idempotency == IdempotencyClient {
		return false
	}
	return p.KeyDeclared || p.IdempotencyExplicit
}

// UnsafeMethod reports whether repeating a request with this method may
// repeat its effect (RFC 9110 §9.2.2: everything but GET, HEAD, OPTIONS,
// TRACE, PUT and DELETE). Empty (AsyncAPI) is not an HTTP request.
func UnsafeMethod(method string) bool {
	switch strings.ToUpper(method) {
	case "", "GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE":
		return false
	}
	return true
}

// BreakerSpec is one layer's circuitBreaker setting; unset fields inherit.
type BreakerSpec struct {
	Failures *int
	Window   *time.Duration
	Cooldown *time.Duration
}

// PolicySpec is one layer of x-accord (document, operation, config file or
// command line). Nil fields are unset and inherit from the layer below.
type PolicySpec struct {
	Timeout        *time.Duration
	Budget         *time.Duration
	Retries        *int
	BackoffBase    *time.Duration
	BackoffCap     *time.Duration
	RetryOn        []int
	Idempotency    *IdempotencyMode
	IdempotencyTTL *time.Duration
	Concurrency    *int
	Breaker        BreakerSpec
	Signature      *string
	Reconcile      *string
	ReconcilePos   Position
	SLO            *time.Duration
	Reason         *string
	KillSwitch     *bool
	DLQ            *string
	Inbox          *bool
	PartitionKey   *string
	Correlates     *Correlation // webhook correlation block

	// asyncAt is where this layer set each key of AsyncOnlyKeys, so an
	// HTTP operation inheriting one is told where it was written.
	asyncAt map[string]Position
}

// Defaults chosen for partner APIs: an attempt may take a while, the whole
// call is bounded, two retries absorb a blip without amplifying an outage.
const (
	DefaultTimeout        = 10 * time.Second
	DefaultBudget         = 30 * time.Second
	DefaultRetries        = 2
	DefaultBackoffBase    = 100 * time.Millisecond
	DefaultBackoffCap     = 5 * time.Second
	DefaultIdempotencyTTL = 24 * time.Hour
	DefaultConcurrency    = 256
	DefaultBreakerFails   = 5
	DefaultBreakerWindow  = 10 * time.Second
	DefaultBreakerCool    = 30 * time.Second
)

// DefaultRetryOn are the statuses that mean "try again later".
func DefaultRetryOn() []int { return []int{429, 502, 503, 504} }

// DefaultPolicy is the policy of an operation whose contract says nothing.
// Unsafe methods that create or change state take an optional key; safe and
// idempotent methods need none.
func DefaultPolicy(method string) Policy {
	idem := IdempotencyOff
	switch strings.ToUpper(method) {
	case "POST", "PATCH":
		idem = IdempotencyOptional
	}
	return Policy{
		Timeout:        DefaultTimeout,
		Budget:         DefaultBudget,
		Retries:        DefaultRetries,
		BackoffBase:    DefaultBackoffBase,
		BackoffCap:     DefaultBackoffCap,
		RetryOn:        DefaultRetryOn(),
		Idempotency:    idem,
		IdempotencyTTL: DefaultIdempotencyTTL,
		Concurrency:    DefaultConcurrency,
		Breaker:        Breaker{Failures: DefaultBreakerFails, Window: DefaultBreakerWindow, Cooldown: DefaultBreakerCool},
	}
}

// ResolvePolicy is the one place the layers meet: defaults for the method,
// then each layer in order (document, operation, config file, command line).
func ResolvePolicy(method string, layers ...PolicySpec) Policy {
	p := DefaultPolicy(method)
	for _, l := range layers {
		p = p.with(l)
	}
	return p
}

func (p Policy) with(s PolicySpec) Policy {
	set(&p.Timeout, s.Timeout)
	set(&p.Budget, s.Budget)
	set(&p.Retries, s.Retries)
	set(&p.BackoffBase, s.BackoffBase)
	set(&p.BackoffCap, s.BackoffCap)
	if s.RetryOn != nil {
		p.RetryOn = slices.Clone(s.RetryOn)
	}
	set(&p.Idempotency, s.Idempotency)
	if s.Idempotency != nil {
		p.IdempotencyExplicit = true
	}
	set(&p.IdempotencyTTL, s.IdempotencyTTL)
	set(&p.Concurrency, s.Concurrency)
	set(&p.Breaker.Failures, s.Breaker.Failures)
	set(&p.Breaker.Window, s.Breaker.Window)
	set(&p.Breaker.Cooldown, s.Breaker.Cooldown)
	set(&p.Signature, s.Signature)
	if s.Reconcile != nil {
		p.Reconcile, p.ReconcilePos = *s.Reconcile, s.ReconcilePos
	}
	set(&p.SLO, s.SLO)
	set(&p.Reason, s.Reason)
	set(&p.KillSwitch, s.KillSwitch)
	set(&p.DLQ, s.DLQ)
	if s.Inbox != nil {
		p.NoInbox = !*s.Inbox
	}
	set(&p.PartitionKey, s.PartitionKey)
	if s.Correlates != nil { // webhook correlation block
		p.Correlates = s.Correlates
	}
	return p
}

func set[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// Check reports settings that are legal one layer at a time but contradict
// each other once resolved. where names the operation for the message.
func (p Policy) Check(pos Position, where string) []Problem {
	var ps []Problem
	warn := func(code, msg, hint string) {
		ps = append(ps, Problem{Pos: pos, Severity: SeverityWarning, Code: code, Message: where + ": " + msg, Hint: hint})
	}
	if p.Timeout > p.Budget {
		warn("policy-timeout-over-budget",
			fmt.Sprintf("timeout %s is longer than budget %s, so an attempt is cut short by the budget and no retry can run", p.Timeout, p.Budget),
			"make budget at least (retries+1) × timeout plus backoff, or lower timeout")
	}
	if p.BackoffBase > p.BackoffCap {
		warn("policy-backoff-base-over-cap",
			fmt.Sprintf("backoff base %s is above its cap %s, so every delay is the cap", p.BackoffBase, p.BackoffCap),
			"set base below cap")
	}
	if p.Reason != "" && !p.disablesSafeguard() {
		warn("policy-reason-unused",
			fmt.Sprintf("reason %q is given, but no safeguard is off (idempotency, retries, circuit breaker, concurrency limit and signature are all on)", p.Reason),
			"remove the reason, or put it next to the setting it explains")
	}
	if p.SLO > 0 && p.Budget > p.SLO {
		warn("policy-budget-over-slo",
			fmt.Sprintf("budget %s is longer than the slo %s, so a call that uses its retries misses the objective", p.Budget, p.SLO),
			"lower budget (or retries and timeout) until the budget fits in the slo, or raise the slo")
	}
	return ps
}

// disablesSafeguard: some protection is switched off, which is what a
// reason explains. An unsigned operation counts: a reason may say why a
// partner's calls carry no signature.
func (p Policy) disablesSafeguard() bool {
	return (p.Idempotency == IdempotencyOff && p.IdempotencyExplicit) || p.Retries == 0 || p.Breaker.Failures == 0 ||
		p.Concurrency == 0 || p.Signature == "" || p.NoInbox
}

// policyKeys are the keys x-accord accepts, in the order the reference lists them.
var policyKeys = []string{"timeout", "budget", "retries", "backoff", "retryOn", "idempotency",
	"idempotencyTTL", "concurrency", "circuitBreaker", "signature", "reconcile", "slo", "reason", "kill-switch",
	"dlq", "inbox", "partitionKey", "correlates"}

// ParsePolicySpec reads one x-accord value. pointer is where the value sits
// in its file; pos turns a pointer into a position for problems.
func ParsePolicySpec(v any, pointer string, pos func(string) Position) (PolicySpec, []Problem) {
	pp := policyParser{pointer: pointer, pos: pos}
	var s PolicySpec
	m, ok := v.(map[string]any)
	if !ok {
		pp.errorf(pointer, "policy-not-object", "x-accord must be a mapping of policy settings, not %s", describe(v))
		return s, pp.problems
	}
	for _, k := range sortedKeys(m) {
		val := m[k]
		at := pointer + "/" + escapePointerToken(k)
		switch k {
		case "timeout":
			s.Timeout = pp.duration(val, at, k, false)
		case "budget":
			s.Budget = pp.duration(val, at, k, false)
		case "retries":
			s.Retries = pp.count(val, at, k, 10)
		case "backoff":
			bm, ok := val.(map[string]any)
			if !ok {
				pp.errorf(at, "policy-bad-value", "backoff must be a mapping like {base: 50ms, cap: 2s}, not %s", describe(val))
				continue
			}
			for _, bk := range sortedKeys(bm) {
				bat := at + "/" + escapePointerToken(bk)
				switch bk {
				case "base":
					s.BackoffBase = pp.duration(bm[bk], bat, "backoff.base", false)
				case "cap":
					s.BackoffCap = pp.duration(bm[bk], bat, "backoff.cap", false)
				default:
					pp.unknown(bat, "backoff."+bk, []string{"base", "cap"})
				}
			}
		case "retryOn":
			s.RetryOn = pp.statuses(val, at)
		case "idempotency":
			str, ok := val.(string)
			mode := IdempotencyMode(str)
			if !ok || (mode != IdempotencyRequired && mode != IdempotencyOptional && mode != IdempotencyOff && mode != IdempotencyClient) {
				pp.errorf(at, "policy-bad-value", "idempotency must be required, optional or off (or client: the client records each call), not %s", describe(val))
				continue
			}
			s.Idempotency = &mode
		case "idempotencyTTL":
			s.IdempotencyTTL = pp.duration(val, at, k, false)
		case "concurrency":
			s.Concurrency = pp.count(val, at, k, 1<<20)
		case "circuitBreaker":
			s.Breaker = pp.breaker(val, at)
		case "signature":
			str, ok := val.(string)
			if !ok || str == "" {
				pp.errorf(at, "policy-bad-value", "signature must name a securityScheme that carries x-accord-signature, not %s", describe(val))
				continue
			}
			s.Signature = &str
		case "reconcile":
			str, ok := val.(string)
			if !ok || str == "" {
				pp.errorf(at, "policy-bad-value", "reconcile must name the GET operation (operationId) that looks a call's effect up, not %s", describe(val))
				continue
			}
			s.Reconcile, s.ReconcilePos = &str, pp.pos(at)
		case "slo":
			s.SLO = pp.duration(val, at, k, false)
		case "reason":
			str, ok := val.(string)
			if !ok || strings.TrimSpace(str) == "" {
				pp.errorf(at, "policy-bad-value", "reason must say in words why a safeguard is off (e.g. \"the provider dedupes by order id\"), not %s", describe(val))
				continue
			}
			str = strings.TrimSpace(str)
			s.Reason = &str
		case "kill-switch":
			b, ok := val.(bool)
			if !ok {
				pp.errorf(at, "policy-bad-value", "kill-switch must be true or false, not %s", describe(val))
				continue
			}
			s.KillSwitch = &b
		case "dlq":
			str, ok := val.(string)
			if !ok || !validDestination(str) {
				pp.errorf(at, "policy-bad-value", "dlq must be a topic or subject name without wildcards or spaces (e.g. payments.dlq), not %s", describe(val))
				continue
			}
			s.DLQ = &str
			s.markAsync(k, pp.pos(at))
		case "inbox":
			b, ok := val.(bool)
			if !ok {
				pp.errorf(at, "policy-bad-value", "inbox must be true or false (false needs a reason: redeliveries then repeat effects), not %s", describe(val))
				continue
			}
			s.Inbox = &b
			s.markAsync(k, pp.pos(at))
		case "partitionKey":
			str, ok := val.(string)
			if !ok || !strings.HasPrefix(str, "$message.payload#") {
				pp.errorf(at, "policy-bad-value", "partitionKey must be a runtime expression into the payload like $message.payload#/order_id, not %s", describe(val))
				continue
			}
			s.PartitionKey = &str
			s.markAsync(k, pp.pos(at))
		case "correlates": // webhook correlation block
			s.Correlates = pp.correlates(val, at)
		default:
			pp.unknown(at, k, policyKeys)
		}
	}
	return s, pp.problems
}

// completePolicies adds what the x-accord layers cannot say about an
// operation (whether it declares an Idempotency-Key header) and checks what
// needs all operations at once (reconcile names one of them, a GET). It is
// the last step of PoliciesWith.
func (d *Document) completePolicies(ops []OperationPolicy) []Problem {
	if d.Kind == KindOpenAPI && d.OpenAPI != nil {
		declared := map[string]bool{}
		walkOpenAPIOperations(d.OpenAPI, func(o openAPIOp) {
			var item *openapi3.PathItem
			if o.webhook {
				item = d.OpenAPI.Webhooks[o.path]
			} else if d.OpenAPI.Paths != nil {
				item = d.OpenAPI.Paths.Value(o.path)
			}
			if declaresKeyHeader(o.op.Parameters) || (item != nil && declaresKeyHeader(item.Parameters)) {
				declared[o.method+" "+o.path] = true
			}
		})
		for i := range ops {
			// A webhook is delivered at least once by definition: its
			// receivers dedupe by webhook id (or the key the sender carries).
			ops[i].Policy.KeyDeclared = ops[i].Webhook || declared[ops[i].Method+" "+ops[i].Path]
		}
	}
	problems := d.checkAsyncOnlyKeys(ops)
	byID := make(map[string]*OperationPolicy, len(ops))
	for i := range ops {
		byID[ops[i].ID] = &ops[i]
	}
	problems = append(problems, checkCorrelations(ops, byID)...) // webhook correlation block
	seen := map[string]bool{}
	for _, op := range ops {
		name := op.Policy.Reconcile
		if name == "" {
			continue
		}
		pos := op.Policy.ReconcilePos
		if pos == (Position{}) {
			pos = op.Pos
		}
		var msg, hint, code string
		switch target, ok := byID[name]; {
		case !ok:
			code, msg = "policy-unknown-reconcile", fmt.Sprintf("x-accord reconcile %q names no operation of this contract", name)
			hint = "name the operationId of the GET that looks the effect up"
			if near := closest(name, slices.Sorted(maps.Keys(byID))); near != "" {
				hint = "did you mean " + near + "? " + hint
			}
		case target.Method != "GET" || target.Webhook:
			code, msg = "policy-bad-reconcile", fmt.Sprintf("x-accord reconcile %q is a %s operation; settling an unknown outcome must not change anything", name, strings.TrimSpace(target.Method+" "+map[bool]string{true: "webhook"}[target.Webhook]))
			hint = "name a GET operation that looks the effect up"
		default:
			continue
		}
		// A document-level reconcile is inherited by every operation: say it once.
		if k := fmt.Sprint(pos) + msg; !seen[k] {
			seen[k] = true
			problems = append(problems, Problem{Pos: pos, Severity: SeverityError, Code: code, Message: op.ID + ": " + msg, Hint: hint})
		}
	}
	return problems
}

func declaresKeyHeader(params openapi3.Parameters) bool {
	for _, ref := range params {
		if ref != nil && ref.Value != nil && ref.Value.In == openapi3.ParameterInHeader && strings.EqualFold(ref.Value.Name, "Idempotency-Key") {
			return true
		}
	}
	return false
}
