package runtime

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
)

// The client's side of idempotency, for providers that offer none
// (IdempotencyClient): each logical call is recorded before it is sent, so a
// duplicate is answered from the record and an attempt whose outcome is not
// known is never sent again blindly.

var (
	// ErrOutcomeUnknown: an attempt may have reached the provider (a
	// timeout or a connection error after the request left, a 5xx that may
	// follow the effect) and the provider offers no way to deduplicate, so
	// the call is not repeated. errors.As finds the *OutcomeUnknownError
	// with the call's reference; settle it after looking the effect up
	// (Engine.Settle, or the generated Settle<Operation>).
	ErrOutcomeUnknown = errors.New("accord: outcome unknown; not repeated")
	// ErrCallInFlight: the same logical call (same key, or same operation,
	// target and body) is running right now. Duplicates fail fast rather
	// than wait: the first call's own deadline may be long, and a caller
	// who retries later gets the recorded outcome.
	ErrCallInFlight = errors.New("accord: the same call is in flight")
	// ErrAlreadySettled: the call was settled as having happened (Settle)
	// without a recorded response to hand back.
	ErrAlreadySettled = errors.New("accord: the call was settled as done; no response recorded")
	// ErrCallStoreFull: the store cannot take another record; the call is
	// refused unsent rather than made unrecorded.
	ErrCallStoreFull = errors.New("accord: client call store full")
)

// OutcomeUnknownError says which call's outcome is unknown. errors.Is(err,
// ErrOutcomeUnknown) holds, and Cause (a timeout, a transport error, the
// caller's cancellation) stays reachable through errors.Is/As.
type OutcomeUnknownError struct {
	Operation string
	Key       string // the record key: the caller's, or a hash of the request
	Reference string // random id of the logical call
	Status    int    // the response status when a 5xx left the outcome open, else 0
	Cause     error
}

func (e *OutcomeUnknownError) Error() string {
	var b strings.Builder
	b.WriteString("accord: outcome unknown (reference ")
	b.WriteString(e.Reference)
	b.WriteString("); not repeated")
	if e.Cause != nil {
		b.WriteString(": ")
		b.WriteString(e.Cause.Error())
	}
	return b.String()
}

func (e *OutcomeUnknownError) Is(target error) bool { return target == ErrOutcomeUnknown }
func (e *OutcomeUnknownError) Unwrap() error        { return e.Cause }

// CallState is where a recorded client call stands.
type CallState int

const (
	CallInFlight CallState = iota + 1
	CallDone               // Status, Header and Body hold the outcome (Status 0: settled without one)
	CallUnknown            // sent, outcome not known; only Settle changes it
)

// CallRecord is one logical call of an IdempotencyClient operation.
type CallRecord struct {
	Reference string
	State     CallState
	Status    int
	Header    http.Header
	Body      []byte
	// LeaseUntil ends an in-flight record's claim: a record still in
	// flight after it belongs to a caller that died mid-call, so its
	// outcome is unknown (stores report it as CallUnknown).
	LeaseUntil time.Time
}

// ClientCallStore keeps client call records. Implementations must be safe
// for concurrent use and, when shared, atomic across processes: Begin is the
// one step that decides which of two racing duplicates sends.
type ClientCallStore interface {
	// Begin stores rec (in flight) under (operation, key) unless a live
	// record is there; then it returns that record and created == false.
	Begin(ctx context.Context, operation, key string, rec CallRecord, ttl time.Duration) (existing CallRecord, created bool, err error)
	// Finish replaces the record if its Reference is rec.Reference.
	Finish(ctx context.Context, operation, key string, rec CallRecord, ttl time.Duration) error
	// Forget deletes the record if its reference is ref: the provider
	// declined the call (or Settle said it never happened), so it may be
	// made again.
	Forget(ctx context.Context, operation, key, ref string) error
}

// MemoryCallStoreOptions bound a MemoryCallStore; zero values take defaults.
type MemoryCallStoreOptions struct {
	MaxEntries int   // default 10,000
	MaxBytes   int64 // bodies, headers and keys; default 64 MiB
	Now        func() time.Time
}

