package runtime

import (
	"context"
	"sync"
	"time"
)

// ReplayCache remembers accepted signed messages until they could no longer
// pass the freshness check anyway.
type ReplayCache interface {
	// Seen reports whether id was already recorded and is still live;
	// otherwise it records id until the given time and returns false.
	Seen(ctx context.Context, id string, until time.Time) (bool, error)
}

// MemoryReplayCache is a bounded in-process ReplayCache. With several
// replicas, use a shared implementation instead: a replay sent to another
// replica would not be noticed.
type MemoryReplayCache struct {
	mu    sync.Mutex
	max   int
	m     map[string]time.Time
	order []rtReplayEntry // insertion order; entries expire roughly in this order
	head  int
	now   func() time.Time
}

type rtReplayEntry struct {
	id    string
	until time.Time
}

// NewMemoryReplayCache holds at most max ids (default 100000). When full the
// oldest entry is dropped: under a flood, forgetting the oldest message is
// the least harmful choice, since it is also the closest to going stale.
func NewMemoryReplayCache(max int) *MemoryReplayCache {
	if max <= 0 {
		max = 100000
	}
	return &MemoryReplayCache{max: max, m: make(map[string]time.Time), now: time.Now}
}

func (c *MemoryReplayCache) Seen(_ context.Context, id string, until time.Time) (bool, error) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if u, ok := c.m[id]; ok && now.Before(u) {
		return true, nil
	}
	for c.head < len(c.order) {
		e := c.order[c.head]
		if now.Before(e.until) && len(c.m) < c.max {
			break
		}
		if u, ok := c.m[e.id]; ok && u.Equal(e.until) {
			delete(c.m, e.id)
		}
		c.order[c.head] = rtReplayEntry{}
		c.head++
	}
	if c.head > len(c.order)/2 {
		n := copy(c.order, c.order[c.head:])
		clear(c.order[n:])
		c.order = c.order[:n]
		c.head = 0
	}
	c.m[id] = until
	c.order = append(c.order, rtReplayEntry{id: id, until: until})
	return false, nil
}
