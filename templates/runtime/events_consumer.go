package runtime

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
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
	// Verifiers are the verifiers by signature scheme (x-accord signature),
	// for routes naming one: channels signed by different partners or with
	// different keys each get theirs. A route whose scheme has none here
	// uses Verifier.
	Verifiers map[string]*EventSigner
	// ChannelTopics lists, by a route's pattern ("invoices.{tenant}.created"),
	// the concrete topics to subscribe instead of the transport's wildcard
	// (a Kafka cluster whose ACLs forbid regex subscriptions, or to start
	// before the topics exist).
	ChannelTopics map[string][]string
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
	exact    map[string]*rtRoute
	patterns []*rtRoute // in registration order
	err      error      // the first bad registration, reported by Run

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
	return &EventConsumer{t: t, opt: opt, exact: map[string]*rtRoute{}, firstFail: map[string]time.Time{}}
}

// rtRoute is a registration: the route's policy and its handler.
type rtRoute struct {
	EventRoute
	h   EventTxHandler
	tx  bool
	pat *rtTopicPattern // nil for an exact topic
}

// Handle registers h for topic with the consumer's options. Call before Run.
func (c *EventConsumer) Handle(topic string, h EventHandler) {
	c.Route(EventRoute{Topic: topic}, h)
}

// HandleTx registers a handler that writes its effect in the inbox's
// transaction; Run refuses it unless the inbox is SQL-backed.
func (c *EventConsumer) HandleTx(topic string, h EventTxHandler) {
	c.RouteTx(EventRoute{Topic: topic}, h)
}

// Route registers h for r.Topic (a topic or a pattern) with r's policy.
func (c *EventConsumer) Route(r EventRoute, h EventHandler) {
	c.add(&rtRoute{EventRoute: r, h: func(ctx context.Context, _ *sql.Tx, d *EventDelivery) error { return h(ctx, d) }})
}

// RouteTx is Route for a handler writing its effect in the inbox's
// transaction (for a route with NoInbox, a transaction of the SQLInbox's
// database that records nothing).
func (c *EventConsumer) RouteTx(r EventRoute, h EventTxHandler) {
	c.add(&rtRoute{EventRoute: r, h: h, tx: true})
}

func (c *EventConsumer) add(r *rtRoute) {
	name := r.Operation
	if name == "" {
		name = r.Topic
	}
	if r.Topic == "" {
		c.fail(fmt.Errorf("event consumer: route %s has no topic", name))
		return
	}
	if !rtIsPattern(r.Topic) {
		if _, dup := c.exact[r.Topic]; dup {
			c.fail(fmt.Errorf("event consumer: topic %s is registered twice", r.Topic))
		}
		c.exact[r.Topic] = r
		return
	}
	pat, err := rtCompilePattern(r.Topic)
	if err != nil {
		c.fail(fmt.Errorf("event consumer: route %s: %w", name, err))
		return
	}
	r.pat = pat
	c.patterns = append(c.patterns, r)
}

func (c *EventConsumer) fail(err error) {
	if c.err == nil {
		c.err = err
	}
}

// route finds the registration of topic: an exact topic first, then the
// patterns in registration order; params are the pattern's values.
func (c *EventConsumer) route(topic string) (r *rtRoute, params map[string]string) {
	if r := c.exact[topic]; r != nil {
		return r, nil
	}
	for _, r := range c.patterns {
		if vals, ok := r.pat.match(topic); ok {
			return r, vals
		}
	}
	return nil, nil
}

func (c *EventConsumer) verifier(r *rtRoute) *EventSigner {
	if v := c.opt.Verifiers[r.Scheme]; r.Scheme != "" && v != nil {
		return v
	}
	return c.opt.Verifier
}

func (c *EventConsumer) attempts(r *rtRoute) int {
	if r != nil && r.MaxAttempts > 0 {
		return r.MaxAttempts
	}
	return c.opt.MaxAttempts
}

func (c *EventConsumer) backoff(r *rtRoute) (base, cap time.Duration) {
	base, cap = c.opt.BackoffBase, c.opt.BackoffCap
	if r != nil && r.BackoffBase > 0 {
		base = r.BackoffBase
	}
	if r != nil && r.BackoffCap > 0 {
		cap = r.BackoffCap
	}
	return base, cap
}

func (c *EventConsumer) deadLetterTopic(r *rtRoute, topic string) string {
	if r != nil && r.DeadLetterTopic != "" {
		return r.DeadLetterTopic
	}
	return c.opt.DeadLetterTopic(topic)
}

// subscriptions are the topics and patterns Run hands the transport.
func (c *EventConsumer) subscriptions() []string {
	var topics []string
	for t := range c.exact {
		topics = append(topics, t)
	}
	for _, r := range c.patterns {
		if list, ok := c.opt.ChannelTopics[r.Topic]; ok {
			topics = append(topics, list...)
			continue
		}
		topics = append(topics, r.Topic)
	}
	slices.Sort(topics)
	return slices.Compact(topics)
}

