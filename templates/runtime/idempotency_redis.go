package runtime

// An optional runtime file of the redis adapter, like replay_redis.go.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisStoreOptions configures NewRedisIdempotencyStore.
type RedisStoreOptions struct {
	Prefix string // key prefix, default "accord:idem:"
}

// RedisIdempotencyStore shares idempotency records between replicas through
// Redis. Each record is a hash that Redis expires itself (at the end of the
// lease, then of the TTL); claims, completions and releases are Lua scripts,
// so each is atomic. Redis must keep what it acknowledged (persistence, no
// eviction policy that drops keys with an expiry such as volatile-lru):
// a record Redis drops early lets a retry run the handler again.
type RedisIdempotencyStore struct {
	client                   redis.Cmdable
	prefix                   string
	claim, complete, release *redis.Script
}

// NewRedisIdempotencyStore uses client; the caller owns and closes it.
func NewRedisIdempotencyStore(client redis.Cmdable, opt RedisStoreOptions) *RedisIdempotencyStore {
	s := &RedisIdempotencyStore{client: client, prefix: opt.Prefix,
		claim: redis.NewScript(rtRedisClaim), complete: redis.NewScript(rtRedisComplete), release: redis.NewScript(rtRedisRelease)}
	if s.prefix == "" {
		s.prefix = "accord:idem:"
	}
	return s
}

// Claim: create the in-flight record unless one is live (Redis drops
// expired ones), else return the live record's fields.
const rtRedisClaim = `
if redis.call('EXISTS', KEYS[1]) == 0 then
  redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'done', '0', 'exp', ARGV[2])
  redis.call('PEXPIREAT', KEYS[1], ARGV[2])
  return false
end
return redis.call('HMGET', KEYS[1], 'fp', 'done', 'status', 'header', 'body', 'exp')`

// Complete: store the answer unless another caller's record is live (a
// finished one, or a claim with another fingerprint: ours lost its lease).
const rtRedisComplete = `
local cur = redis.call('HMGET', KEYS[1], 'fp', 'done')
if cur[1] and (cur[2] == '1' or cur[1] ~= ARGV[1]) then
  return 0
end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'fp', ARGV[1], 'done', '1', 'status', ARGV[2], 'header', ARGV[3], 'body', ARGV[4], 'exp', ARGV[5])
redis.call('PEXPIREAT', KEYS[1], ARGV[5])
return 1`

// Release: drop an unfinished claim, never a finished record.
const rtRedisRelease = `
if redis.call('HGET', KEYS[1], 'done') == '0' then
  redis.call('DEL', KEYS[1])
end
return 1`

// key spells out the lengths so that no (scope, operation, key) triple can
// collide with another.
func (s *RedisIdempotencyStore) key(id IdempotencyID) string {
	return fmt.Sprintf("%s%d:%s|%d:%s|%s", s.prefix, len(id.Scope), id.Scope, len(id.Operation), id.Operation, id.Key)
}

func (s *RedisIdempotencyStore) Claim(ctx context.Context, id IdempotencyID, fingerprint string, lease, ttl time.Duration) (*IdempotencyRecord, error) {
	if s.client == nil {
		return nil, errors.New("redis idempotency store: nil client")
	}
	exp := time.Now().Add(lease).UnixMilli()
	vals, err := s.claim.Run(ctx, s.client, []string{s.key(id)}, fingerprint, exp).Slice()
	if errors.Is(err, redis.Nil) {
		return nil, nil // claimed
	}
	if err != nil {
		return nil, fmt.Errorf("redis idempotency claim %s: %w", id, err)
	}
	rec, err := rtRedisRecord(vals)
	if err != nil {
		return nil, fmt.Errorf("redis idempotency claim %s: %w", id, err)
	}
	return rec, nil
}

func rtRedisRecord(vals []any) (*IdempotencyRecord, error) {
	str := func(i int) string {
		if i < len(vals) {
			if s, ok := vals[i].(string); ok {
				return s
			}
		}
		return ""
	}
	rec := &IdempotencyRecord{Fingerprint: str(0), Done: str(1) == "1"}
	if s := str(2); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil {
			return nil, fmt.Errorf("decode status %q: %w", s, err)
		}
		rec.StatusCode = n
	}
	if h := str(3); h != "" {
		if err := json.Unmarshal([]byte(h), &rec.Header); err != nil {
			return nil, fmt.Errorf("decode headers: %w", err)
		}
	}
	if rec.Done {
		rec.Body = []byte(str(4))
	}
	ms, err := strconv.ParseInt(str(5), 10, 64)
	if err != nil {
		return nil, fmt.Errorf("decode expiry %q: %w", str(5), err)
	}
	rec.ExpiresAt = time.UnixMilli(ms)
	return rec, nil
}

func (s *RedisIdempotencyStore) Complete(ctx context.Context, id IdempotencyID, rec IdempotencyRecord) error {
	if s.client == nil {
		return errors.New("redis idempotency store: nil client")
	}
	if rec.ExpiresAt.IsZero() {
		rec.ExpiresAt = time.Now().Add(rtDefaultIdemTTL)
	}
	h := rec.Header
	if h == nil {
		h = http.Header{}
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("redis idempotency complete %s: encode headers: %w", id, err)
	}
	err = s.complete.Run(ctx, s.client, []string{s.key(id)}, rec.Fingerprint, rec.StatusCode, string(hj), rec.Body, rec.ExpiresAt.UnixMilli()).Err()
	if err != nil {
		return fmt.Errorf("redis idempotency complete %s: %w", id, err)
	}
	return nil
}

func (s *RedisIdempotencyStore) Release(ctx context.Context, id IdempotencyID) error {
	if s.client == nil {
		return errors.New("redis idempotency store: nil client")
	}
	if err := s.release.Run(ctx, s.client, []string{s.key(id)}).Err(); err != nil {
		return fmt.Errorf("redis idempotency release %s: %w", id, err)
	}
	return nil
}
