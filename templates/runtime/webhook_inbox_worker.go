package runtime

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// WebhookWorkerOptions configures RunWebhookWorkers.
type WebhookWorkerOptions struct {
	Queue WebhookQueue
	// Handle runs one event. WebhookTx(ctx) is the transaction the event is
	// marked done in (SQL queue; nil for memory): an effect written through
	// it commits with the mark, so it happens once even when the worker dies
	// mid-run. Wrap ErrEventPermanent for an event no retry can fix.
	Handle func(ctx context.Context, ev *WebhookEvent) error
	// Reconcile looks up what happened to an overdue call (a lost webhook,
	// or events whose response was never recorded) with the operation the
	// contract names; nil settles it, and the events waiting on it run. With
	// no Reconcile the hook alone reports it, again after each backoff.
	Reconcile func(ctx context.Context, o WebhookOverdue) error

	Concurrency int           // handlers at once [4]
	Lease       time.Duration // how long a claim is held before another worker may take it [30s]
	Timeout     time.Duration // per run [Lease]
	Retries     int           // runs after the first before the dead-letter table [5]; a crashed run counts
	BackoffBase time.Duration // [1s]
	BackoffCap  time.Duration // [5m]
	Poll        time.Duration // how often the queue is asked when nothing woke the worker [250ms]
	Hooks       WebhookHooks
}

// WebhookHooks report what the workers do; every field is optional and
// must not block.
type WebhookHooks struct {
	OnRetry      func(ev WebhookEvent, err error, after time.Duration)
	OnDeadLetter func(ev WebhookEvent, reason string)
	// OnOverdue fires when a deadline passes: Early false is a webhook that
	// did not arrive within its deadline after the call's response; Early
	// true is events still waiting for a response. It fires before the
	// reconcile runs.
	OnOverdue    func(o WebhookOverdue)
	OnReconciled func(o WebhookOverdue, err error)
}

type rtWebhookTxKey struct{}

// WebhookTx returns the transaction a webhook handler's effect commits in,
// nil when the queue has none (memory).
func WebhookTx(ctx context.Context) *sql.Tx {
	tx, _ := ctx.Value(rtWebhookTxKey{}).(*sql.Tx)
	return tx
}

func (o *WebhookWorkerOptions) defaults() {
	if o.Concurrency <= 0 {
		o.Concurrency = 4
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = o.Lease
	}
	if o.Retries < 0 {
		o.Retries = 0
	} else if o.Retries == 0 {
		o.Retries = 5
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = time.Second
	}
	if o.BackoffCap <= 0 {
		o.BackoffCap = 5 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 250 * time.Millisecond
	}
}

// RunWebhookWorkers runs handlers for the queue's ready events and the
// reconciles of overdue calls until ctx ends, then waits for the runs in
// flight. Several processes may run workers on one SQL queue. Set Retries
// to -1 for no retries.
func RunWebhookWorkers(ctx context.Context, opt WebhookWorkerOptions) error {
	opt.defaults()
	if opt.Queue == nil || opt.Handle == nil {
		return errors.New("webhook workers: Queue and Handle are required")
	}
	var wake <-chan struct{}
	if w, ok := opt.Queue.(rtWebhookWaker); ok {
		wake = w.rtWake()
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); rtSweepOverdue(ctx, &opt) }()
	defer wg.Wait()

	slots := make(chan struct{}, opt.Concurrency)
	freed := make(chan struct{}, opt.Concurrency)
	tick := time.NewTicker(opt.Poll)
	defer tick.Stop()
	for {
		free := opt.Concurrency - len(slots)
		claimed := 0
		if free > 0 {
			claims, err := opt.Queue.Claim(ctx, free, opt.Lease)
			if err != nil && ctx.Err() != nil {
				return nil
			}
			// A failed claim (database away) is tried again at the next poll.
			for _, c := range claims {
				slots <- struct{}{}
				wg.Add(1)
				go func() {
					defer wg.Done()
					rtRunWebhook(ctx, &opt, c)
					<-slots
					select {
					case freed <- struct{}{}:
					default: // the loop is awake already
					}
				}()
			}
			claimed = len(claims)
		}
		if claimed > 0 && claimed == free {
			continue // the queue may hold more; a slot frees soon
		}
		select {
		case <-ctx.Done():
			return nil
		case <-wake:
		case <-freed:
		case <-tick.C:
		}
	}
}

func rtRunWebhook(ctx context.Context, opt *WebhookWorkerOptions, c WebhookClaim) {
	ev := c.Event
	if ev.Attempt > opt.Retries+1 {
		// Runs that never reported back (a crash, a lost lease) still count.
		rtBuryWebhook(ctx, opt, c, fmt.Sprintf("gave up after %d runs that did not finish", ev.Attempt-1))
		return
	}
	run, cancel := context.WithTimeout(ctx, opt.Timeout)
	err := opt.Queue.Done(run, c, func(ctx context.Context, tx *sql.Tx) error {
		ctx = context.WithValue(ctx, rtWebhookTxKey{}, tx)
		return rtHandleSafely(ctx, opt.Handle, &ev)
	})
	cancel()
	switch {
	case err == nil, errors.Is(err, ErrWebhookLeaseLost):
		return
	case ctx.Err() != nil:
		return // shutting down: the lease brings the event back
	case errors.Is(err, ErrEventPermanent) || ev.Attempt > opt.Retries:
		rtBuryWebhook(ctx, opt, c, err.Error())
		return
	}
	after := rtBackoff(ev.Attempt, opt.BackoffBase, opt.BackoffCap, rand.Float64())
	if opt.Hooks.OnRetry != nil {
		opt.Hooks.OnRetry(ev, err, after)
	}
	// A failed Retry leaves the claim to its lease: the event runs again then.
	_ = opt.Queue.Retry(ctx, c, time.Now().Add(after), err)
}

func rtBuryWebhook(ctx context.Context, opt *WebhookWorkerOptions, c WebhookClaim, reason string) {
	if err := opt.Queue.Bury(ctx, c, reason); err != nil {
		return // the lease brings it back and the next run buries it
	}
	if opt.Hooks.OnDeadLetter != nil {
		opt.Hooks.OnDeadLetter(c.Event, reason)
	}
}

// rtHandleSafely turns a handler's panic into an error, so one bad event
// is retried and dead-lettered instead of taking the workers down.
func rtHandleSafely(ctx context.Context, h func(context.Context, *WebhookEvent) error, ev *WebhookEvent) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("webhook handler panicked: %v", p)
		}
	}()
	return h(ctx, ev)
}
