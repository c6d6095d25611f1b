package runtime

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kgo"
)

// KafkaTransportOptions configures NewKafkaTransport.
type KafkaTransportOptions struct {
	Brokers []string
	// ClientOptions are added to every client (TLS, SASL, topic creation…);
	// they cannot turn off acks=all or idempotence, which come last.
	ClientOptions []kgo.Opt
	// MaxPollRecords bounds one poll of a consumer [1,000].
	MaxPollRecords int
	// OnFetchError sees every fetch error; without it an error franz-go
	// does not retry itself ends Consume.
	OnFetchError func(topic string, partition int32, err error)
}

// KafkaTransport is the EventTransport on franz-go: an idempotent producer
// with acks=all (a publish returns once every in-sync replica has the
// records, without duplicates from the client's own retries), and one
// consumer-group client per Consume that commits an offset only after the
// handler succeeded. Partitions of a poll run in parallel, the records of
// one partition (so of one key) in order; a failed record is retried in
// place so the records behind it keep their order.
type KafkaTransport struct {
	opt      KafkaTransportOptions
	producer *kgo.Client
}

func NewKafkaTransport(opt KafkaTransportOptions) (*KafkaTransport, error) {
	if len(opt.Brokers) == 0 {
		return nil, errors.New("kafka transport: no brokers")
	}
	if opt.MaxPollRecords <= 0 {
		opt.MaxPollRecords = 1000
	}
	opts := append(slices.Clone(opt.ClientOptions), kgo.SeedBrokers(opt.Brokers...), kgo.RequiredAcks(kgo.AllISRAcks()), kgo.ProducerLinger(time.Millisecond))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return nil, fmt.Errorf("kafka producer: %w", err)
	}
	return &KafkaTransport{opt: opt, producer: cl}, nil
}

// Publish produces msgs and waits for every acknowledgement; the key is the
// record key, so Kafka's partitioner keeps one key on one partition.
func (k *KafkaTransport) Publish(ctx context.Context, msgs []EventMessage) error {
	recs := make([]*kgo.Record, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		r := &kgo.Record{Topic: m.Topic, Value: m.Payload, Timestamp: m.Time}
		if m.Key != "" {
			r.Key = []byte(m.Key)
		}
		h := m.rtWireHeaders(false)
		names := make([]string, 0, len(h))
		for n := range h {
			names = append(names, n)
		}
		slices.Sort(names)
		r.Headers = make([]kgo.RecordHeader, len(names))
		for j, n := range names {
			r.Headers[j] = kgo.RecordHeader{Key: n, Value: []byte(h[n])}
		}
		recs[i] = r
	}
	if err := k.producer.ProduceSync(ctx, recs...).FirstErr(); err != nil {
		return fmt.Errorf("kafka produce: %w", err)
	}
	return nil
}

// Consume joins group for topics and runs until ctx ends (then nil) or the
// client fails. New groups start at the oldest offset.
func (k *KafkaTransport) Consume(ctx context.Context, group string, topics []string, h EventHandler) error {
	return k.rtConsumeBatch(ctx, group, topics, h, nil)
}

// rtBatchSize bounds a run handed to a batch handler: one inbox
// transaction of this many messages.
const rtBatchSize = 100

