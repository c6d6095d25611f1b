package runtime

import "time"

// IdempotencyMode says whether an operation uses Idempotency-Key.
type IdempotencyMode string

const (
	IdempotencyOff      IdempotencyMode = "off"
	IdempotencyOptional IdempotencyMode = "optional"
	IdempotencyRequired IdempotencyMode = "required"
	// IdempotencyClient: the provider offers no idempotency, so the client
	// records each logical call in a ClientCallStore, answers a duplicate
	// from the record and never repeats an attempt whose outcome it does not
	// know (ErrOutcomeUnknown).
	IdempotencyClient IdempotencyMode = "client"
)

// BreakerPolicy configures the per-operation circuit breaker.
// Failures == 0 disables it.
type BreakerPolicy struct {
	Failures int           // consecutive failures that open the breaker
	Window   time.Duration // those failures must all fall within Window; 0 = no limit
	Cooldown time.Duration // how long the breaker stays open before one probe
}

// Policy is one operation's resolved resilience policy (the generator fills
// it from the contract's x-accord).
type Policy struct {
	Timeout        time.Duration // per attempt; 0 = none
	Budget         time.Duration // all attempts of one call; never past the caller's ctx deadline; 0 = none
	Retries        int           // max retries, not attempts; 0 disables
	BackoffBase    time.Duration
	BackoffCap     time.Duration
	RetryOn        []int // statuses; connection errors and attempt timeouts are always retryable
	Idempotency    IdempotencyMode
	IdempotencyTTL time.Duration
	Concurrency    int // 0 = unlimited
	Breaker        BreakerPolicy
	Signature      string // name of a SignatureScheme, "" = unsigned
	// KeyHonoured: the contract says the provider deduplicates by
	// Idempotency-Key (it declares the header, or sets idempotency
	// explicitly). Only then is an unsafe method (POST, PATCH, ...) sent
	// with a key and retried; otherwise it gets exactly one attempt.
	KeyHonoured bool
	// Reconcile is the operation ID of the GET that can settle a call whose
	// outcome stayed unknown (IdempotencyClient).
	Reconcile string
	// KillSwitch: the contract marks the operation risky (x-accord
	// kill-switch), so operator pages list its switch first. Every
	// operation can be switched off (Switches) whether marked or not.
	KillSwitch bool
}

// Operation describes one API operation to the runtime.
type Operation struct {
	ID     string
	Method string
	// GoName is the generated Go method that calls the operation
	// (CreatePayment for createPayment; a webhook's SendPaymentSettled):
	// WithOperationPolicy accepts it as well as the ID.
	GoName  string
	Pattern string // path template, e.g. "/v1/payments/{id}"
	Policy  Policy
	// Security lists the alternatives (OR) of the operation's effective
	// security requirement; none means the operation is open.
	Security []SecurityRequirement
	// Deprecation is set when the contract deprecates the operation: the
	// server then answers with Deprecation and Sunset headers.
	Deprecation *Deprecation
}

func (p *Policy) rtRetryOn(status int) bool {
	for _, s := range p.RetryOn {
		if s == status {
			return true
		}
	}
	return false
}
