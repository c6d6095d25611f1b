package runtime

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"time"
)

// EventTxHandler is a handler whose effect joins the inbox's transaction:
// the effect and the (group, message id) record commit together.
type EventTxHandler func(ctx context.Context, tx *sql.Tx, d *EventDelivery) error

// EventConsumerOptions configures NewEventConsumer. Zero values take the
// defaults in brackets.
type EventConsumerOptions struct {
	Group       string        // consumer group / durable name (required)
	MaxAttempts int           // handler runs before dead-lettering [5]
	BackoffBase time.Duration // full-jitter backoff between attempts [100ms]
	BackoffCap  time.Duration // [10s]
	Timeout     time.Duration // per handler run; 0 = none
	Inbox       EventInbox    // nil: no deduplication (at-least-once effects)
	Verifier    *EventSigner  // set: unsigned or forged messages are dead-lettered
	// DeadLetterTopic names a topic's dead-letter destination [topic + ".dlq"].
	DeadLetterTopic func(topic string) string
	Hooks           EventConsumerHooks
	Now             func() time.Time
}

// EventConsumerHooks observe the consumer; each may be nil.
type EventConsumerHooks struct {
	OnDuplicate  func(d *EventDelivery)
	OnRetry      func(d *EventDelivery, err error, delay time.Duration)
	OnDeadLetter func(d *EventDelivery, reason string)
}

// EventConsumer dispatches deliveries by topic to handlers, with the inbox,
// bounded retries, signature checks and dead letters around them. Generated
// consumers register one handler per receive operation.
type EventConsumer struct {
	t        EventTransport
	opt      EventConsumerOptions
	handlers map[string]EventTxHandler
	txTopics map[string]bool

	mu        sync.Mutex
	firstFail map[string]time.Time
}

func NewEventConsumer(t EventTransport, opt EventConsumerOptions) *EventConsumer {
	if opt.MaxAttempts <= 0 {
		opt.MaxAttempts = 5
	}
	if opt.BackoffBase <= 0 {
		opt.BackoffBase = 100 * time.Millisecond
	}
	if opt.BackoffCap <= 0 {
		opt.BackoffCap = 10 * time.Second
	}
	if opt.DeadLetterTopic == nil {
		opt.DeadLetterTopic = func(topic string) string { return topic + ".dlq" }
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &EventConsumer{t: t, opt: opt, handlers: map[string]EventTxHandler{}, txTopics: map[string]bool{}, firstFail: map[string]time.Time{}}
}

// Handle registers h for topic. Call before Run.
func (c *EventConsumer) Handle(topic string, h EventHandler) {
	c.handlers[topic] = func(ctx context.Context, _ *sql.Tx, d *EventDelivery) error { return h(ctx, d) }
}

// HandleTx registers a handler that writes its effect in the inbox's
// transaction; Run refuses it unless the inbox is SQL-backed.
func (c *EventConsumer) HandleTx(topic string, h EventTxHandler) {
	c.handlers[topic] = h
	c.txTopics[topic] = true
}

// Run consumes the registered topics until ctx ends or the transport fails.
func (c *EventConsumer) Run(ctx context.Context) error {
	if c.opt.Group == "" {
		return errors.New("event consumer: no group")
	}
	var topics []string
	for t := range c.handlers {
		if _, ok := c.opt.Inbox.(*SQLInbox); c.txTopics[t] && !ok {
			return fmt.Errorf("event consumer: topic %s has a transactional handler but the inbox is not an SQLInbox", t)
		}
		topics = append(topics, t)
	}
	slices.Sort(topics)
	if len(topics) == 0 {
		return errors.New("event consumer: no handlers")
	}
	if bt, ok := c.t.(rtBatchTransport); ok {
		if _, isSQL := c.opt.Inbox.(*SQLInbox); isSQL {
			return bt.rtConsumeBatch(ctx, c.opt.Group, topics, c.Deliver, c.deliverBatch)
		}
	}
	return c.t.Consume(ctx, c.opt.Group, topics, c.Deliver)
}

// Deliver handles one delivery; transports call it through Run. It returns
// nil once the message is processed, skipped as a duplicate or
// dead-lettered, and an EventNak while retries remain.
func (c *EventConsumer) Deliver(ctx context.Context, d *EventDelivery) error {
	h := c.handlers[d.Topic]
	if h == nil {
		return c.deadLetter(ctx, d, "no handler for topic "+d.Topic, nil)
	}
	if c.opt.Verifier != nil {
		if err := c.opt.Verifier.Verify(ctx, &d.EventMessage); err != nil {
			return c.deadLetter(ctx, d, err.Error(), nil)
		}
	}
	run := func(ctx context.Context, tx *sql.Tx) error {
		if c.opt.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.opt.Timeout)
			defer cancel()
		}
		return rtCallEventHandler(ctx, h, tx, d)
	}
	var err error
	if c.opt.Inbox != nil {
		if d.ID == "" {
			return c.deadLetter(ctx, d, "message has no id, the inbox cannot deduplicate it", nil)
		}
		var dup bool
		dup, err = c.opt.Inbox.Once(ctx, c.opt.Group, d.ID, run)
		if err == nil && dup {
			if c.opt.Hooks.OnDuplicate != nil {
				c.opt.Hooks.OnDuplicate(d)
			}
			c.forget(d)
			return nil
		}
	} else {
		err = run(ctx, nil)
	}
	if err == nil {
		c.forget(d)
		return nil
	}
	if ctx.Err() != nil {
		return err // shutting down: leave the message for the next consumer
	}
	first := c.failedAt(d)
	if errors.Is(err, ErrEventPermanent) || d.Attempt >= c.opt.MaxAttempts {
		return c.deadLetter(ctx, d, err.Error(), &first)
	}
	delay := rtBackoff(d.Attempt, c.opt.BackoffBase, c.opt.BackoffCap, rand.Float64())
	if c.opt.Hooks.OnRetry != nil {
		c.opt.Hooks.OnRetry(d, err, delay)
	}
	return &EventNak{Delay: delay, Err: err}
}

