package mock

import (
	"crypto/sha256"
	"net/http"
	"sync"
)

// idemID scopes a key by the caller's credential and the operation, as the
// generated server does, so two partners cannot see each other's answers.
type idemID struct {
	scope, op, key string
}

type idemRecord struct {
	digest [32]byte
	done   bool
	rep    reply
}

// idemStore remembers answers per key, bounded: past maxIdem records the
// oldest are forgotten.
type idemStore struct {
	mu    sync.Mutex
	recs  map[idemID]*idemRecord
	order []idemID
}

const maxIdem = 100000

func newIdemStore() *idemStore { return &idemStore{recs: map[idemID]*idemRecord{}} }

// do answers a keyed request: a first request runs produce and its answer is
// stored; a repeat with the same body replays it with Idempotent-Replayed;
// another body under the key is 422, a repeat while the first runs 409.
func (st *idemStore) do(id idemID, body []byte, produce func() reply) (reply, bool) {
	digest := sha256.Sum256(body)
	st.mu.Lock()
	if rec, ok := st.recs[id]; ok {
		st.mu.Unlock()
		switch {
		case rec.digest != digest:
			return problem(http.StatusUnprocessableEntity, "this Idempotency-Key was used with another request body", nil), false
		case !rec.done:
			return problem(http.StatusConflict, "a request with this Idempotency-Key is still in progress", nil), false
		}
		rep := rec.rep
		rep.header = rep.header.Clone()
		rep.header.Set("Idempotent-Replayed", "true")
		return rep, true
	}
	rec := &idemRecord{digest: digest}
	st.recs[id] = rec
	st.order = append(st.order, id)
	if len(st.order) > maxIdem {
		drop := st.order[:maxIdem/10]
		for _, k := range drop {
			delete(st.recs, k)
		}
		st.order = append([]idemID(nil), st.order[len(drop):]...)
	}
	st.mu.Unlock()

	rep := produce()
	st.mu.Lock()
	defer st.mu.Unlock()
	if rep.status >= 500 {
		// A failure is not an outcome to replay: the retry may succeed.
		delete(st.recs, id)
		return rep, false
	}
	rec.rep, rec.done = rep, true
	return rep, false
}
