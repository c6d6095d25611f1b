package runtime

import (
	"bytes"
	"container/heap"
	"context"
	"net/http"
	"sync"
	"time"
)

// MemoryLimits bound an in-memory store by entries and by bytes (keys,
// fingerprints, stored headers and bodies, plus a fixed per-entry cost).
// Zero fields take the defaults.
type MemoryLimits struct {
	Entries int   // default 200000
	Bytes   int64 // default 64 MiB
}

const (
	rtDefaultMemEntries = 200000
	rtDefaultMemBytes   = 64 << 20
	// rtMemEntryOverhead approximates what an entry costs besides its
	// strings and body: the map slot, the entry struct, the heap slot
	// (TestMemoryStoreBytesPerRecord measures it).
	rtMemEntryOverhead  = 256
	rtMemHeaderOverhead = 320
	// rtMaxStoreRetryAfter caps the Retry-After a full store suggests: its
	// soonest expiry may be hours away, but Releases free room sooner.
	rtMaxStoreRetryAfter = time.Minute
)

func (l MemoryLimits) normal() MemoryLimits {
	if l.Entries <= 0 {
		l.Entries = rtDefaultMemEntries
	}
	if l.Bytes <= 0 {
		l.Bytes = rtDefaultMemBytes
	}
	return l
}

// MemoryIdempotencyStore keeps records in process: fine for one replica,
// wrong for several (each would run the handler once).
//
// It never drops an unexpired record. When full, it reclaims expired
// records and abandoned claims; if that frees nothing, Claim fails with
// ErrStoreFull (the server answers 503) until records expire. A Complete is
// always kept, even past the byte limit: its claim was admitted, and
// dropping the answer would let a retry run the handler again; the excess
// only delays new claims.
type MemoryIdempotencyStore struct {
	mu     sync.Mutex
	limits MemoryLimits
	bytes  int64
	m      map[IdempotencyID]*rtIdemEntry
	byExp  rtIdemHeap // soonest expiry first, so reclaiming never scans
	now    func() time.Time
}

type rtIdemEntry struct {
	id    IdempotencyID
	rec   IdempotencyRecord
	size  int64
	index int // position in byExp
}

// NewMemoryIdempotencyStore holds at most maxEntries records (default
// 200000) and the default byte limit (64 MiB).
func NewMemoryIdempotencyStore(maxEntries int) *MemoryIdempotencyStore {
	return NewMemoryIdempotencyStoreLimits(MemoryLimits{Entries: maxEntries})
}

// NewMemoryIdempotencyStoreLimits holds records within l.
func NewMemoryIdempotencyStoreLimits(l MemoryLimits) *MemoryIdempotencyStore {
	return &MemoryIdempotencyStore{limits: l.normal(), m: make(map[IdempotencyID]*rtIdemEntry), now: time.Now}
}

// Usage reports the entries held and their accounted bytes.
func (s *MemoryIdempotencyStore) Usage() (entries int, bytes int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.m), s.bytes
}

func rtHeaderSize(h http.Header) int64 {
	if len(h) == 0 {
		return 0
	}
	n := int64(rtMemHeaderOverhead) // the map's own table
	for k, vv := range h {
		n += int64(len(k)) + 16
		for _, v := range vv {
			n += int64(len(v)) + 16
		}
	}
	return n
}

func rtIdemSize(id IdempotencyID, rec *IdempotencyRecord) int64 {
	return rtMemEntryOverhead + int64(len(id.Scope)+len(id.Operation)+len(id.Key)+len(rec.Fingerprint)+len(rec.Body)) + rtHeaderSize(rec.Header)
}

func (s *MemoryIdempotencyStore) Claim(_ context.Context, id IdempotencyID, fingerprint string, lease, ttl time.Duration) (*IdempotencyRecord, error) {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[id]; ok {
		if now.Before(e.rec.ExpiresAt) {
			rec := e.rec
			return &rec, nil
		}
		s.remove(e)
	}
	e := &rtIdemEntry{id: id, rec: IdempotencyRecord{Fingerprint: fingerprint, ExpiresAt: now.Add(lease)}}
	e.size = rtIdemSize(id, &e.rec)
	if !s.fits(e.size) {
		s.reclaim(now)
		if !s.fits(e.size) {
			return nil, s.full(now)
		}
	}
	s.add(e)
	return nil, nil
}

func (s *MemoryIdempotencyStore) fits(size int64) bool {
	return len(s.m) < s.limits.Entries && s.bytes+size <= s.limits.Bytes
}

func (s *MemoryIdempotencyStore) full(now time.Time) error {
	wait := rtMaxStoreRetryAfter
	if s.byExp.Len() > 0 {
		wait = min(wait, s.byExp[0].rec.ExpiresAt.Sub(now))
	}
	return &StoreFullError{Store: "idempotency", RetryAfter: max(wait, time.Second)}
}

func (s *MemoryIdempotencyStore) Complete(_ context.Context, id IdempotencyID, rec IdempotencyRecord) error {
	now := s.now()
	rec.Done = true
	if rec.ExpiresAt.IsZero() {
		rec.ExpiresAt = now.Add(rtDefaultIdemTTL)
	}
	// The caller's buffer may be much larger than the body; keep (and
	// account for) only the body.
	rec.Body = bytes.Clone(rec.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[id]
	if ok && (e.rec.Done || e.rec.Fingerprint != rec.Fingerprint) && now.Before(e.rec.ExpiresAt) {
		return nil // someone else's live record: ours lost the lease
	}
	if ok {
		s.remove(e)
	}
	e = &rtIdemEntry{id: id, rec: rec}
	e.size = rtIdemSize(id, &e.rec)
	if !s.fits(e.size) {
		s.reclaim(now)
	}
	s.add(e)
	return nil
}

func (s *MemoryIdempotencyStore) Release(_ context.Context, id IdempotencyID) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[id]; ok && !e.rec.Done {
		s.remove(e)
	}
	return nil
}

func (s *MemoryIdempotencyStore) add(e *rtIdemEntry) {
	s.m[e.id] = e
	s.bytes += e.size
	heap.Push(&s.byExp, e)
}

func (s *MemoryIdempotencyStore) remove(e *rtIdemEntry) {
	delete(s.m, e.id)
	s.bytes -= e.size
	heap.Remove(&s.byExp, e.index)
}

// reclaim drops expired records (finished ones past their TTL and claims
// whose lease ended), and nothing else.
func (s *MemoryIdempotencyStore) reclaim(now time.Time) {
	for s.byExp.Len() > 0 && !now.Before(s.byExp[0].rec.ExpiresAt) {
		s.remove(s.byExp[0])
	}
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
