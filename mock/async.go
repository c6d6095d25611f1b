package mock

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/contracts"
)

// Transport is the broker side of the AsyncAPI mock.
type Transport interface {
	Publish(ctx context.Context, topic string, value []byte, headers map[string]string) error
	// Subscribe calls fn for every message on the topics until ctx ends.
	Subscribe(ctx context.Context, topics []string, fn func(topic string, value []byte)) error
	Close()
}

// AsyncOptions configure the AsyncAPI mock.
type AsyncOptions struct {
	Seed uint64
	// Every is the publishing interval per operation (default 1s); Count
	// bounds the messages per operation (0 = until stopped).
	Every time.Duration
	Count int
}

// AsyncEvent is one message the AsyncAPI mock published or received.
type AsyncEvent struct {
	Time       time.Time `json:"time"`
	Operation  string    `json:"operation"`
	Channel    string    `json:"channel"`
	Direction  string    `json:"direction"` // published | received
	Valid      bool      `json:"valid"`
	Violations []string  `json:"violations,omitempty"`
	Payload    []byte    `json:"-"`
}

// Async plays the counterpart of the applications an AsyncAPI document
// describes: it publishes, on a schedule, the messages the application
// receives, and validates the messages the application sends.
type Async struct {
	o         AsyncOptions
	t         Transport
	publish   []*contracts.AsyncOperation
	validate  map[string][]*contracts.AsyncOperation // by topic
	mu        sync.Mutex
	events    []AsyncEvent
	published map[string]int
	// own counts the messages the mock published and has not read back, by
	// topic and payload: where the application both sends and receives on a
	// channel (payments publish payment.settled, invoicing consumes it),
	// the mock reads its own messages back, and they are not the
	// application's.
	own map[string]int
}

// NewAsync prepares the mock of the documents' AsyncAPI operations over t.
func NewAsync(docs []*contracts.Document, t Transport, o AsyncOptions) (*Async, error) {
	if o.Every <= 0 {
		o.Every = time.Second
	}
	a := &Async{o: o, t: t, validate: map[string][]*contracts.AsyncOperation{}, published: map[string]int{}, own: map[string]int{}}
	for _, d := range docs {
		if d.Kind != contracts.KindAsyncAPI {
			continue
		}
		for _, op := range d.AsyncAPI.Operations {
			if op.Channel == nil || op.Channel.Address == "" {
				continue // a dynamic address: nothing to publish to or read from
			}
			switch op.Action {
			case contracts.ActionReceive:
				a.publish = append(a.publish, op)
			case contracts.ActionSend:
				if !strings.Contains(op.Channel.Address, "{") {
					a.validate[op.Channel.Address] = append(a.validate[op.Channel.Address], op)
				}
			}
		}
	}
	if len(a.publish) == 0 && len(a.validate) == 0 {
		return nil, fmt.Errorf("no AsyncAPI operation with a channel address to mock")
	}
	return a, nil
}

// Run publishes and validates until ctx ends (or, with Count, until every
// operation published Count messages and ctx ends).
func (a *Async) Run(ctx context.Context) error {
	errc := make(chan error, 1)
	if len(a.validate) > 0 {
		topics := make([]string, 0, len(a.validate))
		for t := range a.validate {
			topics = append(topics, t)
		}
		go func() { errc <- a.t.Subscribe(ctx, topics, a.received) }()
	}
	tick := time.NewTicker(a.o.Every)
	defer tick.Stop()
	for {
		if err := a.publishAll(ctx); err != nil && ctx.Err() == nil {
			return err
		}
		select {
		case <-ctx.Done():
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("subscribing: %w", err)
		case <-tick.C:
		}
	}
}

