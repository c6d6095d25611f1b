package runtime

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// NATSTransportOptions configures NewNATSTransport.
type NATSTransportOptions struct {
	Conn   *nats.Conn
	Stream string // the JetStream stream holding every topic (and its .dlq) (required)
	// Subjects, when set, creates or updates Stream with these subjects.
	Subjects []string
	AckWait  time.Duration // unacknowledged messages come back after this [30s]
	Batch    int           // messages per fetch [100]
	// Lanes is how many keys are handled at once [8]; one key's messages
	// of a fetch are handled in order within its lane.
	Lanes int
}

// NATSTransport is the EventTransport on NATS JetStream: publishes wait for
// the stream's ack and carry Nats-Msg-Id (the stream drops a republished
// copy within its duplicate window); every consumer group is a durable
// pull consumer with explicit acks, acknowledged (and the ack confirmed)
// only after the handler succeeded, and a failure is a nak with the
// handler's delay. A nak also naks the rest of its lane's fetch, so a
// key's later messages do not overtake it within a fetch; JetStream does
// not order redeliveries, so strict per-key order needs Kafka or the
// memory transport.
type NATSTransport struct {
	opt NATSTransportOptions
	js  jetstream.JetStream
}

func NewNATSTransport(ctx context.Context, opt NATSTransportOptions) (*NATSTransport, error) {
	if opt.Conn == nil || opt.Stream == "" {
		return nil, errors.New("nats transport: needs a connection and a stream")
	}
	if opt.AckWait <= 0 {
		opt.AckWait = 30 * time.Second
	}
	if opt.Batch <= 0 {
		opt.Batch = 100
	}
	if opt.Lanes <= 0 {
		opt.Lanes = 8
	}
	js, err := jetstream.New(opt.Conn)
	if err != nil {
		return nil, fmt.Errorf("nats jetstream: %w", err)
	}
	if len(opt.Subjects) > 0 {
		if _, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{Name: opt.Stream, Subjects: opt.Subjects}); err != nil {
			return nil, fmt.Errorf("nats stream %s: %w", opt.Stream, err)
		}
	}
	return &NATSTransport{opt: opt, js: js}, nil
}

// rtNATSMsgID is the deduplication id: the subject and message id, plus the
// dead letter a replay came from, so neither a dead letter nor its replay
// is taken for a duplicate of the original.
func rtNATSMsgID(m *EventMessage) string {
	id := m.Topic + "/" + m.ID
	if r := m.Headers[rtReplayHeader]; r != "" {
		id += "/" + r
	}
	return id
}

// Publish sends msgs asynchronously in order and waits for every ack.
func (n *NATSTransport) Publish(ctx context.Context, msgs []EventMessage) error {
	futures := make([]jetstream.PubAckFuture, 0, len(msgs))
	for i := range msgs {
		m := &msgs[i]
		nm := &nats.Msg{Subject: m.Topic, Data: m.Payload, Header: nats.Header{}}
		for k, v := range m.rtWireHeaders(true) {
			nm.Header.Set(k, v)
		}
		f, err := n.js.PublishMsgAsync(nm, jetstream.WithMsgID(rtNATSMsgID(m)))
		if err != nil {
			return fmt.Errorf("nats publish %s: %w", m.Topic, err)
		}
		futures = append(futures, f)
	}
	for i, f := range futures {
		select {
		case <-f.Ok():
		case err := <-f.Err():
			return fmt.Errorf("nats publish %s: %w", msgs[i].Topic, err)
		case <-ctx.Done():
			return fmt.Errorf("nats publish %s: %w", msgs[i].Topic, ctx.Err())
		}
	}
	return nil
}

// rtDurableName maps a group to a valid durable consumer name.
func rtDurableName(group string) string {
	return strings.Map(func(r rune) rune {
		if r == '.' || r == '*' || r == '>' || r == '/' || r == '\\' || r <= ' ' {
			return '_'
		}
		return r
	}, group)
}

// Consume creates or updates the durable consumer of group filtered on
// topics and runs until ctx ends (then nil).
func (n *NATSTransport) Consume(ctx context.Context, group string, topics []string, h EventHandler) error {
	if group == "" || len(topics) == 0 {
		return errors.New("nats consume: needs a group and topics")
	}
	cfg := jetstream.ConsumerConfig{
		Durable: rtDurableName(group), AckPolicy: jetstream.AckExplicitPolicy, AckWait: n.opt.AckWait,
		DeliverPolicy: jetstream.DeliverAllPolicy,
	}
	// Servers before 2.10 know only the single filter.
	if len(topics) == 1 {
		cfg.FilterSubject = topics[0]
	} else {
		cfg.FilterSubjects = topics
	}
	cons, err := n.js.CreateOrUpdateConsumer(ctx, n.opt.Stream, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("nats consumer %s: %w", group, err)
	}
	for ctx.Err() == nil {
		batch, err := cons.Fetch(n.opt.Batch, jetstream.FetchMaxWait(time.Second))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("nats fetch %s: %w", group, err)
		}
		lanes := make([][]jetstream.Msg, n.opt.Lanes)
		for m := range batch.Messages() {
			k := m.Headers().Get(EventHeaderKey)
			i := rtKeyShard(k, m.Headers().Get(EventHeaderID), n.opt.Lanes)
			lanes[i] = append(lanes[i], m)
		}
		if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, nats.ErrTimeout) && ctx.Err() == nil {
			return fmt.Errorf("nats fetch %s: %w", group, err)
		}
		var wg sync.WaitGroup
		errs := make([]error, len(lanes))
		for i, lane := range lanes {
			if len(lane) == 0 {
				continue
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				errs[i] = n.handleLane(ctx, group, lane, h)
			}()
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil && ctx.Err() == nil {
			return err
		}
	}
	return nil
}

func (n *NATSTransport) handleLane(ctx context.Context, group string, lane []jetstream.Msg, h EventHandler) error {
	for i, m := range lane {
		if ctx.Err() != nil {
			return nil // unacknowledged: redelivered after AckWait
		}
		meta, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("nats message metadata: %w", err)
		}
		hdr := make(map[string]string, len(m.Headers()))
		for k, v := range m.Headers() {
			if len(v) > 0 && !strings.HasPrefix(k, "Nats-") {
				hdr[k] = v[0]
			}
		}
		d := &EventDelivery{EventMessage: rtEventFromWire(m.Subject(), "", m.Data(), hdr), Attempt: int(meta.NumDelivered),
			Partition: -1, Offset: -1, Sequence: meta.Sequence.Stream, Group: group}
		herr := h(ctx, d)
		if herr == nil {
			if err := m.DoubleAck(ctx); err != nil && ctx.Err() == nil {
				return fmt.Errorf("nats ack %s: %w", d.ID, err)
			}
			continue
		}
		if ctx.Err() != nil {
			return nil
		}
		delay := rtNakDelay(herr)
		for _, rest := range lane[i:] {
			if err := rest.NakWithDelay(delay); err != nil {
				return fmt.Errorf("nats nak: %w", err)
			}
		}
		return nil
	}
	return nil
}

// Close does not close the connection, which the caller owns.
func (n *NATSTransport) Close() error { return nil }
