package runtime

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strconv"
	"strings"
	"time"
)

// Dead-letter metadata headers. A dead letter keeps the original id, key,
// payload and headers (its signature too, so a replay verifies again).
const (
	DLQHeaderReason       = "accord-dlq-reason"
	DLQHeaderTopic        = "accord-dlq-topic"
	DLQHeaderGroup        = "accord-dlq-group"
	DLQHeaderPartition    = "accord-dlq-partition"
	DLQHeaderOffset       = "accord-dlq-offset"
	DLQHeaderSequence     = "accord-dlq-sequence"
	DLQHeaderAttempts     = "accord-dlq-attempts"
	DLQHeaderFirstFailure = "accord-dlq-first-failure" // RFC 3339, UTC
)

// rtReplayHeader marks a replayed dead letter with the dead letter it came
// from, so brokers that deduplicate by id (JetStream) do not drop it.
const rtReplayHeader = "accord-replay"

// rtMaxReason keeps a dead letter's reason header a readable size.
const rtMaxReason = 1024

func rtDeadLetterMessage(d *EventDelivery, topic, reason string, first time.Time) EventMessage {
	m := d.EventMessage
	m.Topic = topic
	m.Headers = maps.Clone(d.Headers)
	if m.Headers == nil {
		m.Headers = map[string]string{}
	}
	if len(reason) > rtMaxReason {
		reason = reason[:rtMaxReason]
	}
	m.Headers[DLQHeaderReason] = reason
	m.Headers[DLQHeaderTopic] = d.Topic
	m.Headers[DLQHeaderGroup] = d.Group
	m.Headers[DLQHeaderAttempts] = strconv.Itoa(d.Attempt)
	m.Headers[DLQHeaderFirstFailure] = first.UTC().Format(time.RFC3339Nano)
	if d.Partition >= 0 {
		m.Headers[DLQHeaderPartition] = strconv.FormatInt(int64(d.Partition), 10)
	}
	if d.Offset >= 0 {
		m.Headers[DLQHeaderOffset] = strconv.FormatInt(d.Offset, 10)
	}
	if d.Sequence > 0 {
		m.Headers[DLQHeaderSequence] = strconv.FormatUint(d.Sequence, 10)
	}
	return m
}

// EventDeadLetter is a dead letter's metadata, read back from its headers.
type EventDeadLetter struct {
	Reason, Topic, Group string
	Partition            int32
	Offset               int64
	Sequence             uint64
	Attempts             int
	FirstFailure         time.Time
}

// ParseDeadLetter reads the metadata of a dead-lettered message; ok is
// false when m is not one.
func ParseDeadLetter(m *EventMessage) (EventDeadLetter, bool) {
	h := m.Headers
	if h[DLQHeaderTopic] == "" {
		return EventDeadLetter{}, false
	}
	dl := EventDeadLetter{Reason: h[DLQHeaderReason], Topic: h[DLQHeaderTopic], Group: h[DLQHeaderGroup], Partition: -1, Offset: -1}
	if v, err := strconv.ParseInt(h[DLQHeaderPartition], 10, 32); err == nil {
		dl.Partition = int32(v)
	}
	if v, err := strconv.ParseInt(h[DLQHeaderOffset], 10, 64); err == nil {
		dl.Offset = v
	}
	dl.Sequence, _ = strconv.ParseUint(h[DLQHeaderSequence], 10, 64)
	dl.Attempts, _ = strconv.Atoi(h[DLQHeaderAttempts])
	dl.FirstFailure, _ = time.Parse(time.RFC3339Nano, h[DLQHeaderFirstFailure])
	return dl, true
}

// DeadLetterReplayer returns a handler that republishes each dead letter
// to its original topic with the dead-letter headers removed and the same
// id: run it on the dead-letter topic once the cause is fixed, e.g.
// t.Consume(ctx, "replay", []string{"orders.dlq"}, DeadLetterReplayer(t, nil)).
// keep, when set, chooses which dead letters to replay; the rest are
// acknowledged and dropped from the dead-letter topic.
func DeadLetterReplayer(sink EventSink, keep func(*EventDelivery, EventDeadLetter) bool) EventHandler {
	return func(ctx context.Context, d *EventDelivery) error {
		dl, ok := ParseDeadLetter(&d.EventMessage)
		if !ok {
			return fmt.Errorf("%w: %s on %s is not a dead letter", ErrEventPermanent, d.ID, d.Topic)
		}
		if keep != nil && !keep(d, dl) {
			return nil
		}
		m := d.EventMessage
		m.Topic = dl.Topic
		m.Headers = maps.Clone(d.Headers)
		for k := range m.Headers {
			if strings.HasPrefix(k, "accord-dlq-") {
				delete(m.Headers, k)
			}
		}
		m.Headers[rtReplayHeader] = fmt.Sprintf("%s@%d:%d:%d", d.Topic, d.Partition, d.Offset, d.Sequence)
		if err := sink.Publish(ctx, []EventMessage{m}); err != nil {
			return errors.Join(fmt.Errorf("replay %s to %s", d.ID, dl.Topic), err)
		}
		return nil
	}
}
