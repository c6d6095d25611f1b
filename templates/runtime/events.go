package runtime

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"time"
)

// EventMessage is one event as every transport, the outbox and the inbox
// see it. Generated publishers fill it from a typed message; transports map
// the fixed fields to their own (Kafka record key, NATS subject and
// Nats-Msg-Id) and carry the rest as headers (EventHeader* names), so a
// message read back from any transport has the same fields it was sent with.
type EventMessage struct {
	ID            string            // unique per event: the inbox's and the broker's deduplication key
	Topic         string            // Kafka topic or NATS subject
	Key           string            // ordering key: messages with one key are delivered in order
	Headers       map[string]string // application headers; names starting "accord-" are reserved
	Payload       []byte
	ContentType   string
	CorrelationID string
	Traceparent   string    // W3C trace context of the producer
	Time          time.Time // when the producer created it; zero means now at publish
}

// Wire names of the fixed fields and of accord's own metadata.
const (
	EventHeaderID            = "accord-id"
	EventHeaderTime          = "accord-time" // unix milliseconds; the signed timestamp
	EventHeaderKey           = "accord-key"  // for transports without a native key (NATS)
	EventHeaderContentType   = "content-type"
	EventHeaderCorrelationID = "correlation-id"
	EventHeaderTraceparent   = "traceparent"
	EventHeaderSignature     = "accord-signature"
	// EventHeaderMessage names which of an operation's messages a payload
	// is (the AsyncAPI message name), for channels carrying several.
	EventHeaderMessage = "accord-message"
)

// EventDelivery is a message as a consumer receives it, with where it came
// from: the dead-letter metadata names the original position.
type EventDelivery struct {
	EventMessage
	Attempt   int   // 1 on the first delivery the transport knows of
	Partition int32 // Kafka and the memory transport; -1 elsewhere
	Offset    int64 // Kafka and the memory transport; -1 elsewhere
	Sequence  uint64
	Group     string
	// Params are the channel parameters parsed from the topic, when the
	// route's topic is a pattern ("invoices.{tenant}.created"); checked
	// with CheckEventParam before the handler runs.
	Params map[string]string
}

// EventHandler processes one delivery. Returning nil acknowledges it (Kafka:
// the offset may be committed); an error asks for a redelivery, after the
// delay of an EventNak when the error is one.
type EventHandler func(ctx context.Context, d *EventDelivery) error

// EventTransport is what a broker client must offer. Publish returns only
// when every message is durably accepted (Kafka acks=all, a JetStream
// publish ack), so the outbox can mark rows sent. Consume blocks until ctx
// ends or the transport fails; it acknowledges a message only after the
// handler returned nil, and keeps messages of one key in order.
type EventTransport interface {
	Publish(ctx context.Context, msgs []EventMessage) error
	Consume(ctx context.Context, group string, topics []string, h EventHandler) error
	Close() error
}

// EventNak asks the transport to deliver the message again after Delay.
// Transports that must keep per-key order (Kafka, memory) retry it in
// place, holding back the messages after it; JetStream naks with the delay.
type EventNak struct {
	Delay time.Duration
	Err   error
}

func (e *EventNak) Error() string {
	return fmt.Sprintf("redeliver after %s: %v", e.Delay, e.Err)
}

func (e *EventNak) Unwrap() error { return e.Err }

// rtNakDelay is the delay a handler error asks for; a plain error waits a
// short fixed time so a failing handler cannot spin a core.
func rtNakDelay(err error) time.Duration {
	var nak *EventNak
	if errors.As(err, &nak) {
		return max(nak.Delay, 0)
	}
	return 100 * time.Millisecond
}

// ErrEventPermanent marks a handler error no retry can fix (a payload that
// does not decode): the consumer sends the message to the dead-letter
// destination at once. Wrap it: fmt.Errorf("decode: %w: %v", ErrEventPermanent, err).
var ErrEventPermanent = errors.New("permanent event failure")

// rtWireHeaders returns the headers a transport sends: the application's
// plus the fixed fields under their reserved names.
func (m *EventMessage) rtWireHeaders(withKey bool) map[string]string {
	h := make(map[string]string, len(m.Headers)+6)
	for k, v := range m.Headers {
		h[k] = v
	}
	h[EventHeaderID] = m.ID
	if !m.Time.IsZero() {
		h[EventHeaderTime] = strconv.FormatInt(m.Time.UnixMilli(), 10)
	}
	if withKey && m.Key != "" {
		h[EventHeaderKey] = m.Key
	}
	for name, v := range map[string]string{EventHeaderContentType: m.ContentType, EventHeaderCorrelationID: m.CorrelationID, EventHeaderTraceparent: m.Traceparent} {
		if v != "" {
			h[name] = v
		}
	}
	return h
}

