package runtime

import (
	"context"

	"github.com/redis/go-redis/v9"
)

// PingRedis checks a Redis client (one the application shares with the
// stores, or any other).
func PingRedis(c redis.Cmdable) Pinger {
	return PingFunc(func(ctx context.Context) error { return c.Ping(ctx).Err() })
}

func (s *RedisIdempotencyStore) Ping(ctx context.Context) error { return s.client.Ping(ctx).Err() }
func (c *RedisReplayCache) Ping(ctx context.Context) error      { return c.client.Ping(ctx).Err() }
