package runtime

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"sync"
	"time"
)

// MemoryWebhookQueue is the embedded default: one process, nothing survives
// a restart (the demo and tests; give production a SQLWebhookQueue). It
// keeps at most Capacity events (default 100,000), forgetting the oldest
// done ones first; full of undone events it refuses new ones
// (ErrStoreFull), so the sender retries later instead of losing one.
type MemoryWebhookQueue struct {
	Capacity int
	Now      func() time.Time

	mu     sync.Mutex
	events map[string]*rtMemEvent // by operation + "\x00" + id
	order  []string               // insertion order, for eviction
	exp    map[WebhookRef]*rtMemExpect
	dead   []WebhookDeadLetter
	wake   rtWake
	once   sync.Once
}

type rtMemEvent struct {
	ev         WebhookEvent
	status     string
	next       time.Time
	leaseUntil time.Time
	token      string
}

type rtMemExpect struct {
	state, webhook string
	since          time.Time
	deadline       time.Time
	nextCheck      time.Time
	attempts       int
}

func NewMemoryWebhookQueue() *MemoryWebhookQueue { return &MemoryWebhookQueue{} }

func (m *MemoryWebhookQueue) init() {
	m.once.Do(func() {
		m.events, m.exp, m.wake = map[string]*rtMemEvent{}, map[WebhookRef]*rtMemExpect{}, newRtWake()
	})
}

func (m *MemoryWebhookQueue) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

func (m *MemoryWebhookQueue) rtWake() <-chan struct{} { m.init(); return m.wake.ch }

func rtEventKey(op, id string) string { return op + "\x00" + id }

