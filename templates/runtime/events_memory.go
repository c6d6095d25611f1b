package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"sync"
	"time"
)

// ErrEventBufferFull is returned by the memory transport's Publish when a
// partition holds Capacity messages not yet consumed by every group.
var ErrEventBufferFull = errors.New("memory transport: partition full")

// MemoryTransportOptions configures NewMemoryTransport.
type MemoryTransportOptions struct {
	Partitions int // per topic; keys hash to one [4]
	Capacity   int // messages kept per partition [10,000]
}

// MemoryTransport is an in-process broker for the demo and tests, with
// Kafka's shape: topics split into partitions by key, consumer groups each
// with their own committed position, one worker per (group, partition) so a
// key's messages are handled in order while partitions run in parallel, and
// a failed message retried in place until its handler succeeds. A second
// Consume of the same group takes over the partitions when the first stops,
// which is how tests stand in for a restarted process. Bounded: Publish
// fails with ErrEventBufferFull rather than growing without limit; a
// message stays (for groups that join later) until its room is needed
// and every group known so far has consumed it.
type MemoryTransport struct {
	opt MemoryTransportOptions

	mu     sync.Mutex
	topics map[string]*rtMemTopic
	notify chan struct{} // closed and replaced on every change
	closed bool
}

type rtMemTopic struct{ parts []*rtMemPart }

type rtMemPart struct {
	base      int64 // offset of log[0]
	log       []EventMessage
	committed map[string]int64 // group: next offset to deliver
	owned     map[string]bool  // group has a worker on this partition
}

func NewMemoryTransport(opt MemoryTransportOptions) *MemoryTransport {
	if opt.Partitions <= 0 {
		opt.Partitions = 4
	}
	if opt.Capacity <= 0 {
		opt.Capacity = 10_000
	}
	return &MemoryTransport{opt: opt, topics: map[string]*rtMemTopic{}, notify: make(chan struct{})}
}

// topic returns (creating) a topic; the caller holds mu.
func (t *MemoryTransport) topic(name string) *rtMemTopic {
	tp := t.topics[name]
	if tp == nil {
		tp = &rtMemTopic{parts: make([]*rtMemPart, t.opt.Partitions)}
		for i := range tp.parts {
			tp.parts[i] = &rtMemPart{committed: map[string]int64{}, owned: map[string]bool{}}
		}
		t.topics[name] = tp
	}
	return tp
}

func (t *MemoryTransport) changed() {
	close(t.notify)
	t.notify = make(chan struct{})
}

// trim drops messages every known group has consumed; the caller holds mu.
// Publish calls it only when it needs room, so a group that subscribes
// later (a dead-letter replay) still finds what fits in the capacity.
func (p *rtMemPart) trim() {
	if len(p.committed) == 0 {
		return // nobody subscribed yet: keep everything for the first group
	}
	low := p.base + int64(len(p.log))
	for _, off := range p.committed {
		low = min(low, off)
	}
	if n := int(low - p.base); n > 0 {
		clear(p.log[:n])
		p.log = p.log[n:]
		p.base = low
	}
}

// Publish appends all messages or, when one does not fit, none.
func (t *MemoryTransport) Publish(ctx context.Context, msgs []EventMessage) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		return errors.New("memory transport closed")
	}
	need := map[*rtMemPart]int{}
	for i := range msgs {
		if msgs[i].Topic == "" {
			return errors.New("memory transport: message without a topic")
		}
		p := t.topic(msgs[i].Topic).parts[rtKeyShard(msgs[i].Key, msgs[i].ID, t.opt.Partitions)]
		need[p]++
	}
	for p, n := range need {
		p.trim()
		if len(p.log)+n > t.opt.Capacity {
			return fmt.Errorf("%w (%d messages)", ErrEventBufferFull, t.opt.Capacity)
		}
	}
	for _, m := range msgs {
		m.Headers = maps.Clone(m.Headers)
		m.Payload = append([]byte(nil), m.Payload...)
		p := t.topic(m.Topic).parts[rtKeyShard(m.Key, m.ID, t.opt.Partitions)]
		p.log = append(p.log, m)
	}
	t.changed()
	return nil
}