// EventBatchHandler handles a run of one partition's deliveries at once;
// false means none of them was handled and the transport must pass them
// one by one to the EventHandler.
type EventBatchHandler func(ctx context.Context, ds []*EventDelivery) bool

// rtBatchTransport is a transport that can hand over batches (Kafka).
type rtBatchTransport interface {
	rtConsumeBatch(ctx context.Context, group string, topics []string, h EventHandler, batch EventBatchHandler) error
}

// deliverBatch is the fast path with an SQL inbox: every message of the
// run in one inbox transaction. Anything unusual (a missing handler, a bad
// signature, a failed handler) leaves the run to Deliver.
func (c *EventConsumer) deliverBatch(ctx context.Context, ds []*EventDelivery) bool {
	in, ok := c.opt.Inbox.(*SQLInbox)
	if !ok {
		return false
	}
	ids := make([]string, len(ds))
	hs := make([]EventTxHandler, len(ds))
	for i, d := range ds {
		if d.ID == "" || c.handlers[d.Topic] == nil {
			return false
		}
		if c.opt.Verifier != nil && c.opt.Verifier.Verify(ctx, &d.EventMessage) != nil {
			return false
		}
		ids[i], hs[i] = d.ID, c.handlers[d.Topic]
	}
	dup, ok := in.rtOnceAll(ctx, c.opt.Group, ids, func(ctx context.Context, tx *sql.Tx, i int) error {
		if c.opt.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.opt.Timeout)
			defer cancel()
		}
		return rtCallEventHandler(ctx, hs[i], tx, ds[i])
	})
	if !ok {
		return false
	}
	for i, d := range ds {
		if dup[i] && c.opt.Hooks.OnDuplicate != nil {
			c.opt.Hooks.OnDuplicate(d)
		}
	}
	return true
}

// rtCallEventHandler turns a handler panic into an error so one poison
// message cannot kill the consumer; it then dead-letters like any failure.
func rtCallEventHandler(ctx context.Context, h EventTxHandler, tx *sql.Tx, d *EventDelivery) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panic: %v", p)
		}
	}()
	return h(ctx, tx, d)
}

func (c *EventConsumer) failKey(d *EventDelivery) string { return d.Topic + "\x00" + d.ID }

// failedAt remembers when a message first failed in this process; the map
// is bounded so that ids which never come back cannot grow it forever.
func (c *EventConsumer) failedAt(d *EventDelivery) time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := c.failKey(d)
	if t, ok := c.firstFail[k]; ok {
		return t
	}
	if len(c.firstFail) >= 10_000 {
		clear(c.firstFail)
	}
	t := c.opt.Now()
	c.firstFail[k] = t
	return t
}

func (c *EventConsumer) forget(d *EventDelivery) {
	c.mu.Lock()
	delete(c.firstFail, c.failKey(d))
	c.mu.Unlock()
}

func (c *EventConsumer) deadLetter(ctx context.Context, d *EventDelivery, reason string, first *time.Time) error {
	if first == nil {
		t := c.opt.Now()
		first = &t
	}
	dl := rtDeadLetterMessage(d, c.opt.DeadLetterTopic(d.Topic), reason, *first)
	if err := c.t.Publish(ctx, []EventMessage{dl}); err != nil {
		// Not acknowledged: the message comes back rather than vanishing.
		return &EventNak{Delay: c.opt.BackoffCap, Err: fmt.Errorf("dead-letter %s to %s: %w", d.ID, dl.Topic, err)}
	}
	c.forget(d)
	if c.opt.Hooks.OnDeadLetter != nil {
		c.opt.Hooks.OnDeadLetter(d, reason)
	}
	return nil
}
