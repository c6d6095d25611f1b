package eventsbench

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/IBM/sarama"
	"github.com/ThreeDotsLabs/watermill"
	wmkafka "github.com/ThreeDotsLabs/watermill-kafka/v3/pkg/kafka"
	wmsql "github.com/ThreeDotsLabs/watermill-sql/v4/pkg/sql"
	"github.com/ThreeDotsLabs/watermill/components/forwarder"
	"github.com/ThreeDotsLabs/watermill/message"
)

// wmKafka makes the Kafka side of a Watermill run: the forwarder's
// publisher and the consumer's subscriber.
type wmKafka func(tb testing.TB, brokers []string, group string) (message.Publisher, message.Subscriber)

// wmOverFranz is Watermill on the franz-go adapter (wmfranz_test.go).
func wmOverFranz(tb testing.TB, brokers []string, group string) (message.Publisher, message.Subscriber) {
	tb.Helper()
	pub, err := newWMFranzPublisher(brokers)
	if err != nil {
		tb.Fatal(err)
	}
	return pub, newWMFranzSubscriber(brokers, group)
}

// wmOverSarama is Watermill as shipped: watermill-kafka v3 on sarama, with
// its default configurations (a sync producer; the consumer group starting
// at the oldest offset). The record key is the "key" metadata, so one
// customer's events stay on one partition as with accord.
func wmOverSarama(tb testing.TB, brokers []string, group string) (message.Publisher, message.Subscriber) {
	tb.Helper()
	marshaler := wmkafka.NewWithPartitioningMarshaler(func(_ string, m *message.Message) (string, error) {
		return m.Metadata.Get("key"), nil
	})
	pcfg := wmkafka.DefaultSaramaSyncPublisherConfig()
	pcfg.Producer.Partitioner = sarama.NewHashPartitioner
	pub, err := wmkafka.NewPublisher(wmkafka.PublisherConfig{Brokers: brokers, Marshaler: marshaler, OverwriteSaramaConfig: pcfg}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	scfg := wmkafka.DefaultSaramaSubscriberConfig()
	scfg.Consumer.Offsets.Initial = sarama.OffsetOldest
	sub, err := wmkafka.NewSubscriber(wmkafka.SubscriberConfig{Brokers: brokers, Unmarshaler: marshaler, ConsumerGroup: group, OverwriteSaramaConfig: scfg}, nil)
	if err != nil {
		tb.Fatal(err)
	}
	return pub, sub
}

// runWatermill does accord's work the Watermill way: the producers publish
// through watermill-sql's publisher on their own transaction, wrapped in
// the forwarder's envelope publisher (the outbox table is the forwarder
// topic's table); the forwarder subscribes to that table with
// watermill-sql's subscriber and publishes each message to Kafka; a router
// handler consumes from Kafka and, in one transaction per message, records
// (group, uuid) in an inbox table (ON CONFLICT DO NOTHING) and writes the
// effect. Watermill has no SQL inbox of its own, so the handler does it as
// an application would.
func runWatermill(tb testing.TB, db *sql.DB, n int, who string, kafka wmKafka) time.Duration {
	tb.Helper()
	const topic = "watermill"
	t := newTables(tb, db, who)
	cl := newCluster(tb, topic)
	ctx := context.Background()
	logger := watermill.NopLogger{}

	schema := wmsql.DefaultPostgreSQLSchema{
		GenerateMessagesTableName: func(topic string) string { return `"` + t.prefix + "_" + topic + `"` },
		// The relay's batch size in accord's run.
		SubscribeBatchSize: 200,
	}
	offsets := wmsql.DefaultPostgreSQLOffsetsAdapter{
		GenerateMessagesOffsetsTableName: func(topic string) string { return `"` + t.prefix + "_offsets_" + topic + `"` },
	}
	const fwdTopic = "outbox"
	outboxSub, err := wmsql.NewSubscriber(wmsql.BeginnerFromStdSQL(db), wmsql.SubscriberConfig{
		ConsumerGroup:    "forwarder",
		PollInterval:     5 * time.Millisecond, // accord's relay polls at 5 ms too
		SchemaAdapter:    schema,
		OffsetsAdapter:   offsets,
		InitializeSchema: true,
	}, logger)
	if err != nil {
		tb.Fatal(err)
	}
	if err := outboxSub.SubscribeInitialize(fwdTopic); err != nil {
		tb.Fatal(err)
	}
	kpub, ksub := kafka(tb, cl.ListenAddrs(), "watermill")
	fwd, err := forwarder.NewForwarder(outboxSub, kpub, logger, forwarder.Config{ForwarderTopic: fwdTopic, CloseTimeout: 10 * time.Second})
	if err != nil {
		tb.Fatal(err)
	}

	if _, err := db.Exec("CREATE TABLE " + t.inbox + " (consumer_group VARCHAR(255) NOT NULL, message_id VARCHAR(255) NOT NULL, processed_at BIGINT NOT NULL, PRIMARY KEY (consumer_group, message_id))"); err != nil {
		tb.Fatal(err)
	}
	qInbox := "INSERT INTO " + t.inbox + " (consumer_group, message_id, processed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
	qEffect := "INSERT INTO " + t.effect + " (message_id) VALUES ($1)"
	router, err := message.NewRouter(message.RouterConfig{CloseTimeout: 10 * time.Second}, logger)
	if err != nil {
		tb.Fatal(err)
	}
	router.AddConsumerHandler("inbox", topic, ksub, func(m *message.Message) error {
		tx, err := db.BeginTx(m.Context(), nil)
		if err != nil {
			return err
		}
		defer func() { _ = tx.Rollback() }()
		res, err := tx.ExecContext(m.Context(), qInbox, "watermill", m.UUID, time.Now().UnixMilli())
		if err != nil {
			return err
		}
		if k, err := res.RowsAffected(); err != nil || k == 0 {
			return err // a duplicate: acknowledged, no second effect
		}
		if _, err := tx.ExecContext(m.Context(), qEffect, m.UUID); err != nil {
			return err
		}
		return tx.Commit()
	})

	rctx, cancel := context.WithCancel(ctx)
	done := make(chan error, 2)
	go func() { done <- fwd.Run(rctx) }()
	go func() { done <- router.Run(rctx) }()
	<-fwd.Running()
	<-router.Running()
	defer func() {
		cancel()
		for range 2 {
			if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
				tb.Error(err)
			}
		}
		_ = kpub.Close()
		_ = ksub.Close()
		_ = outboxSub.Close()
	}()

	start := time.Now()
	for first := 0; first < n; first += benchTxRows {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			tb.Fatal(err)
		}
		sqlPub, err := wmsql.NewPublisher(wmsql.TxFromStdSQL(tx), wmsql.PublisherConfig{SchemaAdapter: schema}, logger)
		if err != nil {
			tb.Fatal(err)
		}
		pub := forwarder.NewPublisher(sqlPub, forwarder.PublisherConfig{ForwarderTopic: fwdTopic})
		msgs := make([]*message.Message, 0, benchTxRows)
		for i := first; i < min(first+benchTxRows, n); i++ {
			m := message.NewMessage(watermill.NewUUID(), payload(i))
			m.Metadata.Set("key", key(i))
			m.Metadata.Set("content-type", "application/json")
			msgs = append(msgs, m)
		}
		if err := pub.Publish(topic, msgs...); err != nil {
			tb.Fatal(fmt.Errorf("watermill outbox publish: %w", err))
		}
		if err := tx.Commit(); err != nil {
			tb.Fatal(err)
		}
	}
	end := t.waitEffects(tb, n)
	t.checkOnce(tb, who, n)
	return end.Sub(start)
}
