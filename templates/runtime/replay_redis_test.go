package runtime

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

func openRedis(t *testing.T) *redis.Client {
	t.Helper()
	addr := os.Getenv("ACCORD_TEST_REDIS_ADDR")
	if addr == "" {
		addr = "127.0.0.1:6379"
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	err := c.Ping(ctx).Err()
	cancel()
	if err != nil {
		c.Close()
		if os.Getenv("CI") == "true" {
			t.Fatalf("Redis unreachable at %s: %v", addr, err)
		}
		t.Skipf("Redis unreachable at %s (set ACCORD_TEST_REDIS_ADDR; CI=true makes this fatal): %v", addr, err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestRedisReplayCacheReplicasAndRestart(t *testing.T) {
	rdb := openRedis(t)
	prefix := fmt.Sprintf("accord:test:%d:%d:", time.Now().UnixNano(), os.Getpid())
	t.Cleanup(func() {
		ctx := context.Background()
		keys, _ := rdb.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	newCache := func() ReplayCache {
		// Each replica has its own connection pool, as separate processes would.
		c := redis.NewClient(&redis.Options{Addr: rdb.Options().Addr})
		t.Cleanup(func() { c.Close() })
		return NewRedisReplayCache(c, RedisReplayOptions{Prefix: prefix, ClockSkew: time.Millisecond})
	}
	// Redis expires entries by its own clock: wait past until.
	testSharedReplayCache(t, newCache, time.Now, func(until time.Time) { time.Sleep(time.Until(until) + 50*time.Millisecond) })
	ttl, err := rdb.PTTL(context.Background(), prefix+"partner|a|nonce-1").Result()
	if err != nil || ttl <= 0 || ttl > time.Minute+time.Second {
		t.Fatalf("entry expiry %v %v", ttl, err)
	}
}

func TestRedisReplayCacheFailsClosed(t *testing.T) {
	// Nothing listens here: the error must refuse the message, not accept it.
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	defer c.Close()
	seen, err := NewRedisReplayCache(c, RedisReplayOptions{}).Seen(context.Background(), "id", time.Now().Add(time.Minute))
	if err == nil || seen {
		t.Fatalf("unreachable Redis: seen %v err %v", seen, err)
	}
	if _, err := NewRedisReplayCache(nil, RedisReplayOptions{}).Seen(context.Background(), "id", time.Now()); err == nil {
		t.Fatal("nil client accepted")
	}
}
