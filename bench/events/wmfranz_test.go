package eventsbench

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/ThreeDotsLabs/watermill"
	"github.com/ThreeDotsLabs/watermill/message"
	"github.com/twmb/franz-go/pkg/kgo"
)

// A minimal Watermill Publisher and Subscriber on franz-go, so that one
// Watermill variant talks to Kafka through the same client as accord: what
// then differs is the framework (forwarder, router, per-message acks), not
// the Kafka library. It behaves like watermill-kafka: a publish is
// synchronous, the record key comes from metadata, partitions are consumed
// in parallel and each partition's messages one at a time, the next only
// after the previous one was acked; offsets are committed after the acks.

const wmUUIDHeader = "_watermill_message_uuid"

type wmFranzPublisher struct{ cl *kgo.Client }

func newWMFranzPublisher(brokers []string) (*wmFranzPublisher, error) {
	// No linger: a Watermill publish carries one message and waits for it.
	cl, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ProducerLinger(0))
	if err != nil {
		return nil, fmt.Errorf("franz publisher: %w", err)
	}
	return &wmFranzPublisher{cl: cl}, nil
}

func (p *wmFranzPublisher) Publish(topic string, msgs ...*message.Message) error {
	recs := make([]*kgo.Record, len(msgs))
	for i, m := range msgs {
		r := &kgo.Record{Topic: topic, Value: m.Payload, Key: []byte(m.Metadata.Get("key"))}
		r.Headers = append(r.Headers, kgo.RecordHeader{Key: wmUUIDHeader, Value: []byte(m.UUID)})
		for k, v := range m.Metadata {
			r.Headers = append(r.Headers, kgo.RecordHeader{Key: k, Value: []byte(v)})
		}
		recs[i] = r
	}
	if err := p.cl.ProduceSync(context.Background(), recs...).FirstErr(); err != nil {
		return fmt.Errorf("franz publish: %w", err)
	}
	return nil
}

func (p *wmFranzPublisher) Close() error { p.cl.Close(); return nil }

type wmFranzSubscriber struct {
	brokers []string
	group   string

	closing chan struct{}
	once    sync.Once
	wg      sync.WaitGroup
}

func newWMFranzSubscriber(brokers []string, group string) *wmFranzSubscriber {
	return &wmFranzSubscriber{brokers: brokers, group: group, closing: make(chan struct{})}
}

func (s *wmFranzSubscriber) Subscribe(ctx context.Context, topic string) (<-chan *message.Message, error) {
	cl, err := kgo.NewClient(kgo.SeedBrokers(s.brokers...), kgo.ConsumerGroup(s.group), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.BlockRebalanceOnPoll(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		return nil, fmt.Errorf("franz subscriber: %w", err)
	}
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-s.closing:
		case <-ctx.Done():
		}
		cancel()
	}()
	out := make(chan *message.Message)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer close(out)
		defer cl.CloseAllowingRebalance()
		for ctx.Err() == nil {
			fetches := cl.PollFetches(ctx)
			if ctx.Err() != nil || fetches.IsClientClosed() {
				return
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
					var last *kgo.Record
					for _, r := range p.Records {
						if !s.deliver(ctx, out, r) {
							break
						}
						last = r
					}
					if last != nil {
						mu.Lock()
						done = append(done, last)
						mu.Unlock()
					}
				}()
			})
			wg.Wait()
			if len(done) > 0 {
				if err := cl.CommitRecords(context.WithoutCancel(ctx), done...); err != nil {
					return
				}
			}
			cl.AllowRebalance()
		}
	}()
	return out, nil
}

// deliver sends one record as a Watermill message and waits for its ack,
// resending after a nack; false when the subscriber stops first.
func (s *wmFranzSubscriber) deliver(ctx context.Context, out chan<- *message.Message, r *kgo.Record) bool {
	uuid := ""
	md := message.Metadata{}
	for _, h := range r.Headers {
		if h.Key == wmUUIDHeader {
			uuid = string(h.Value)
			continue
		}
		md.Set(h.Key, string(h.Value))
	}
	if uuid == "" {
		uuid = watermill.NewUUID()
	}
	for {
		msg := message.NewMessage(uuid, r.Value)
		msg.Metadata = md
		msg.SetContext(ctx)
		select {
		case out <- msg:
		case <-ctx.Done():
			return false
		}
		select {
		case <-msg.Acked():
			return true
		case <-msg.Nacked():
			select {
			case <-time.After(100 * time.Millisecond):
			case <-ctx.Done():
				return false
			}
		case <-ctx.Done():
			return false
		}
	}
}

func (s *wmFranzSubscriber) Close() error {
	s.once.Do(func() { close(s.closing) })
	s.wg.Wait()
	return nil
}
