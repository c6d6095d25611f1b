package mock

import (
	"context"
	"fmt"
	"strings"

	"github.com/nats-io/nats.go"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// Kafka is a Transport over Kafka brokers (franz-go).
type Kafka struct {
	brokers []string
	client  *kgo.Client
	cluster *kfake.Cluster // set when the brokers are in process
}

// NewKafka connects to brokers; with none it starts an in-process cluster
// (kfake) on loopback, whose address Brokers reports.
func NewKafka(brokers ...string) (*Kafka, error) {
	k := &Kafka{brokers: brokers}
	if len(brokers) == 0 {
		c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.AllowAutoTopicCreation())
		if err != nil {
			return nil, fmt.Errorf("starting the in-process Kafka cluster: %w", err)
		}
		k.cluster, k.brokers = c, c.ListenAddrs()
	}
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.brokers...), kgo.AllowAutoTopicCreation())
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("kafka client: %w", err)
	}
	k.client = cl
	return k, nil
}

// Brokers returns the broker addresses (the in-process cluster's included).
func (k *Kafka) Brokers() []string { return k.brokers }

func (k *Kafka) Publish(ctx context.Context, topic string, value []byte, headers map[string]string) error {
	r := &kgo.Record{Topic: topic, Value: value}
	for h, v := range headers {
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: h, Value: []byte(v)})
	}
	return k.client.ProduceSync(ctx, r).FirstErr()
}

// Subscribe reads the topics from their start: the sandbox is fresh, and
// a message published before the subscription settled must not be missed.
func (k *Kafka) Subscribe(ctx context.Context, topics []string, fn func(string, []byte)) error {
	cl, err := kgo.NewClient(kgo.SeedBrokers(k.brokers...), kgo.ConsumeTopics(topics...),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.AllowAutoTopicCreation())
	if err != nil {
		return fmt.Errorf("kafka consumer: %w", err)
	}
	defer cl.Close()
	for {
		fs := cl.PollFetches(ctx)
		if ctx.Err() != nil {
			return nil
		}
		for _, e := range fs.Errors() {
			if e.Err != nil && ctx.Err() == nil && !strings.Contains(e.Err.Error(), "UNKNOWN_TOPIC") {
				return fmt.Errorf("kafka fetch %s: %w", e.Topic, e.Err)
			}
		}
		fs.EachRecord(func(r *kgo.Record) { fn(r.Topic, r.Value) })
	}
}

func (k *Kafka) Close() {
	if k.client != nil {
		k.client.Close()
	}
	if k.cluster != nil {
		k.cluster.Close()
	}
}

// NATS is a Transport over NATS core subjects.
type NATS struct{ nc *nats.Conn }

func NewNATS(url string) (*NATS, error) {
	nc, err := nats.Connect(url)
	if err != nil {
		return nil, fmt.Errorf("connecting to NATS at %s: %w", url, err)
	}
	return &NATS{nc: nc}, nil
}

func (n *NATS) Publish(_ context.Context, subject string, value []byte, headers map[string]string) error {
	m := nats.NewMsg(subject)
	m.Data = value
	for k, v := range headers {
		m.Header.Set(k, v)
	}
	return n.nc.PublishMsg(m)
}

func (n *NATS) Subscribe(ctx context.Context, subjects []string, fn func(string, []byte)) error {
	for _, s := range subjects {
		sub, err := n.nc.Subscribe(s, func(m *nats.Msg) { fn(m.Subject, m.Data) })
		if err != nil {
			return fmt.Errorf("subscribing to %s: %w", s, err)
		}
		defer func() { _ = sub.Unsubscribe() }()
	}
	if err := n.nc.Flush(); err != nil {
		return fmt.Errorf("NATS flush: %w", err)
	}
	<-ctx.Done()
	return nil
}

func (n *NATS) Close() { n.nc.Close() }
