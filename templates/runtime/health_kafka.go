package runtime

import (
	"context"
	"fmt"
)

// Ping asks the brokers for metadata through the producer: it fails when
// none of them answers.
func (k *KafkaTransport) Ping(ctx context.Context) error {
	if err := k.producer.Ping(ctx); err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	return nil
}
