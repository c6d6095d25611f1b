package runtime

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"net/http"
	"time"
)

// WebhookRef names the API call a webhook belongs to: the operation the
// client called (createPayment) and the value both sides carry (the
// payment id, read from the response and from the event).
type WebhookRef struct {
	Operation string
	Key       string
}

// IsZero reports an uncorrelated event.
func (r WebhookRef) IsZero() bool { return r.Operation == "" && r.Key == "" }

// WebhookEvent is one verified webhook as the inbox keeps it.
type WebhookEvent struct {
	ID        string      // the webhook id (Webhook-Id); the deduplication key with Operation
	Operation string      // the webhook's operation id
	Payload   []byte      // the body whose signature was verified
	Headers   http.Header // the delivery's headers (signature headers included, for audit)
	// Ref is the API call the event belongs to (x-accord correlates), zero
	// when it belongs to none. A correlated event waits, pending, until the
	// client records that call's response (Expect) or a reconcile settles
	// it; Wait is how long it may wait before the reconcile runs.
	Ref  WebhookRef
	Wait time.Duration

	ReceivedAt   time.Time
	Attempt      int       // runs so far, this one included (a crashed run counts)
	FirstFailure time.Time // zero until a run fails
}

// WebhookClaim is an event a worker holds until its lease ends.
type WebhookClaim struct {
	Event WebhookEvent
	token string
}

// WebhookDeadLetter is an event the worker gave up on.
type WebhookDeadLetter struct {
	Event        WebhookEvent
	Reason       string
	Attempts     int
	FirstFailure time.Time
	DeadAt       time.Time
}

// WebhookOverdue is an API call whose webhook is late (Early false: the
// response was recorded and no webhook followed within the deadline) or
// events that arrived first and waited too long for the response (Early).
type WebhookOverdue struct {
	Ref     WebhookRef
	Webhook string // the expected webhook's operation id, "" when unknown
	// Reconcile is the contract's reconcile operation for the webhook
	// (x-accord reconcile), filled in by generated code.
	Reconcile string
	Early     bool
	Since     time.Time // when the wait began
	Attempts  int       // reconcile runs so far, this one included
}

// ErrWebhookLeaseLost: the claim's lease ended and another worker took the
// event over; the run's effect was rolled back and the event is not marked.
var ErrWebhookLeaseLost = errors.New("webhook lease lost")

// WebhookQueue is the durable queue between the receiver and the workers.
// Store is idempotent per (operation, id): a duplicate is acknowledged and
// not stored again. Claim hands out ready events under a lease; Done runs
// fn together with marking the event done (for SQL in one transaction, so
// an effect written through tx happens once). Expect records an API call's
// response, releasing events that arrived first; Settle does the same for
// a reconcile's outcome. Every replica sharing the store may run workers.
type WebhookQueue interface {
	Store(ctx context.Context, ev WebhookEvent) (duplicate bool, err error)
	Claim(ctx context.Context, limit int, lease time.Duration) ([]WebhookClaim, error)
	Done(ctx context.Context, c WebhookClaim, fn func(ctx context.Context, tx *sql.Tx) error) error
	Retry(ctx context.Context, c WebhookClaim, at time.Time, cause error) error
	Bury(ctx context.Context, c WebhookClaim, reason string) error
	DeadLetters(ctx context.Context, limit int) ([]WebhookDeadLetter, error)
	Requeue(ctx context.Context, operation, id string) error

	Expect(ctx context.Context, ref WebhookRef, webhook string, within time.Duration) error
	ClaimOverdue(ctx context.Context, limit int, lease time.Duration) ([]WebhookOverdue, error)
	Settle(ctx context.Context, ref WebhookRef) error
	Recheck(ctx context.Context, ref WebhookRef, at time.Time) error
}

// Expectation states, shared by the memory and SQL queues.
const (
	rtExpEarly      = "early"      // events came first; no response recorded yet
	rtExpWaiting    = "waiting"    // response recorded; no webhook yet
	rtExpArrived    = "arrived"    // both sides met
	rtExpReconciled = "reconciled" // a reconcile settled it
)

// Event states.
const (
	rtEvPending = "pending"
	rtEvReady   = "ready"
	rtEvDone    = "done"
)

func rtLeaseToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// rtWebhookWaker lets a queue wake the local workers when it stores or
// releases an event, so they need not wait for the next poll.
type rtWebhookWaker interface{ rtWake() <-chan struct{} }

type rtWake struct{ ch chan struct{} }

func newRtWake() rtWake { return rtWake{ch: make(chan struct{}, 1)} }

func (w rtWake) signal() {
	select {
	case w.ch <- struct{}{}:
	default:
	}
}