func (a *Async) publishAll(ctx context.Context) error {
	for _, op := range a.publish {
		a.mu.Lock()
		n := a.published[op.ID]
		if a.o.Count > 0 && n >= a.o.Count {
			a.mu.Unlock()
			continue
		}
		a.published[op.ID] = n + 1
		a.mu.Unlock()
		g := NewGenerator(a.o.Seed, op.ID+"#"+strconv.Itoa(n), Request)
		var msg *contracts.Message
		if len(op.Messages) > 0 {
			msg = op.Messages[n%len(op.Messages)]
		}
		var v any = map[string]any{}
		if msg != nil && msg.Payload != nil {
			v = g.Value(msg.Payload)
		}
		body, err := json.Marshal(v)
		if err != nil {
			return fmt.Errorf("%s: encoding a message: %w", op.ID, err)
		}
		headers := map[string]string{"content-type": "application/json"}
		if msg != nil && msg.Headers != nil {
			if hm, ok := g.Value(msg.Headers).(map[string]any); ok {
				for k, hv := range hm {
					headers[k] = fmt.Sprint(hv)
				}
			}
		}
		topic := fillAddress(op.Channel, g)
		if len(a.validate[topic]) > 0 {
			a.mu.Lock()
			if len(a.own) >= 10000 {
				// Messages a transport never read back (core NATS drops what
				// was published before the subscription) must not pile up.
				clear(a.own)
			}
			a.own[topic+"\x00"+string(body)]++
			a.mu.Unlock()
		}
		if err := a.t.Publish(ctx, topic, body, headers); err != nil {
			return fmt.Errorf("%s: publishing to %s: %w", op.ID, topic, err)
		}
		a.record(AsyncEvent{Time: time.Now(), Operation: op.ID, Channel: topic, Direction: "published", Valid: true, Payload: body})
	}
	return nil
}

// fillAddress replaces the address's {parameters} with synthesised values.
func fillAddress(ch *contracts.Channel, g *Generator) string {
	addr := ch.Address
	for _, p := range ch.Parameters {
		v := g.word(6)
		if p.Schema != nil {
			if s := fmt.Sprint(g.Value(p.Schema)); s != "" {
				v = s
			}
		}
		addr = strings.ReplaceAll(addr, "{"+p.Name+"}", v)
	}
	return addr
}

// received validates a message against the messages its operations allow:
// valid when one of them accepts it.
func (a *Async) received(topic string, value []byte) {
	ops := a.validate[topic]
	if len(ops) == 0 || a.readOwn(topic, value) {
		return
	}
	e := AsyncEvent{Time: time.Now(), Operation: ops[0].ID, Channel: topic, Direction: "received", Payload: value}
	var v any
	if err := json.Unmarshal(value, &v); err != nil {
		e.Violations = []string{"not JSON: " + err.Error()}
		a.record(e)
		return
	}
	for _, op := range ops {
		for _, m := range op.Messages {
			if m.Payload == nil || m.Payload.Value == nil {
				e.Valid = true
				break
			}
			err := m.Payload.Value.VisitJSON(v, openapi3.MultiErrors(), openapi3.EnableJSONSchema2020())
			if err == nil {
				e.Valid, e.Operation = true, op.ID
				break
			}
			for _, vi := range violations(err) {
				e.Violations = append(e.Violations, vi.Pointer+": "+vi.Detail)
			}
		}
		if e.Valid {
			e.Violations = nil
			break
		}
	}
	a.record(e)
}

// readOwn reports whether value is a message the mock published itself
// (and takes it off the count).
func (a *Async) readOwn(topic string, value []byte) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	k := topic + "\x00" + string(value)
	if a.own[k] == 0 {
		return false
	}
	if a.own[k]--; a.own[k] == 0 {
		delete(a.own, k)
	}
	return true
}

func (a *Async) record(e AsyncEvent) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.events) >= 10000 {
		a.events = append(a.events[:0], a.events[1000:]...)
	}
	a.events = append(a.events, e)
}

// Events returns what was published and received, oldest first.
func (a *Async) Events() []AsyncEvent {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]AsyncEvent(nil), a.events...)
}

// ServeHTTP answers GET /__accord/messages: the published and received
// messages as JSON.
func (a *Async) ServeHTTP(w http.ResponseWriter, _ *http.Request) {
	body, err := json.Marshal(a.Events())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}