// check refuses a consumer whose registrations cannot work.
func (c *EventConsumer) check() error {
	if c.err != nil {
		return c.err
	}
	_, sqlInbox := c.opt.Inbox.(*SQLInbox)
	all := slices.Collect(maps.Values(c.exact))
	all = append(all, c.patterns...)
	for _, r := range all {
		if r.tx && !sqlInbox {
			return fmt.Errorf("event consumer: topic %s has a transactional handler but the inbox is not an SQLInbox", r.Topic)
		}
		if r.Scheme != "" && c.verifier(r) == nil {
			return fmt.Errorf("event consumer: topic %s is signed with %s: set EventConsumerOptions.Verifiers[%q] or Verifier", r.Topic, r.Scheme, r.Scheme)
		}
	}
	for pattern, list := range c.opt.ChannelTopics {
		i := slices.IndexFunc(c.patterns, func(r *rtRoute) bool { return r.Topic == pattern })
		if i < 0 {
			return fmt.Errorf("event consumer: ChannelTopics names %s, which no route has", pattern)
		}
		for _, t := range list {
			if _, ok := c.patterns[i].pat.match(t); !ok {
				return fmt.Errorf("event consumer: ChannelTopics: %s does not match %s", t, pattern)
			}
		}
	}
	return nil
}

// Run consumes the registered topics until ctx ends or the transport fails.
func (c *EventConsumer) Run(ctx context.Context) error {
	if c.opt.Group == "" {
		return errors.New("event consumer: no group")
	}
	if err := c.check(); err != nil {
		return err
	}
	topics := c.subscriptions()
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
	r, params := c.route(d.Topic)
	if r == nil {
		return c.deadLetter(ctx, d, nil, "no handler for topic "+d.Topic, nil)
	}
	for _, name := range slices.Sorted(maps.Keys(params)) {
		if err := CheckEventParam(name, params[name]); err != nil {
			return c.deadLetter(ctx, d, r, fmt.Sprintf("%s: topic %s: %v", r.name(), d.Topic, err), nil)
		}
	}
	d.Params = params
	if v := c.verifier(r); v != nil {
		if err := v.Verify(ctx, &d.EventMessage); err != nil {
			return c.deadLetter(ctx, d, r, err.Error(), nil)
		}
	}
	run := func(ctx context.Context, tx *sql.Tx) error {
		if c.opt.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, c.opt.Timeout)
			defer cancel()
		}
		return rtCallEventHandler(ctx, r.h, tx, d)
	}
	var err error
	switch in, isSQL := c.opt.Inbox.(*SQLInbox); {
	case r.NoInbox && r.tx && isSQL:
		err = rtInTx(ctx, in.db, run)
	case c.opt.Inbox != nil && !r.NoInbox:
		if d.ID == "" {
			return c.deadLetter(ctx, d, r, "message has no id, the inbox cannot deduplicate it", nil)
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
	default:
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
	if errors.Is(err, ErrEventPermanent) {
		return c.deadLetter(ctx, d, r, err.Error(), &first)
	}
	if n := c.attempts(r); d.Attempt >= n {
		return c.deadLetter(ctx, d, r, fmt.Sprintf("%d attempts: %v", n, err), &first)
	}
	base, cap := c.backoff(r)
	delay := rtBackoff(d.Attempt, base, cap, rand.Float64())
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
		r, params := c.route(d.Topic)
		if d.ID == "" || r == nil || r.NoInbox {
			return false
		}
		for name, v := range params {
			if CheckEventParam(name, v) != nil {
				return false
			}
		}
		d.Params = params
		if v := c.verifier(r); v != nil && v.Verify(ctx, &d.EventMessage) != nil {
			return false
		}
		ids[i], hs[i] = d.ID, r.h
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

func (r *rtRoute) name() string {
	if r.Operation != "" {
		return r.Operation
	}
	return r.Topic
}

// rtInTx runs fn in a transaction of db, for a transactional handler whose
// route keeps no inbox record.
func rtInTx(ctx context.Context, db *sql.DB, fn func(context.Context, *sql.Tx) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	if err := fn(ctx, tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// deadLetter sends d to r's dead-letter destination (r nil: the
// consumer's for d's topic).
func (c *EventConsumer) deadLetter(ctx context.Context, d *EventDelivery, r *rtRoute, reason string, first *time.Time) error {
	if first == nil {
		t := c.opt.Now()
		first = &t
	}
	dl := rtDeadLetterMessage(d, c.deadLetterTopic(r, d.Topic), reason, *first)
	if err := c.t.Publish(ctx, []EventMessage{dl}); err != nil {
		// Not acknowledged: the message comes back rather than vanishing.
		_, cap := c.backoff(r)
		return &EventNak{Delay: cap, Err: fmt.Errorf("dead-letter %s to %s: %w", d.ID, dl.Topic, err)}
	}
	c.forget(d)
	if c.opt.Hooks.OnDeadLetter != nil {
		c.opt.Hooks.OnDeadLetter(d, reason)
	}
	return nil
}
