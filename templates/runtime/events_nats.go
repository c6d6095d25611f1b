package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
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
	Batch    int           // messages pulled ahead [100]
	// Lanes is how many keys are handled at once [8]; one key's messages
	// are handled in stream order within its lane.
	Lanes int
	// NakRedelivery returns a failed message to the stream with a nak and
	// the handler's delay instead of retrying it in place: its lane goes
	// on, so a key's later messages may overtake it (JetStream does not
	// order redeliveries). Off, a failure holds its lane as on Kafka.
	NakRedelivery bool
}

// NATSTransport is the EventTransport on NATS JetStream: publishes wait for
// the stream's ack and carry Nats-Msg-Id (the stream drops a republished
// copy within its duplicate window); every consumer group is a durable
// pull consumer with explicit acks, acknowledged (and the ack confirmed)
// only after the handler succeeded. Messages are handled as they arrive,
// one lane per key hash, in stream order; a failed message is retried in
// place after the handler's delay (kept in progress so AckWait does not
// expire), or with NakRedelivery naked with that delay.
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
	// A parameterised channel's {name} tokens are NATS's one-token "*".
	subjects := make([]string, len(topics))
	for i, t := range topics {
		subjects[i] = rtNATSSubject(t)
	}
	if len(subjects) == 1 {
		cfg.FilterSubject = subjects[0]
	} else {
		cfg.FilterSubjects = subjects
	}
	cons, err := n.js.CreateOrUpdateConsumer(ctx, n.opt.Stream, cfg)
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("nats consumer %s: %w", group, err)
	}
	it, err := cons.Messages(jetstream.PullMaxMessages(n.opt.Batch))
	if err != nil {
		return fmt.Errorf("nats consumer %s: %w", group, err)
	}
	stopped := make(chan struct{})
	defer close(stopped)
	go func() {
		select {
		case <-ctx.Done():
		case <-stopped:
		}
		it.Stop() // unblocks Next
	}()
	// One worker per lane, fed in stream order: a key's messages are
	// handled one after the other, different lanes at once.
	var (
		wg      sync.WaitGroup
		errOnce sync.Once
		werr    error
	)
	lanes := make([]chan jetstream.Msg, n.opt.Lanes)
	for i := range lanes {
		lanes[i] = make(chan jetstream.Msg, n.opt.Batch)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for m := range lanes[i] {
				if ctx.Err() != nil {
					continue // unacknowledged: redelivered after AckWait
				}
				if err := n.handle(ctx, group, m, h); err != nil {
					errOnce.Do(func() { werr = err; it.Stop() })
				}
			}
		}()
	}
	var nerr error
	for {
		m, err := it.Next()
		if err != nil {
			if errors.Is(err, jetstream.ErrNoHeartbeat) && ctx.Err() == nil {
				continue // the library re-pulls; a missed heartbeat is not fatal
			}
			if !errors.Is(err, jetstream.ErrMsgIteratorClosed) && ctx.Err() == nil {
				nerr = fmt.Errorf("nats consume %s: %w", group, err)
			}
			break
		}
		i := rtKeyShard(m.Headers().Get(EventHeaderKey), m.Headers().Get(EventHeaderID), n.opt.Lanes)
		lanes[i] <- m
	}
	for _, l := range lanes {
		close(l)
	}
	wg.Wait()
	return errors.Join(nerr, werr)
}

// handle runs h on one message and acknowledges (confirmed) or, after a
// failure, naks it with the handler's delay (NakRedelivery) or runs it
// again in place, keeping the message in progress meanwhile.
func (n *NATSTransport) handle(ctx context.Context, group string, m jetstream.Msg, h EventHandler) error {
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
	msg := rtEventFromWire(m.Subject(), "", m.Data(), hdr)
	for local := 0; ; local++ {
		d := &EventDelivery{EventMessage: msg, Attempt: int(meta.NumDelivered) + local,
			Partition: -1, Offset: -1, Sequence: meta.Sequence.Stream, Group: group}
		d.Headers = maps.Clone(msg.Headers)
		herr := h(ctx, d)
		if herr == nil {
			if err := m.DoubleAck(ctx); err != nil && ctx.Err() == nil {
				return fmt.Errorf("nats ack %s: %w", d.ID, err)
			}
			return nil
		}
		if ctx.Err() != nil {
			return nil // unacknowledged: redelivered after AckWait
		}
		delay := rtNakDelay(herr)
		if n.opt.NakRedelivery {
			if err := m.NakWithDelay(delay); err != nil {
				return fmt.Errorf("nats nak %s: %w", d.ID, err)
			}
			return nil
		}
		if err := m.InProgress(); err != nil {
			return fmt.Errorf("nats in-progress %s: %w", d.ID, err)
		}
		if !rtSleep(ctx, min(delay, n.opt.AckWait/2)) {
			return nil
		}
	}
}

// Close does not close the connection, which the caller owns.
func (n *NATSTransport) Close() error { return nil }
