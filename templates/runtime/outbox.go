package runtime

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"
)

// OutboxRelayOptions configures NewOutboxRelay. Zero values take the
// defaults in brackets.
type OutboxRelayOptions struct {
	Workers        int           // shards drained at once by this replica [2]
	BatchSize      int           // rows published per round [100]
	PollInterval   time.Duration // wait when nothing is ready [200ms]
	PublishTimeout time.Duration // bound on one Publish [30s]
	BackoffBase    time.Duration // full jitter after a failed publish [200ms]
	BackoffCap     time.Duration // [30s]
	Retention      time.Duration // sent rows are purged after this [24h]
	PurgeInterval  time.Duration // [1m]
	LagInterval    time.Duration // how often OnLag fires [10s]
	Hooks          OutboxHooks
}

// OutboxHooks observe a relay; each may be nil.
type OutboxHooks struct {
	// OnPublished: n rows of one shard were published; age is how long the
	// oldest of them waited since Enqueue.
	OnPublished func(shard, n int, age time.Duration)
	// OnPublishError: a publish failed; the shard waits retryIn.
	OnPublishError func(shard int, err error, attempts int, retryIn time.Duration)
	// OnLag: rows not yet sent and the age of the oldest (the relay's lag).
	OnLag func(pending int64, oldest time.Duration)
	// OnError: the database failed (the relay keeps going).
	OnError func(err error)
}

// OutboxRelay publishes an SQLOutbox's rows through a transport. Each
// round locks one shard (SELECT … FOR UPDATE SKIP LOCKED on the shard
// table), publishes its oldest pending rows in sequence order and marks
// them sent in that same transaction, so replicas never publish one
// shard at once and a relay that dies between publish and mark-sent leaves
// the rows pending: they are published again (at least once; the
// consumer's inbox makes the effect once).
type OutboxRelay struct {
	o   *SQLOutbox
	t   EventSink
	opt OutboxRelayOptions

	// rtAfterPublish, when set (tests), runs between a successful publish
	// and mark-sent; an error there aborts the round like a crash would.
	rtAfterPublish func(batch []EventMessage) error
}

func NewOutboxRelay(o *SQLOutbox, t EventSink, opt OutboxRelayOptions) *OutboxRelay {
	if opt.Workers <= 0 {
		opt.Workers = 2
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 100
	}
	if opt.PollInterval <= 0 {
		opt.PollInterval = 200 * time.Millisecond
	}
	if opt.PublishTimeout <= 0 {
		opt.PublishTimeout = 30 * time.Second
	}
	if opt.BackoffBase <= 0 {
		opt.BackoffBase = 200 * time.Millisecond
	}
	if opt.BackoffCap <= 0 {
		opt.BackoffCap = 30 * time.Second
	}
	if opt.Retention <= 0 {
		opt.Retention = 24 * time.Hour
	}
	if opt.PurgeInterval <= 0 {
		opt.PurgeInterval = time.Minute
	}
	if opt.LagInterval <= 0 {
		opt.LagInterval = 10 * time.Second
	}
	return &OutboxRelay{o: o, t: t, opt: opt}
}

// Run relays until ctx ends, then returns nil; database and broker errors
// are reported through the hooks and retried.
func (r *OutboxRelay) Run(ctx context.Context) error {
	if r.o.err != nil {
		return r.o.err
	}
	var wg sync.WaitGroup
	for w := range r.opt.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.work(ctx, w)
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		r.housekeep(ctx)
	}()
	wg.Wait()
	return nil
}

func (r *OutboxRelay) work(ctx context.Context, w int) {
	rotate := w * r.o.shards / r.opt.Workers
	for ctx.Err() == nil {
		n, err := r.runOnce(ctx, rotate)
		rotate++
		if err != nil && ctx.Err() == nil && r.opt.Hooks.OnError != nil {
			r.opt.Hooks.OnError(err)
		}
		if n > 0 && err == nil {
			continue // more may be ready: no pause while draining
		}
		if !rtSleep(ctx, r.opt.PollInterval) {
			return
		}
	}
}

func (r *OutboxRelay) housekeep(ctx context.Context) {
	lag := time.NewTicker(r.opt.LagInterval)
	purge := time.NewTicker(r.opt.PurgeInterval)
	defer lag.Stop()
	defer purge.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-lag.C:
			if r.opt.Hooks.OnLag == nil {
				continue
			}
			n, age, err := r.o.Pending(ctx)
			if err != nil {
				r.reportErr(ctx, err)
				continue
			}
			r.opt.Hooks.OnLag(n, age)
		case <-purge.C:
			if _, err := r.o.Purge(ctx, r.opt.Retention); err != nil {
				r.reportErr(ctx, err)
			}
		}
	}
}

func (r *OutboxRelay) reportErr(ctx context.Context, err error) {
	if ctx.Err() == nil && r.opt.Hooks.OnError != nil {
		r.opt.Hooks.OnError(err)
	}
}

// RunOnce publishes one batch of one ready shard, for callers that drive
// the relay themselves (a cron job, a test); it returns how many rows it
// published, 0 when no shard was ready.
func (r *OutboxRelay) RunOnce(ctx context.Context) (int, error) { return r.runOnce(ctx, 0) }

// runOnce is RunOnce looking at shards from rotate on, so the workers of
// a busy outbox do not all contend for the lowest shard.
func (r *OutboxRelay) runOnce(ctx context.Context, rotate int) (int, error) {
	// database/sql rolls a transaction back when its context ends; this one
	// must outlive ctx long enough to record a publish that happened.
	tx, err := r.o.db.BeginTx(context.WithoutCancel(ctx), nil)
	if err != nil {
		return 0, fmt.Errorf("outbox relay begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	shard, rows, err := r.o.claim(ctx, tx, rotate, r.opt.BatchSize)
	if err != nil || len(rows) == 0 {
		return 0, err
	}
	batch := make([]EventMessage, len(rows))
	for i := range rows {
		batch[i] = rows[i].msg
	}
	pctx, cancel := context.WithTimeout(ctx, r.opt.PublishTimeout)
	perr := r.t.Publish(pctx, batch)
	cancel()
	if perr == nil && r.rtAfterPublish != nil {
		if err := r.rtAfterPublish(batch); err != nil {
			return 0, err
		}
	}
	if perr != nil {
		if ctx.Err() != nil {
			return 0, perr
		}
		attempts := rows[0].attempts + 1
		delay := rtBackoff(attempts, r.opt.BackoffBase, r.opt.BackoffCap, rand.Float64())
		if err := r.o.markFailed(ctx, tx, rows, r.o.now().Add(delay), perr); err != nil {
			return 0, errors.Join(perr, err)
		}
		if err := tx.Commit(); err != nil {
			return 0, errors.Join(perr, fmt.Errorf("outbox relay commit: %w", err))
		}
		if r.opt.Hooks.OnPublishError != nil {
			r.opt.Hooks.OnPublishError(shard, perr, attempts, delay)
		}
		return 0, nil
	}
	// Published: finish the mark even when ctx just ended, or a graceful
	// shutdown would publish these rows a second time.
	mctx, mcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer mcancel()
	if err := r.o.markSent(mctx, tx, rows); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("outbox relay commit: %w", err)
	}
	if r.opt.Hooks.OnPublished != nil {
		r.opt.Hooks.OnPublished(shard, len(rows), max(r.o.now().Sub(time.UnixMilli(rows[0].created)), 0))
	}
	return len(rows), nil
}

// rtSleep waits d or until ctx ends; false means ctx ended.
func rtSleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
