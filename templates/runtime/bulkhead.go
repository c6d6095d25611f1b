package runtime

import (
	"sync"
	"sync/atomic"
)

// rtOpState is the per-(Engine, operation) state: breaker and bulkhead.
type rtOpState struct {
	breaker  rtBreaker
	inflight atomic.Int64
}

// rtAcquire takes a bulkhead slot without waiting: a full bulkhead means the
// dependency is already saturated, and queueing would only add latency.
// The limit is passed per call so policy overrides take effect at once.
func (s *rtOpState) rtAcquire(limit int) bool {
	if limit <= 0 {
		return true
	}
	if s.inflight.Add(1) > int64(limit) {
		s.inflight.Add(-1)
		return false
	}
	return true
}

func (s *rtOpState) rtRelease(limit int) {
	if limit > 0 {
		s.inflight.Add(-1)
	}
}

// rtOpStates maps operation IDs to their state. A read-locked map beats
// sync.Map here: string keys stay allocation-free and writes happen once
// per operation.
type rtOpStates struct {
	mu sync.RWMutex
	m  map[string]*rtOpState
}

func (o *rtOpStates) get(id string) *rtOpState {
	o.mu.RLock()
	s := o.m[id]
	o.mu.RUnlock()
	if s != nil {
		return s
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if s = o.m[id]; s == nil {
		if o.m == nil {
			o.m = make(map[string]*rtOpState)
		}
		s = &rtOpState{}
		o.m[id] = s
	}
	return s
}
