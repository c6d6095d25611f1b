package runtime

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func redisStore(t *testing.T) (*RedisIdempotencyStore, func() *RedisIdempotencyStore) {
	t.Helper()
	rdb := openRedis(t)
	prefix := fmt.Sprintf("accord:test:idem:%d:%d:", time.Now().UnixNano(), os.Getpid())
	t.Cleanup(func() {
		keys, _ := rdb.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(context.Background(), keys...)
		}
	})
	replica := func() *RedisIdempotencyStore {
		c := redis.NewClient(&redis.Options{Addr: rdb.Options().Addr})
		t.Cleanup(func() { c.Close() })
		return NewRedisIdempotencyStore(c, RedisStoreOptions{Prefix: prefix})
	}
	return replica(), replica
}

func TestRedisStoreLifecycle(t *testing.T) {
	s, _ := redisStore(t)
	ctx := context.Background()
	id := IdempotencyID{Scope: "principal:bearer:a", Operation: "op", Key: "k"}
	if rec, err := s.Claim(ctx, id, "fp", time.Minute, time.Hour); rec != nil || err != nil {
		t.Fatalf("claim: %v %v", rec, err)
	}
	if rec, err := s.Claim(ctx, id, "fp", time.Minute, time.Hour); err != nil || rec == nil || rec.Done || rec.Fingerprint != "fp" {
		t.Fatalf("in flight: %+v %v", rec, err)
	}
	// Another scope, another operation: other records.
	for _, other := range []IdempotencyID{{Scope: "principal:bearer:b", Operation: "op", Key: "k"}, {Scope: id.Scope, Operation: "op2", Key: "k"}} {
		if rec, err := s.Claim(ctx, other, "fp", time.Minute, time.Hour); rec != nil || err != nil {
			t.Fatalf("%v sees another record: %+v %v", other, rec, err)
		}
	}
	hdr := http.Header{"Location": {"/p/1"}}
	body := []byte{0, 1, 0xff, '{'}
	exp := time.Now().Add(time.Hour)
	if err := s.Complete(ctx, id, IdempotencyRecord{Fingerprint: "fp", StatusCode: 201, Header: hdr, Body: body, ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	rec, err := s.Claim(ctx, id, "fp", time.Minute, time.Hour)
	if err != nil || rec == nil || !rec.Done || rec.StatusCode != 201 || string(rec.Body) != string(body) || rec.Header.Get("Location") != "/p/1" || rec.ExpiresAt.UnixMilli() != exp.UnixMilli() {
		t.Fatalf("done record %+v %v", rec, err)
	}
	_ = s.Release(ctx, id)
	if rec, _ := s.Claim(ctx, id, "fp", time.Minute, time.Hour); rec == nil || !rec.Done {
		t.Fatal("release dropped a finished record")
	}
	// A stale owner's Complete does not overwrite a live record.
	if err := s.Complete(ctx, id, IdempotencyRecord{Fingerprint: "other", StatusCode: 200, ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	if rec, _ := s.Claim(ctx, id, "fp", time.Minute, time.Hour); rec == nil || rec.StatusCode != 201 {
		t.Fatalf("overwritten: %+v", rec)
	}
	// Release frees a claim; a lease ends by itself (Redis expires it).
	id2 := IdempotencyID{Operation: "op", Key: "k2"}
	_, _ = s.Claim(ctx, id2, "fp", time.Minute, time.Hour)
	_ = s.Release(ctx, id2)
	if rec, err := s.Claim(ctx, id2, "fp", 150*time.Millisecond, time.Hour); rec != nil || err != nil {
		t.Fatalf("after release: %+v %v", rec, err)
	}
	time.Sleep(250 * time.Millisecond)
	if rec, err := s.Claim(ctx, id2, "fp2", time.Minute, time.Hour); rec != nil || err != nil {
		t.Fatalf("after the lease: %+v %v", rec, err)
	}
	// Complete after the claim vanished still stores the answer.
	id3 := IdempotencyID{Operation: "op", Key: "k3"}
	if err := s.Complete(ctx, id3, IdempotencyRecord{Fingerprint: "fp", StatusCode: 202, ExpiresAt: exp}); err != nil {
		t.Fatal(err)
	}
	if rec, _ := s.Claim(ctx, id3, "fp", time.Minute, time.Hour); rec == nil || rec.StatusCode != 202 || len(rec.Body) != 0 {
		t.Fatalf("orphan complete: %+v", rec)
	}
}

func TestRedisStoreRacingReplicas(t *testing.T) {
	_, replica := redisStore(t)
	a, b := replica(), replica()
	ctx := context.Background()
	var owners atomic.Int32
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := 0; i < 40; i++ {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			rec, err := s.Claim(ctx, IdempotencyID{Operation: "createPayment", Key: "race"}, "fp", time.Minute, time.Hour)
			if err != nil {
				t.Error(err)
			} else if rec == nil {
				owners.Add(1)
			}
		}()
	}
	close(start)
	wg.Wait()
	if owners.Load() != 1 {
		t.Fatalf("%d owners", owners.Load())
	}
}

func TestRedisStoreThroughChain(t *testing.T) {
	store, _ := redisStore(t)
	s, _ := testSettings()
	s.Idempotency = store
	var runs atomic.Int32
	url, _ := idemServerWith(t, s, func(w http.ResponseWriter, r *http.Request) {
		runs.Add(1)
		w.WriteHeader(201)
	})
	for i := 0; i < 3; i++ {
		req := mustReq("POST", url, `{"a":1}`)
		req.Header.Set("Idempotency-Key", "chain-key")
		if resp := do(t, req); resp.StatusCode != 201 || (i > 0) != (resp.Header.Get("Idempotent-Replayed") == "true") {
			t.Fatalf("request %d: %d %v", i, resp.StatusCode, resp.Header)
		}
	}
	if runs.Load() != 1 {
		t.Fatalf("%d runs", runs.Load())
	}
}
