package runtime

import (
	"container/heap"
	"context"
	"errors"
	"sync"
	"time"
)

// MemoryIdempotencyStore keeps records in process: fine for one replica,
// wrong for several (each would run the handler once).
type MemoryIdempotencyStore struct {
	mu  sync.Mutex
	max int
	m   map[rtIdemID]*rtIdemEntry
	// Two heaps, soonest expiry first, so eviction never scans: finished
	// records, and in-flight claims (whose expiry is the end of the lease).
	done     rtIdemHeap
	inflight rtIdemHeap
	now      func() time.Time
}

type rtIdemID struct{ scope, key string }

type rtIdemEntry struct {
	id    rtIdemID
	rec   IdempotencyRecord
	index int // position in done or inflight, by rec.Done
}

// NewMemoryIdempotencyStore holds at most maxEntries records (default
// 10000). When full it drops expired records first, then the finished
// record closest to expiry; in-flight claims are never dropped, so a store
// full of them refuses new claims instead.
func NewMemoryIdempotencyStore(maxEntries int) *MemoryIdempotencyStore {
	if maxEntries <= 0 {
		maxEntries = 10000
	}
	return &MemoryIdempotencyStore{max: maxEntries, m: make(map[rtIdemID]*rtIdemEntry), now: time.Now}
}

func (s *MemoryIdempotencyStore) Claim(_ context.Context, scope, key, fingerprint string, lease, ttl time.Duration) (*IdempotencyRecord, error) {
	now := s.now()
	id := rtIdemID{scope, key}
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[id]; ok {
		if now.Before(e.rec.ExpiresAt) {
			rec := e.rec
			return &rec, nil
		}
		s.remove(e)
	}
	if len(s.m) >= s.max && !s.evict(now) {
		return nil, errors.New("memory idempotency store is full of in-flight requests")
	}
	e := &rtIdemEntry{id: id, rec: IdempotencyRecord{Fingerprint: fingerprint, ExpiresAt: now.Add(lease)}}
	s.m[id] = e
	heap.Push(&s.inflight, e)
	return nil, nil
}

func (s *MemoryIdempotencyStore) Complete(_ context.Context, scope, key string, rec IdempotencyRecord) error {
	now := s.now()
	rec.Done = true
	if rec.ExpiresAt.IsZero() {
		rec.ExpiresAt = now.Add(rtDefaultIdemTTL)
	}
	id := rtIdemID{scope, key}
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[id]
	if ok && (e.rec.Done || e.rec.Fingerprint != rec.Fingerprint) && now.Before(e.rec.ExpiresAt) {
		return nil // someone else's live record: ours lost the lease
	}
	if ok {
		s.remove(e)
	} else if len(s.m) >= s.max && !s.evict(now) {
		return errors.New("memory idempotency store is full of in-flight requests")
	}
	e = &rtIdemEntry{id: id, rec: rec}
	s.m[id] = e
	heap.Push(&s.done, e)
	return nil
}

func (s *MemoryIdempotencyStore) Release(_ context.Context, scope, key string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[rtIdemID{scope, key}]; ok && !e.rec.Done {
		s.remove(e)
	}
	return nil
}

func (s *MemoryIdempotencyStore) remove(e *rtIdemEntry) {
	delete(s.m, e.id)
	if e.rec.Done {
		heap.Remove(&s.done, e.index)
	} else {
		heap.Remove(&s.inflight, e.index)
	}
}

// evict frees at least one slot, reporting whether it could.
func (s *MemoryIdempotencyStore) evict(now time.Time) bool {
	freed := false
	for s.done.Len() > 0 && !now.Before(s.done[0].rec.ExpiresAt) {
		s.remove(s.done[0])
		freed = true
	}
	// Abandoned claims (expired leases) go before any live record.
	for s.inflight.Len() > 0 && !now.Before(s.inflight[0].rec.ExpiresAt) {
		s.remove(s.inflight[0])
		freed = true
	}
	if freed {
		return true
	}
	if s.done.Len() > 0 {
		s.remove(s.done[0])
		return true
	}
	return false
}

type rtIdemHeap []*rtIdemEntry

func (h rtIdemHeap) Len() int           { return len(h) }
func (h rtIdemHeap) Less(i, j int) bool { return h[i].rec.ExpiresAt.Before(h[j].rec.ExpiresAt) }
func (h rtIdemHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}

func (h *rtIdemHeap) Push(x any) {
	e := x.(*rtIdemEntry)
	e.index = len(*h)
	*h = append(*h, e)
}

func (h *rtIdemHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
