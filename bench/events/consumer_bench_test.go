package eventsbench

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"

	accordrt "github.com/accord-dev/accord/templates/runtime"
)

// The consumer side as accord generates it for a receive operation, written
// out here the way the generator writes it: the payload is checked against
// the message's schema (accordrt.ValidateEvent with a generated check: type
// switches and comparisons, no schema read at run time), decoded into the
// message type, and dispatched by topic to the typed handler method within
// the operation's concurrency bound and timeout.

type paymentSettled struct {
	Seq      int64  `json:"seq"`
	Customer string `json:"customer"`
	Amount   int64  `json:"amount"`
	Currency string `json:"currency"`
}

// The contract's pattern, compiled once (as the generated accPatterns).
var customerPattern = regexp.MustCompile(`^cust_[0-9]+$`)

// checkPaymentSettled is what accord generates for the schema
// {type: object, required: [seq, customer, amount, currency], properties:
// {seq: integer >= 0, customer: string pattern, amount: integer >= 1,
// currency: enum [EUR, USD, GBP]}}.
func checkPaymentSettled(x any, p *accordrt.JSONPointer, v *accordrt.Violations) {
	y, ok := x.(map[string]any)
	if !ok {
		v.Add(p, "must be an object")
		return
	}
	for _, k := range [...]string{"seq", "customer", "amount", "currency"} {
		if _, ok := y[k]; !ok {
			v.Add(&accordrt.JSONPointer{Up: p, Key: k}, "is required")
		}
	}
	if pv, ok := y["seq"]; ok {
		checkInteger(pv, &accordrt.JSONPointer{Up: p, Key: "seq"}, v, 0)
	}
	if pv, ok := y["amount"]; ok {
		checkInteger(pv, &accordrt.JSONPointer{Up: p, Key: "amount"}, v, 1)
	}
	if pv, ok := y["customer"]; ok {
		if s, ok := pv.(string); !ok {
			v.Add(&accordrt.JSONPointer{Up: p, Key: "customer"}, "must be a string")
		} else if !customerPattern.MatchString(s) {
			v.Add(&accordrt.JSONPointer{Up: p, Key: "customer"}, "must match ^cust_[0-9]+$")
		}
	}
	if pv, ok := y["currency"]; ok {
		switch pv {
		case "EUR", "USD", "GBP":
		default:
			v.Add(&accordrt.JSONPointer{Up: p, Key: "currency"}, "must be one of EUR, USD, GBP")
		}
	}
}

func checkInteger(x any, p *accordrt.JSONPointer, v *accordrt.Violations, minimum float64) {
	f, ok := x.(float64)
	switch {
	case !ok:
		v.Add(p, "must be an integer")
	case f != math.Trunc(f):
		v.Add(p, "must be an integer")
	case f < minimum:
		v.Add(p, fmt.Sprintf("must be >= %g", minimum))
	}
}

// generatedHandler is the generated accordEventHandler with validation:
// an invalid or undecodable payload is permanent (dead-lettered at once).
func generatedHandler[T any](op string, concurrency int, timeout time.Duration, check func(any, *accordrt.JSONPointer, *accordrt.Violations),
	call func(context.Context, *sql.Tx, T, *accordrt.EventDelivery) error) accordrt.EventTxHandler {
	sem := make(chan struct{}, concurrency)
	return func(ctx context.Context, tx *sql.Tx, d *accordrt.EventDelivery) error {
		if err := accordrt.ValidateEvent(op, "", d.Payload, check); err != nil {
			return err
		}
		var msg T
		if err := json.Unmarshal(d.Payload, &msg); err != nil {
			return fmt.Errorf("%s: decoding message %s: %w: %v", op, d.ID, accordrt.ErrEventPermanent, err)
		}
		select {
		case sem <- struct{}{}:
			defer func() { <-sem }()
		case <-ctx.Done():
			return ctx.Err()
		}
		ctx, cancel := context.WithTimeout(ctx, timeout)
		defer cancel()
		if err := call(ctx, tx, msg, d); err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		return nil
	}
}

// newGeneratedConsumer registers the generated-like handler on an
// EventConsumer; handled counts typed calls.
func newGeneratedConsumer(tr accordrt.EventTransport, group, topic string, handled *atomic.Int64) *accordrt.EventConsumer {
	c := accordrt.NewEventConsumer(tr, accordrt.EventConsumerOptions{Group: group, MaxAttempts: 3})
	h := generatedHandler("onPaymentSettled", 256, time.Second, checkPaymentSettled,
		func(_ context.Context, _ *sql.Tx, m paymentSettled, _ *accordrt.EventDelivery) error {
			if m.Currency == "" {
				return errors.New("unreachable: validated")
			}
			handled.Add(1)
			return nil
		})
	// As the generated RegisterHandler does (accordEventNoTx).
	c.Handle(topic, func(ctx context.Context, d *accordrt.EventDelivery) error { return h(ctx, nil, d) })
	return c
}