func (k *KafkaTransport) rtConsumeBatch(ctx context.Context, group string, topics []string, h EventHandler, batch EventBatchHandler) error {
	if group == "" || len(topics) == 0 {
		return errors.New("kafka consume: needs a group and topics")
	}
	// A parameterised channel ("invoices.{tenant}.created") is a regex
	// subscription; franz-go then treats every topic as a regex, so the
	// exact ones are quoted. New matching topics are found on a metadata
	// refresh, every few seconds unless ClientOptions say otherwise.
	var sub []kgo.Opt
	if slices.ContainsFunc(topics, rtIsPattern) {
		res := make([]string, len(topics))
		for i, t := range topics {
			res[i] = rtKafkaRegex(t)
		}
		sub = []kgo.Opt{kgo.MetadataMinAge(time.Second), kgo.MetadataMaxAge(3 * time.Second), kgo.ConsumeTopics(res...), kgo.ConsumeRegex()}
	} else {
		sub = []kgo.Opt{kgo.ConsumeTopics(topics...)}
	}
	opts := append(sub, k.opt.ClientOptions...)
	opts = append(opts, kgo.SeedBrokers(k.opt.Brokers...),
		kgo.ConsumerGroup(group), kgo.DisableAutoCommit(),
		// Rebalances wait until a poll's records are handled and committed,
		// so a partition never moves with handled but uncommitted records.
		kgo.BlockRebalanceOnPoll(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	cl, err := kgo.NewClient(opts...)
	if err != nil {
		return fmt.Errorf("kafka consumer %s: %w", group, err)
	}
	// Close would wait for the rebalance that BlockRebalanceOnPoll holds back.
	defer cl.CloseAllowingRebalance()
	for {
		fetches := cl.PollRecords(ctx, k.opt.MaxPollRecords)
		if ctx.Err() != nil || fetches.IsClientClosed() {
			return nil
		}
		var fatal error
		fetches.EachError(func(t string, p int32, err error) {
			var loss *kgo.ErrDataLoss
			switch {
			case errors.Is(err, context.Canceled):
			case k.opt.OnFetchError != nil:
				k.opt.OnFetchError(t, p, err)
			case !kerr.IsRetriable(err) && !errors.As(err, &loss):
				// Not retried by franz-go and nobody to tell: stop rather than
				// consume on as if nothing happened (data loss is a reset to
				// the oldest kept offset, which consuming on handles).
				fatal = errors.Join(fatal, fmt.Errorf("%s/%d: %w", t, p, err))
			}
		})
		if fatal != nil {
			return fmt.Errorf("kafka fetch %s: %w", group, fatal)
		}
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			done []*kgo.Record
		)
		fetches.EachPartition(func(p kgo.FetchTopicPartition) {
			if len(p.Records) == 0 {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				if last := k.handlePartition(ctx, group, p.Records, h, batch); last != nil {
					mu.Lock()
					done = append(done, last)
					mu.Unlock()
				}
			}()
		})
		wg.Wait()
		if len(done) > 0 {
			// Handled records are committed even when ctx just ended: their
			// effects are done, and re-handling them is what the commit avoids.
			cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
			err := cl.CommitRecords(cctx, done...)
			cancel()
			if err != nil {
				return fmt.Errorf("kafka commit %s: %w", group, err)
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		cl.AllowRebalance()
	}
}

// handlePartition runs h over one partition's records in order and returns
// the last one handled (nil when none was).
func (k *KafkaTransport) handlePartition(ctx context.Context, group string, recs []*kgo.Record, h EventHandler, batch EventBatchHandler) *kgo.Record {
	var last *kgo.Record
	if batch != nil {
		for len(recs) > 0 && ctx.Err() == nil {
			run := recs[:min(len(recs), rtBatchSize)]
			ds := make([]*EventDelivery, len(run))
			for i, r := range run {
				ds[i] = rtKafkaDelivery(r, group, 1)
			}
			if !batch(ctx, ds) {
				break // this run goes one by one below
			}
			last, recs = run[len(run)-1], recs[len(run):]
		}
	}
	for _, r := range recs {
		for attempt := 1; ; attempt++ {
			err := h(ctx, rtKafkaDelivery(r, group, attempt))
			if err == nil {
				last = r
				break
			}
			if ctx.Err() != nil || !rtSleep(ctx, rtNakDelay(err)) {
				return last
			}
		}
		if ctx.Err() != nil {
			return last
		}
	}
	return last
}

func rtKafkaDelivery(r *kgo.Record, group string, attempt int) *EventDelivery {
	hdr := make(map[string]string, len(r.Headers))
	for _, x := range r.Headers {
		hdr[x.Key] = string(x.Value)
	}
	return &EventDelivery{EventMessage: rtEventFromWire(r.Topic, string(r.Key), r.Value, hdr), Attempt: attempt,
		Partition: r.Partition, Offset: r.Offset, Group: group}
}

// Close flushes nothing (Publish is synchronous) and closes the producer.
func (k *KafkaTransport) Close() error {
	k.producer.Close()
	return nil
}
