package runtime

import (
	"container/heap"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"sync"
	"time"
)

// ReplayCache remembers accepted signed messages until they could no longer
// pass the freshness check anyway.
type ReplayCache interface {
	// Seen reports whether id was already recorded and is still live;
	// otherwise it records id until the given time and returns false.
	// A cache that cannot record id (full, unreachable) returns an error,
	// never false: the message is then refused (503), not let through.
	Seen(ctx context.Context, id string, until time.Time) (bool, error)
}

// ReplayForgetter is implemented by replay caches that can drop an entry.
// The server forgets a signed request whose idempotent handling failed (5xx
// or panic, the claim released), so the sender's identical retry is served;
// caches without it refuse such a retry as a replay until the entry expires.
type ReplayForgetter interface {
	Forget(ctx context.Context, id string) error
}

// rtMaxReplayIDLen keeps ids within the shared caches' key column; a longer
// id (a long nonce) is replaced by its SHA-256.
const rtMaxReplayIDLen = 200

func rtReplayKey(id string) string {
	if len(id) <= rtMaxReplayIDLen {
		return id
	}
	sum := sha256.Sum256([]byte(id))
	return "sha256:" + hex.EncodeToString(sum[:])
}

// MemoryReplayCache is a bounded in-process ReplayCache. With several
// replicas, or across restarts, use a shared one (NewSQLReplayCache, or the
// Redis cache of the optional redis runtime file): a replay sent to another
// replica, or after a restart, would not be noticed.
//
// It never forgets a live entry: when full it reclaims expired ones, and
// if none expired it refuses new messages with ErrStoreFull (the server
// answers 503) until some do. Dropping the oldest instead would let an
// attacker who floods it replay a captured message.
type MemoryReplayCache struct {
	mu     sync.Mutex
	limits MemoryLimits
	bytes  int64
	m      map[string]*rtReplayEntry
	byExp  rtReplayHeap
	now    func() time.Time
}

type rtReplayEntry struct {
	id    string
	until time.Time
	index int
}

// rtReplayEntryOverhead approximates an entry's cost besides its id (map
// slot, entry, heap slot); TestMemoryReplayCacheBytes measures it.
const rtReplayEntryOverhead = 128

// NewMemoryReplayCache holds at most max ids (default 200000) within the
// default byte limit (64 MiB).
func NewMemoryReplayCache(max int) *MemoryReplayCache {
	return NewMemoryReplayCacheLimits(MemoryLimits{Entries: max})
}

// NewMemoryReplayCacheLimits holds ids within l.
func NewMemoryReplayCacheLimits(l MemoryLimits) *MemoryReplayCache {
	return &MemoryReplayCache{limits: l.normal(), m: make(map[string]*rtReplayEntry), now: time.Now}
}

// Usage reports the ids held and their accounted bytes.
func (c *MemoryReplayCache) Usage() (entries int, bytes int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.m), c.bytes
}

func (c *MemoryReplayCache) Seen(_ context.Context, id string, until time.Time) (bool, error) {
	now := c.now()
	id = rtReplayKey(id)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[id]; ok {
		if now.Before(e.until) {
			return true, nil
		}
		c.remove(e)
	}
	size := rtReplayEntryOverhead + int64(len(id))
	if !c.fits(size) {
		for c.byExp.Len() > 0 && !now.Before(c.byExp[0].until) {
			c.remove(c.byExp[0])
		}
		if !c.fits(size) {
			wait := rtMaxStoreRetryAfter
			if c.byExp.Len() > 0 {
				wait = min(wait, c.byExp[0].until.Sub(now))
			}
			return false, &StoreFullError{Store: "replay", RetryAfter: max(wait, time.Second)}
		}
	}
	e := &rtReplayEntry{id: id, until: until}
	c.m[id] = e
	c.bytes += size
	heap.Push(&c.byExp, e)
	return false, nil
}

func (c *MemoryReplayCache) Forget(_ context.Context, id string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.m[rtReplayKey(id)]; ok {
		c.remove(e)
	}
	return nil
}

func (c *MemoryReplayCache) fits(size int64) bool {
	return len(c.m) < c.limits.Entries && c.bytes+size <= c.limits.Bytes
}

func (c *MemoryReplayCache) remove(e *rtReplayEntry) {
	delete(c.m, e.id)
	c.bytes -= rtReplayEntryOverhead + int64(len(e.id))
	heap.Remove(&c.byExp, e.index)
}

type rtReplayHeap []*rtReplayEntry

func (h rtReplayHeap) Len() int           { return len(h) }
func (h rtReplayHeap) Less(i, j int) bool { return h[i].until.Before(h[j].until) }
func (h rtReplayHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *rtReplayHeap) Push(x any) {
	e := x.(*rtReplayEntry)
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *rtReplayHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