// BenchmarkConsumerOverhead: n records (published by accord, so they carry
// its headers) consumed from kfake by a bare franz-go group loop that only
// touches each record, and by accord's Kafka transport with the generated
// consumer path (decode + validate + dispatch, no inbox); ns per message of
// each, interleaved over BENCH_EVENTS_ROUNDS rounds (medians), and the
// ratio. Both commit offsets after each poll. Run it with -benchtime 1x.
func BenchmarkConsumerOverhead(b *testing.B) {
	n := envInt("BENCH_EVENTS_CONSUME_N", 20_000)
	rounds := envInt("BENCH_EVENTS_ROUNDS", 3)
	const topic = "settled"
	cl := newCluster(b, topic, topic+".dlq")
	tr, err := accordrt.NewKafkaTransport(accordrt.KafkaTransportOptions{Brokers: cl.ListenAddrs(),
		ClientOptions: []kgo.Opt{kgo.FetchMaxWait(200 * time.Millisecond)}})
	if err != nil {
		b.Fatal(err)
	}
	defer tr.Close()
	ctx := context.Background()
	for first := 0; first < n; first += benchTxRows {
		msgs := make([]accordrt.EventMessage, 0, benchTxRows)
		for i := first; i < min(first+benchTxRows, n); i++ {
			msgs = append(msgs, accordrt.EventMessage{ID: fmt.Sprintf("m-%d", i), Topic: topic, Key: key(i), Payload: payload(i), ContentType: "application/json"})
		}
		if err := tr.Publish(ctx, msgs); err != nil {
			b.Fatal(err)
		}
	}
	var bare, gen []float64
	b.ResetTimer()
	for range b.N {
		for r := range rounds {
			group := fmt.Sprintf("r%d", r)
			bd := consumeBare(b, cl.ListenAddrs(), "bare-"+group, topic, n)
			gd := consumeGenerated(b, tr, "gen-"+group, topic, n)
			bare = append(bare, float64(bd.Nanoseconds())/float64(n))
			gen = append(gen, float64(gd.Nanoseconds())/float64(n))
			b.Logf("round %d: bare franz-go %.0f ns/msg, accord generated consumer %.0f ns/msg", r+1, bare[len(bare)-1], gen[len(gen)-1])
		}
	}
	b.StopTimer()
	mb, mg := median(bare), median(gen)
	b.ReportMetric(mb, "bare-ns/msg")
	b.ReportMetric(mg, "accord-ns/msg")
	b.ReportMetric(mg-mb, "overhead-ns/msg")
	b.ReportMetric(mg/mb, "ratio")
}

func consumeBare(tb testing.TB, brokers []string, group, topic string, n int) time.Duration {
	tb.Helper()
	cons, err := kgo.NewClient(kgo.SeedBrokers(brokers...), kgo.ConsumerGroup(group), kgo.ConsumeTopics(topic),
		kgo.DisableAutoCommit(), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(200*time.Millisecond))
	if err != nil {
		tb.Fatal(err)
	}
	defer cons.Close()
	ctx, cancel := context.WithTimeout(context.Background(), drainTimeout)
	defer cancel()
	var start time.Time
	got, bytes := 0, 0
	for got < n && ctx.Err() == nil {
		f := cons.PollFetches(ctx)
		if got == 0 && f.NumRecords() > 0 {
			start = time.Now() // the group is joined: from here on it is per-message work
		}
		f.EachRecord(func(r *kgo.Record) { got++; bytes += len(r.Value) })
		if err := cons.CommitUncommittedOffsets(ctx); err != nil {
			tb.Fatal(err)
		}
	}
	elapsed := time.Since(start)
	if got != n || bytes == 0 {
		tb.Fatalf("bare: %d of %d records", got, n)
	}
	return elapsed
}

func consumeGenerated(tb testing.TB, tr *accordrt.KafkaTransport, group, topic string, n int) time.Duration {
	tb.Helper()
	var handled, startNs atomic.Int64
	c := newGeneratedConsumer(tr, group, topic, &handled)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- tr.Consume(ctx, group, []string{topic}, func(ctx context.Context, d *accordrt.EventDelivery) error {
			startNs.CompareAndSwap(0, time.Now().UnixNano()) // the group is joined
			return c.Deliver(ctx, d)
		})
	}()
	deadline := time.Now().Add(drainTimeout)
	for handled.Load() < int64(n) && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	elapsed := time.Since(time.Unix(0, startNs.Load()))
	cancel()
	if err := <-done; err != nil {
		tb.Fatal(err)
	}
	if got := handled.Load(); got != int64(n) {
		tb.Fatalf("generated consumer: %d of %d handled", got, n)
	}
	return elapsed
}

// BenchmarkConsumerDispatch is the per-message work alone, without Kafka:
// EventConsumer.Deliver of one delivery through the generated path, and
// the validation + decode within it. ns/op is per message.
func BenchmarkConsumerDispatch(b *testing.B) {
	d := &accordrt.EventDelivery{EventMessage: accordrt.EventMessage{ID: "m-1", Topic: "settled", Key: "cust_1", Payload: payload(1),
		ContentType: "application/json"}, Attempt: 1, Partition: 0, Offset: 1, Group: "g"}
	b.Run("validate_decode", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := accordrt.ValidateEvent("op", "", d.Payload, checkPaymentSettled); err != nil {
				b.Fatal(err)
			}
			var m paymentSettled
			if err := json.Unmarshal(d.Payload, &m); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("deliver", func(b *testing.B) {
		var handled atomic.Int64
		c := newGeneratedConsumer(nopTransport{}, "g", "settled", &handled)
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if err := c.Deliver(ctx, d); err != nil {
				b.Fatal(err)
			}
		}
		if handled.Load() == 0 {
			b.Fatal("handler never ran")
		}
	})
}

// nopTransport is never asked to publish: every message is valid.
type nopTransport struct{}

func (nopTransport) Publish(context.Context, []accordrt.EventMessage) error {
	return errors.New("unexpected publish")
}
func (nopTransport) Consume(context.Context, string, []string, accordrt.EventHandler) error {
	return nil
}
func (nopTransport) Close() error { return nil }