// rtEventFromWire is the inverse of rtWireHeaders. h is taken over.
func rtEventFromWire(topic, key string, payload []byte, h map[string]string) EventMessage {
	m := EventMessage{Topic: topic, Key: key, Payload: payload}
	m.ID = h[EventHeaderID]
	if ms, err := strconv.ParseInt(h[EventHeaderTime], 10, 64); err == nil {
		m.Time = time.UnixMilli(ms)
	}
	if m.Key == "" {
		m.Key = h[EventHeaderKey]
	}
	m.ContentType, m.CorrelationID, m.Traceparent = h[EventHeaderContentType], h[EventHeaderCorrelationID], h[EventHeaderTraceparent]
	for _, k := range []string{EventHeaderID, EventHeaderTime, EventHeaderKey, EventHeaderContentType, EventHeaderCorrelationID, EventHeaderTraceparent} {
		delete(h, k)
	}
	if len(h) > 0 {
		m.Headers = h
	}
	return m
}

// rtPrepareEvent fills what a producer may leave empty: id, time and the
// trace context of ctx.
func rtPrepareEvent(ctx context.Context, m *EventMessage, now time.Time) error {
	if m.Topic == "" {
		return errors.New("event without a topic")
	}
	if m.ID == "" {
		m.ID = rtNewUUID()
	}
	if m.Time.IsZero() {
		m.Time = now
	}
	if m.Traceparent == "" {
		m.Traceparent = rtTraceparent(TraceIDFromContext(ctx))
	}
	return nil
}

// rtKeyShard maps a key to one of n lanes; a message without a key spreads
// by id, since nothing orders it.
func rtKeyShard(key, id string, n int) int {
	if n <= 1 {
		return 0
	}
	h := fnv.New32a()
	if key == "" {
		key = id
	}
	_, _ = h.Write([]byte(key))
	return int(h.Sum32() % uint32(n))
}

// EventPublisherOptions configures NewEventPublisher.
type EventPublisherOptions struct {
	Signer *EventSigner // signs every message when set
	// Signers are the signers by signature scheme (x-accord signature):
	// a message of an operation signed with a scheme listed here is signed
	// with its signer instead of Signer.
	Signers map[string]*EventSigner
	Now     func() time.Time
}

// EventPublisher is what generated typed publishers call: it completes and
// signs a message, then hands it to a transport directly or, through
// EventOutboxSink, to an outbox.
type EventPublisher struct {
	sink EventSink
	opt  EventPublisherOptions
}

// EventSink receives prepared messages: a transport (EventTransportSink) or
// an outbox in the caller's transaction.
type EventSink interface {
	Publish(ctx context.Context, msgs []EventMessage) error
}

func NewEventPublisher(sink EventSink, opt EventPublisherOptions) *EventPublisher {
	if opt.Now == nil {
		opt.Now = time.Now
	}
	return &EventPublisher{sink: sink, opt: opt}
}

// Publish sends one message; it returns the message as sent (with its id).
func (p *EventPublisher) Publish(ctx context.Context, m EventMessage) (EventMessage, error) {
	return p.PublishSigned(ctx, m, "")
}

// PublishSigned is Publish for an operation signed with scheme: the
// message is signed with Signers[scheme], else Signer, and refused when
// neither is set rather than sent unsigned. "" signs with Signer when set.
func (p *EventPublisher) PublishSigned(ctx context.Context, m EventMessage, scheme string) (EventMessage, error) {
	if err := rtPrepareEvent(ctx, &m, p.opt.Now()); err != nil {
		return m, err
	}
	signer := p.opt.Signer
	if s := p.opt.Signers[scheme]; scheme != "" && s != nil {
		signer = s
	}
	if signer == nil && scheme != "" {
		return m, fmt.Errorf("publish to %s: signed with %s and no signer is set (EventPublisherOptions.Signers[%q] or Signer)", m.Topic, scheme, scheme)
	}
	if signer != nil {
		if err := signer.Sign(ctx, &m); err != nil {
			return m, err
		}
	}
	if err := p.sink.Publish(ctx, []EventMessage{m}); err != nil {
		return m, fmt.Errorf("publish %s to %s: %w", m.ID, m.Topic, err)
	}
	return m, nil
}