// Consume runs one worker per partition of every topic; it returns nil
// when ctx ends. A topic with {parameters} ("invoices.{tenant}.created")
// is a pattern: every topic matching it, now or created later, is
// consumed, as a Kafka regex or NATS wildcard subscription would.
func (t *MemoryTransport) Consume(ctx context.Context, group string, topics []string, h EventHandler) error {
	if group == "" || len(topics) == 0 {
		return errors.New("memory transport: consume needs a group and topics")
	}
	var exact []string
	var pats []*rtTopicPattern
	for _, name := range topics {
		if !rtIsPattern(name) {
			exact = append(exact, name)
			continue
		}
		p, err := rtCompilePattern(name)
		if err != nil {
			return fmt.Errorf("memory transport: %w", err)
		}
		pats = append(pats, p)
	}
	var wg sync.WaitGroup
	started := map[string]bool{}
	// start runs the workers of a topic; the caller holds mu.
	start := func(name string) {
		if started[name] {
			return
		}
		started[name] = true
		for i, p := range t.topic(name).parts {
			if _, ok := p.committed[group]; !ok {
				p.committed[group] = p.base // a new group starts at the oldest kept message
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				t.work(ctx, group, name, int32(i), p, h)
			}()
		}
	}
	// scan starts the topics that match a pattern; the caller holds mu.
	scan := func() {
		for name := range t.topics {
			for _, p := range pats {
				if _, ok := p.match(name); ok {
					start(name)
					break
				}
			}
		}
	}
	t.mu.Lock()
	if t.closed {
		t.mu.Unlock()
		return errors.New("memory transport closed")
	}
	for _, name := range exact {
		start(name)
	}
	scan()
	wait := t.notify
	t.mu.Unlock()
	for len(pats) > 0 {
		select {
		case <-ctx.Done():
		case <-wait:
			t.mu.Lock()
			if !t.closed {
				scan()
				wait = t.notify
				t.mu.Unlock()
				continue
			}
			t.mu.Unlock()
		}
		break
	}
	wg.Wait()
	return nil
}

func (t *MemoryTransport) work(ctx context.Context, group, topic string, idx int32, p *rtMemPart, h EventHandler) {
	owner := false
	defer func() {
		if owner {
			t.mu.Lock()
			p.owned[group] = false
			t.changed()
			t.mu.Unlock()
		}
	}()
	for {
		t.mu.Lock()
		if t.closed {
			t.mu.Unlock()
			return
		}
		if !owner && !p.owned[group] {
			p.owned[group], owner = true, true
		}
		off := p.committed[group]
		var m EventMessage
		ready := owner && off < p.base+int64(len(p.log))
		if ready {
			m = p.log[off-p.base]
		}
		wait := t.notify
		t.mu.Unlock()
		if !ready {
			select {
			case <-ctx.Done():
				return
			case <-wait:
				continue
			}
		}
		if !t.deliver(ctx, group, topic, idx, off, m, h) {
			return
		}
		t.mu.Lock()
		p.committed[group] = off + 1
		t.changed()
		t.mu.Unlock()
	}
}

// deliver runs h until it succeeds; false means ctx ended first and the
// message stays uncommitted.
func (t *MemoryTransport) deliver(ctx context.Context, group, topic string, idx int32, off int64, m EventMessage, h EventHandler) bool {
	for attempt := 1; ; attempt++ {
		d := &EventDelivery{EventMessage: m, Attempt: attempt, Partition: idx, Offset: off, Group: group}
		d.Headers = maps.Clone(m.Headers)
		err := h(ctx, d)
		if ctx.Err() != nil {
			return false
		}
		if err == nil {
			return true
		}
		timer := time.NewTimer(rtNakDelay(err))
		select {
		case <-ctx.Done():
			timer.Stop()
			return false
		case <-timer.C:
		}
	}
}

// Close stops every consumer.
func (t *MemoryTransport) Close() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if !t.closed {
		t.closed = true
		t.changed()
	}
	return nil
}
