package runtime

// This file is an optional runtime file: generated packages get it only
// when the integration asks for "redis" (accord.yaml generate: [..., redis],
// or --generate ...,redis), so that nobody else imports a Redis client.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisReplayOptions configures NewRedisReplayCache.
type RedisReplayOptions struct {
	Prefix string // key prefix, default "accord:replay:"
	// ClockSkew is added to every entry's expiry (default 5s): Redis
	// expires keys by its own clock, the servers judge freshness by
	// theirs, and an entry must outlive the window on either.
	ClockSkew time.Duration
}

// RedisReplayCache shares accepted signatures between replicas and across
// restarts through Redis: one SET NX with an absolute expiry per message,
// so Redis itself forgets entries once they could not pass the freshness
// check anyway. Any Redis error refuses the message (503), never accepts it.
type RedisReplayCache struct {
	client redis.Cmdable
	prefix string
	skew   time.Duration
}

// NewRedisReplayCache uses client (a *redis.Client, *redis.ClusterClient
// or any redis.Cmdable); the caller owns and closes it.
func NewRedisReplayCache(client redis.Cmdable, opt RedisReplayOptions) *RedisReplayCache {
	c := &RedisReplayCache{client: client, prefix: opt.Prefix, skew: opt.ClockSkew}
	if c.prefix == "" {
		c.prefix = "accord:replay:"
	}
	if c.skew <= 0 {
		c.skew = 5 * time.Second
	}
	return c
}

func (c *RedisReplayCache) Seen(ctx context.Context, id string, until time.Time) (bool, error) {
	if c.client == nil {
		return false, errors.New("redis replay cache: nil client")
	}
	// SET key 1 NX PXAT until: atomic insert-if-absent with Redis's own expiry.
	err := c.client.SetArgs(ctx, c.prefix+rtReplayKey(id), 1, redis.SetArgs{Mode: "NX", ExpireAt: until.Add(c.skew)}).Err()
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, redis.Nil):
		return true, nil // NX refused: the key is live
	default:
		return false, fmt.Errorf("redis replay cache: %w", err)
	}
}

// Forget drops id (see ReplayForgetter).
func (c *RedisReplayCache) Forget(ctx context.Context, id string) error {
	if c.client == nil {
		return errors.New("redis replay cache: nil client")
	}
	if err := c.client.Del(ctx, c.prefix+rtReplayKey(id)).Err(); err != nil {
		return fmt.Errorf("redis replay cache: forget: %w", err)
	}
	return nil
}