func (m *MemoryWebhookQueue) Store(_ context.Context, ev WebhookEvent) (bool, error) {
	m.init()
	if ev.ID == "" || ev.Operation == "" {
		return false, errors.New("webhook queue: an event needs an id and an operation")
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	k := rtEventKey(ev.Operation, ev.ID)
	if _, ok := m.events[k]; ok {
		return true, nil
	}
	if !m.makeRoom() {
		return false, &StoreFullError{Store: "webhook", RetryAfter: time.Second}
	}
	now := m.now()
	ev.ReceivedAt, ev.Attempt, ev.FirstFailure = now, 0, time.Time{}
	ev.Payload, ev.Headers = append([]byte(nil), ev.Payload...), ev.Headers.Clone()
	e := &rtMemEvent{ev: ev, status: rtEvReady}
	if !ev.Ref.IsZero() {
		x := m.exp[ev.Ref]
		if x == nil {
			m.pruneExp()
			x = &rtMemExpect{state: rtExpEarly, webhook: ev.Operation, since: now, deadline: now.Add(ev.Wait)}
			x.nextCheck = x.deadline
			m.exp[ev.Ref] = x
		}
		switch x.state {
		case rtExpEarly:
			e.status = rtEvPending
		case rtExpWaiting:
			x.state = rtExpArrived
		}
	}
	m.events[k] = e
	m.order = append(m.order, k)
	if e.status == rtEvReady {
		m.wake.signal()
	}
	return false, nil
}

// makeRoom evicts the oldest done events while the queue is at capacity.
func (m *MemoryWebhookQueue) makeRoom() bool {
	limit := m.Capacity
	if limit <= 0 {
		limit = 100_000
	}
	if len(m.events) < limit {
		return true
	}
	kept := m.order[:0]
	for _, k := range m.order {
		if len(m.events) >= limit && m.events[k].status == rtEvDone {
			delete(m.events, k)
			continue
		}
		kept = append(kept, k)
	}
	m.order = kept
	return len(m.events) < limit
}

func (m *MemoryWebhookQueue) Claim(_ context.Context, limit int, lease time.Duration) ([]WebhookClaim, error) {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var out []WebhookClaim
	for _, k := range m.order {
		if len(out) >= limit {
			break
		}
		e := m.events[k]
		if e == nil || e.status != rtEvReady || e.next.After(now) || e.leaseUntil.After(now) {
			continue
		}
		e.token, e.leaseUntil = rtLeaseToken(), now.Add(lease)
		e.ev.Attempt++
		out = append(out, WebhookClaim{Event: e.copyEvent(), token: e.token})
	}
	return out, nil
}

func (e *rtMemEvent) copyEvent() WebhookEvent {
	ev := e.ev
	ev.Payload, ev.Headers = append([]byte(nil), ev.Payload...), ev.Headers.Clone()
	return ev
}

// held returns the claimed event while the claim still owns it. A run
// that outlived its lease loses the event to the next claim, as a crashed
// one does; the memory queue cannot take back an effect, so keep leases
// longer than handlers run.
func (m *MemoryWebhookQueue) held(c WebhookClaim) (*rtMemEvent, error) {
	e := m.events[rtEventKey(c.Event.Operation, c.Event.ID)]
	if e == nil || e.token != c.token || e.status != rtEvReady {
		return nil, fmt.Errorf("webhook %s/%s: %w", c.Event.Operation, c.Event.ID, ErrWebhookLeaseLost)
	}
	return e, nil
}

func (m *MemoryWebhookQueue) Done(ctx context.Context, c WebhookClaim, fn func(context.Context, *sql.Tx) error) error {
	m.init()
	m.mu.Lock()
	_, err := m.held(c)
	m.mu.Unlock()
	if err != nil {
		return err
	}
	if err := fn(ctx, nil); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.held(c)
	if err != nil {
		return err
	}
	e.status, e.token, e.ev.Payload = rtEvDone, "", nil
	return nil
}

func (m *MemoryWebhookQueue) Retry(_ context.Context, c WebhookClaim, at time.Time, _ error) error {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.held(c)
	if err != nil {
		return err
	}
	if e.ev.FirstFailure.IsZero() {
		e.ev.FirstFailure = m.now()
	}
	e.next, e.token, e.leaseUntil = at, "", time.Time{}
	return nil
}

func (m *MemoryWebhookQueue) Bury(_ context.Context, c WebhookClaim, reason string) error {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	e, err := m.held(c)
	if err != nil {
		return err
	}
	m.bury(e, reason)
	return nil
}

func (m *MemoryWebhookQueue) bury(e *rtMemEvent, reason string) {
	now := m.now()
	first := e.ev.FirstFailure
	if first.IsZero() {
		first = now
	}
	if len(reason) > rtMaxReason {
		reason = reason[:rtMaxReason]
	}
	m.dead = append(m.dead, WebhookDeadLetter{Event: e.copyEvent(), Reason: reason, Attempts: e.ev.Attempt, FirstFailure: first, DeadAt: now})
	// The id stays known (done) so a redelivery is not stored again.
	e.status, e.token, e.ev.Payload = rtEvDone, "", nil
}

func (m *MemoryWebhookQueue) DeadLetters(_ context.Context, limit int) ([]WebhookDeadLetter, error) {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	n := min(limit, len(m.dead))
	if limit <= 0 {
		n = len(m.dead)
	}
	return append([]WebhookDeadLetter(nil), m.dead[:n]...), nil
}

func (m *MemoryWebhookQueue) Requeue(_ context.Context, operation, id string) error {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, d := range m.dead {
		if d.Event.Operation != operation || d.Event.ID != id {
			continue
		}
		ev := d.Event
		ev.Attempt, ev.FirstFailure = 0, time.Time{}
		k := rtEventKey(operation, id)
		if _, kept := m.events[k]; !kept {
			m.order = append(m.order, k) // evicted since: claimable again
		}
		m.events[k] = &rtMemEvent{ev: ev, status: rtEvReady}
		m.dead = append(m.dead[:i], m.dead[i+1:]...)
		m.wake.signal()
		return nil
	}
	return fmt.Errorf("webhook dead letter %s/%s: not found", operation, id)
}

func (m *MemoryWebhookQueue) Expect(_ context.Context, ref WebhookRef, webhook string, within time.Duration) error {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	x := m.exp[ref]
	switch {
	case x == nil:
		m.pruneExp()
		m.exp[ref] = &rtMemExpect{state: rtExpWaiting, webhook: webhook, since: now, deadline: now.Add(within), nextCheck: now.Add(within)}
	case x.state == rtExpEarly:
		x.state = rtExpArrived
		m.release(ref)
	}
	return nil
}

// release makes the pending events of ref ready.
func (m *MemoryWebhookQueue) release(ref WebhookRef) {
	for _, e := range m.events {
		if e.status == rtEvPending && e.ev.Ref == ref {
			e.status = rtEvReady
		}
	}
	m.wake.signal()
}

func (m *MemoryWebhookQueue) ClaimOverdue(_ context.Context, limit int, lease time.Duration) ([]WebhookOverdue, error) {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	var out []WebhookOverdue
	for ref, x := range m.exp {
		if len(out) >= limit {
			break
		}
		if (x.state != rtExpEarly && x.state != rtExpWaiting) || x.nextCheck.After(now) {
			continue
		}
		x.attempts++
		x.nextCheck = now.Add(lease)
		out = append(out, WebhookOverdue{Ref: ref, Webhook: x.webhook, Early: x.state == rtExpEarly, Since: x.since, Attempts: x.attempts})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Since.Before(out[j].Since) })
	return out, nil
}

func (m *MemoryWebhookQueue) Settle(_ context.Context, ref WebhookRef) error {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	x := m.exp[ref]
	if x == nil {
		m.exp[ref] = &rtMemExpect{state: rtExpReconciled, since: m.now()}
		return nil
	}
	if x.state == rtExpEarly {
		m.release(ref)
	}
	x.state = rtExpReconciled
	return nil
}

func (m *MemoryWebhookQueue) Recheck(_ context.Context, ref WebhookRef, at time.Time) error {
	m.init()
	m.mu.Lock()
	defer m.mu.Unlock()
	if x := m.exp[ref]; x != nil {
		x.nextCheck = at
	}
	return nil
}

// pruneExp forgets settled expectations once there are more than the
// event capacity; open ones are what lost webhooks are noticed by.
func (m *MemoryWebhookQueue) pruneExp() {
	limit := m.Capacity
	if limit <= 0 {
		limit = 100_000
	}
	if len(m.exp) < limit {
		return
	}
	for ref, x := range m.exp {
		if x.state == rtExpArrived || x.state == rtExpReconciled {
			delete(m.exp, ref)
		}
	}
}
