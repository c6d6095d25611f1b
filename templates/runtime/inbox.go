package runtime

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
)

// EventInbox runs a message's effect at most once per (consumer group,
// message id). fn receives the transaction the inbox records the id in (nil
// for the memory inbox): an effect written through it commits together with
// the record, so a redelivery after a crash either finds the record (skip)
// or finds neither (run again). duplicate is true when the id was already
// recorded and fn did not run.
type EventInbox interface {
	Once(ctx context.Context, group, id string, fn func(ctx context.Context, tx *sql.Tx) error) (duplicate bool, err error)
}

// MemoryInbox is the inbox of the demo and of tests: one process, nothing
// survives a restart. It keeps at most Capacity ids (default 100,000),
// forgetting the oldest first.
type MemoryInbox struct {
	Capacity int

	mu      sync.Mutex
	done    map[string]bool
	order   []string
	running map[string]chan struct{}
}

func NewMemoryInbox() *MemoryInbox { return &MemoryInbox{} }

func (m *MemoryInbox) Once(ctx context.Context, group, id string, fn func(context.Context, *sql.Tx) error) (bool, error) {
	k := group + "\x00" + id
	for {
		m.mu.Lock()
		if m.done == nil {
			m.done, m.running = map[string]bool{}, map[string]chan struct{}{}
		}
		if m.done[k] {
			m.mu.Unlock()
			return true, nil
		}
		wait, busy := m.running[k]
		if !busy {
			ch := make(chan struct{})
			m.running[k] = ch
			m.mu.Unlock()
			err := fn(ctx, nil)
			m.finish(k, ch, err == nil)
			if err != nil {
				return false, err
			}
			return false, nil
		}
		m.mu.Unlock()
		// Another delivery of the same id is running: its outcome decides.
		select {
		case <-wait:
		case <-ctx.Done():
			return false, fmt.Errorf("inbox wait for %s: %w", id, ctx.Err())
		}
	}
}

func (m *MemoryInbox) finish(k string, ch chan struct{}, ok bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.running, k)
	close(ch)
	if !ok {
		return
	}
	m.done[k] = true
	m.order = append(m.order, k)
	limit := m.Capacity
	if limit <= 0 {
		limit = 100_000
	}
	if len(m.order) > limit {
		drop := len(m.order) - limit
		for _, old := range m.order[:drop] {
			delete(m.done, old)
		}
		m.order = append(m.order[:0:0], m.order[drop:]...)
	}
}
