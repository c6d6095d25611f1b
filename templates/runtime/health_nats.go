package runtime

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// PingNATS checks a NATS connection with a round trip to the server (a
// connection that is reconnecting answers at once that it is not ready).
func PingNATS(nc *nats.Conn) Pinger {
	return PingFunc(func(ctx context.Context) error {
		if st := nc.Status(); st != nats.CONNECTED {
			return fmt.Errorf("nats: connection %s", st)
		}
		if _, ok := ctx.Deadline(); !ok {
			// nats.go refuses a flush without a deadline.
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
		}
		if err := nc.FlushWithContext(ctx); err != nil {
			return fmt.Errorf("nats: %w", err)
		}
		return nil
	})
}

func (t *NATSTransport) Ping(ctx context.Context) error { return PingNATS(t.opt.Conn).Ping(ctx) }
