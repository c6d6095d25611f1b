// Package eventsbench holds comparison benchmarks of accord's event
// pipeline (transactional outbox → relay → Kafka → consumer → SQL inbox)
// against Watermill with watermill-sql's outbox forwarder, and of the
// generated consumer's per-message work against a bare franz-go loop.
//
// It is its own module so that Watermill, watermill-sql, watermill-kafka
// and sarama never enter accord's go.mod: nothing in accord imports this
// package. Run it with scripts/bench-events.sh (make bench-events).
package eventsbench