// MemoryCallStore is the default ClientCallStore: one process, bounded by
// entries and bytes. When full it fails closed (ErrCallStoreFull) and never
// evicts a live record, which would let a duplicate through.
type MemoryCallStore struct {
	mu         sync.Mutex
	recs       map[rtCallKey]rtMemCall
	bytes      int64
	maxEntries int
	maxBytes   int64
	now        func() time.Time
}

type rtCallKey struct{ op, key string }

type rtMemCall struct {
	rec     CallRecord
	expires time.Time
	size    int64
}

func NewMemoryCallStore(o MemoryCallStoreOptions) *MemoryCallStore {
	s := &MemoryCallStore{recs: map[rtCallKey]rtMemCall{}, maxEntries: o.MaxEntries, maxBytes: o.MaxBytes, now: o.Now}
	if s.maxEntries <= 0 {
		s.maxEntries = 10_000
	}
	if s.maxBytes <= 0 {
		s.maxBytes = 64 << 20
	}
	if s.now == nil {
		s.now = time.Now
	}
	return s
}

func rtCallRecordSize(op, key string, r *CallRecord) int64 {
	n := int64(256 + len(op) + len(key) + len(r.Reference) + len(r.Body)) // 256: map entry and struct overhead
	for k, vv := range r.Header {
		n += int64(len(k))
		for _, v := range vv {
			n += int64(len(v)) + 16
		}
	}
	return n
}

// rtLive reports an in-flight record past its lease as unknown.
func rtLive(r CallRecord, now time.Time) CallRecord {
	if r.State == CallInFlight && !r.LeaseUntil.IsZero() && now.After(r.LeaseUntil) {
		r.State = CallUnknown
	}
	return r
}

func (s *MemoryCallStore) Begin(_ context.Context, op, key string, rec CallRecord, ttl time.Duration) (CallRecord, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	k := rtCallKey{op, key}
	if cur, ok := s.recs[k]; ok {
		if now.Before(cur.expires) {
			return rtLive(cur.rec, now), false, nil
		}
		s.drop(k, cur)
	}
	size := rtCallRecordSize(op, key, &rec)
	if len(s.recs) >= s.maxEntries || s.bytes+size > s.maxBytes {
		s.sweep(now)
		if len(s.recs) >= s.maxEntries || s.bytes+size > s.maxBytes {
			return CallRecord{}, false, ErrCallStoreFull
		}
	}
	s.recs[k] = rtMemCall{rec: rec, expires: now.Add(ttl), size: size}
	s.bytes += size
	return CallRecord{}, true, nil
}

func (s *MemoryCallStore) Finish(_ context.Context, op, key string, rec CallRecord, ttl time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := rtCallKey{op, key}
	cur, ok := s.recs[k]
	if !ok || cur.rec.Reference != rec.Reference {
		return errors.New("client call store: no record of this call (expired or settled)")
	}
	size := rtCallRecordSize(op, key, &rec)
	if s.bytes-cur.size+size > s.maxBytes {
		// The outcome does not fit: keep what is true without it.
		rec = CallRecord{Reference: rec.Reference, State: CallUnknown}
		size = rtCallRecordSize(op, key, &rec)
		s.bytes += size - cur.size
		s.recs[k] = rtMemCall{rec: rec, expires: s.now().Add(ttl), size: size}
		return ErrCallStoreFull
	}
	s.bytes += size - cur.size
	s.recs[k] = rtMemCall{rec: rec, expires: s.now().Add(ttl), size: size}
	return nil
}

func (s *MemoryCallStore) Forget(_ context.Context, op, key, ref string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := rtCallKey{op, key}
	if cur, ok := s.recs[k]; ok && cur.rec.Reference == ref {
		s.drop(k, cur)
	}
	return nil
}

// Len reports how many records the store holds (expired ones included
// until a sweep), for tests and metrics.
func (s *MemoryCallStore) Len() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.recs)
}

func (s *MemoryCallStore) drop(k rtCallKey, cur rtMemCall) {
	delete(s.recs, k)
	s.bytes -= cur.size
}

// sweep removes expired records; it runs only when the store is full, so a
// store below its bounds costs nothing per call.
func (s *MemoryCallStore) sweep(now time.Time) {
	for k, cur := range s.recs {
		if !now.Before(cur.expires) {
			s.drop(k, cur)
		}
	}
}
