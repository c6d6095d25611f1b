package runtime

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestTopicPatterns(t *testing.T) {
	p, err := rtCompilePattern("invoices.{tenant}.created")
	if err != nil {
		t.Fatal(err)
	}
	for topic, want := range map[string]string{"invoices.acme.created": "acme", "invoices..created": "", "invoices.a.b.created": "", "invoices.acme.created.dlq": ""} {
		vals, ok := p.match(topic)
		if ok != (want != "") || vals["tenant"] != want {
			t.Errorf("%s: %v %v", topic, vals, ok)
		}
	}
	if vals, ok := mustPattern(t, "accounts/{tenantId}/signedup").match("accounts/t1/signedup"); !ok || vals["tenantId"] != "t1" {
		t.Errorf("path-like address: %v", vals)
	}
	if _, ok := mustPattern(t, "a.x{t}.b").match("a.xy.b"); !ok {
		t.Error("a parameter inside a token")
	}
	if got := rtNATSSubject("a.x{t}.b"); got != "a.x{t}.b" {
		t.Errorf("nats cannot express a part-token wildcard: %s", got)
	}
	for _, bad := range []string{"a.{}.b", "a.{t}{u}", "a.{t}.{t}", "a.{t", "a.t}"} {
		if _, err := rtCompilePattern(bad); err == nil {
			t.Errorf("%s compiled", bad)
		}
	}
	if got := rtNATSSubject("invoices.{tenant}.created"); got != "invoices.*.created" {
		t.Errorf("nats %s", got)
	}
	if got := rtKafkaRegex("in-v.{tenant}.created"); got != `^in-v\.([^./]+)\.created$` {
		t.Errorf("kafka %s", got)
	}
	if got := rtKafkaRegex("a.b"); got != `^a\.b$` {
		t.Errorf("kafka exact %s", got)
	}
	for _, bad := range []string{"", "a.b", "a/b", "*", ">", "a b", "{x}"} {
		if err := CheckEventParam("tenant", bad); !errors.Is(err, ErrEventParam) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func mustPattern(t *testing.T, s string) *rtTopicPattern {
	t.Helper()
	p, err := rtCompilePattern(s)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestEventRoutes: per-route attempts and dead-letter topic, a pattern
// route with its parameters, the inbox off for one route, and a topic
// created after the consumer started still consumed by the pattern.
func TestEventRoutes(t *testing.T) {
	tr := NewMemoryTransport(MemoryTransportOptions{Partitions: 2})
	defer tr.Close()
	ctx := context.Background()
	var mu sync.Mutex
	calls := map[string]int{}
	tenants := map[string]int{}
	c := NewEventConsumer(tr, EventConsumerOptions{Group: "g", MaxAttempts: 9, BackoffBase: time.Millisecond, BackoffCap: 2 * time.Millisecond, Inbox: NewMemoryInbox()})
	c.Route(EventRoute{Operation: "onFail", Topic: "fail", MaxAttempts: 2, DeadLetterTopic: "ops.dead"}, func(ctx context.Context, d *EventDelivery) error {
		mu.Lock()
		calls["fail"]++
		mu.Unlock()
		return errors.New("no")
	})
	c.Route(EventRoute{Operation: "onInvoice", Topic: "invoices.{tenant}.created"}, func(ctx context.Context, d *EventDelivery) error {
		mu.Lock()
		tenants[d.Params["tenant"]]++
		mu.Unlock()
		return nil
	})
	c.Route(EventRoute{Operation: "onTick", Topic: "tick", NoInbox: true}, func(ctx context.Context, d *EventDelivery) error {
		mu.Lock()
		calls["tick"]++
		mu.Unlock()
		return nil
	})
	if err := tr.Publish(ctx, []EventMessage{{ID: "1", Topic: "fail"}, {ID: "2", Topic: "invoices.acme.created"}, {ID: "3", Topic: "tick"}, {ID: "3", Topic: "tick"}}); err != nil {
		t.Fatal(err)
	}
	runConsumer(t, c)
	var dead collector
	runConsume(t, tr, "inspect", []string{"ops.dead"}, dead.handler)
	// After the consumer started: a new tenant's topic.
	if err := tr.Publish(ctx, []EventMessage{{ID: "4", Topic: "invoices.globex.created"}, {ID: "5", Topic: "invoices.globex.created"}}); err != nil {
		t.Fatal(err)
	}
	evWait(t, 5*time.Second, "routes", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return dead.len() == 1 && tenants["acme"] == 1 && tenants["globex"] == 2 && calls["tick"] == 2
	})
	mu.Lock()
	defer mu.Unlock()
	if calls["fail"] != 2 {
		t.Errorf("the failing route ran %d times, want its own 2 attempts (the consumer allows 9)", calls["fail"])
	}
	dl, ok := ParseDeadLetter(&dead.get(0).EventMessage)
	if !ok || dl.Topic != "fail" || !strings.Contains(dl.Reason, "2 attempts") {
		t.Errorf("dead letter %+v", dl)
	}
}

func TestEventRouteChecks(t *testing.T) {
	tr := NewMemoryTransport(MemoryTransportOptions{})
	defer tr.Close()
	nop := func(context.Context, *EventDelivery) error { return nil }
	for name, setup := range map[string]func(*EventConsumer){
		"bad pattern":       func(c *EventConsumer) { c.Route(EventRoute{Topic: "a.{t"}, nop) },
		"twice":             func(c *EventConsumer) { c.Handle("a", nop); c.Handle("a", nop) },
		"scheme, no verify": func(c *EventConsumer) { c.Route(EventRoute{Topic: "a", Scheme: "partner"}, nop) },
	} {
		c := NewEventConsumer(tr, EventConsumerOptions{Group: "g"})
		setup(c)
		if err := c.Run(context.Background()); err == nil {
			t.Errorf("%s: Run accepted it", name)
		}
	}
	c := NewEventConsumer(tr, EventConsumerOptions{Group: "g", ChannelTopics: map[string][]string{"a.{t}": {"b.x"}}})
	c.Route(EventRoute{Topic: "a.{t}"}, nop)
	if err := c.Run(context.Background()); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Errorf("ChannelTopics with a foreign topic: %v", err)
	}
}

// TestEventVerifierPerScheme: two routes signed by different partners.
func TestEventVerifierPerScheme(t *testing.T) {
	tr := NewMemoryTransport(MemoryTransportOptions{})
	defer tr.Close()
	ctx := context.Background()
	a := &EventSigner{Secrets: StaticSecrets{[]byte("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")}}
	b := &EventSigner{Secrets: StaticSecrets{[]byte("bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb")}}
	var mu sync.Mutex
	got := map[string]int{}
	dead := map[string]string{}
	c := NewEventConsumer(tr, EventConsumerOptions{Group: "g", Verifiers: map[string]*EventSigner{"a": a, "b": b},
		Hooks: EventConsumerHooks{OnDeadLetter: func(d *EventDelivery, reason string) { mu.Lock(); dead[d.ID] = reason; mu.Unlock() }}})
	for _, s := range []string{"a", "b"} {
		c.Route(EventRoute{Topic: "t." + s, Scheme: s}, func(_ context.Context, d *EventDelivery) error {
			mu.Lock()
			got[d.ID]++
			mu.Unlock()
			return nil
		})
	}
	runConsumer(t, c)
	pub := NewEventPublisher(tr, EventPublisherOptions{Signers: map[string]*EventSigner{"a": a, "b": b}})
	if _, err := NewEventPublisher(tr, EventPublisherOptions{}).PublishSigned(ctx, EventMessage{Topic: "t.a"}, "a"); err == nil {
		t.Error("a signed operation was published without a signer")
	}
	for _, m := range []struct{ id, topic, scheme string }{{"ok-a", "t.a", "a"}, {"ok-b", "t.b", "b"}, {"b-on-a", "t.a", "b"}} {
		if _, err := pub.PublishSigned(ctx, EventMessage{ID: m.id, Topic: m.topic}, m.scheme); err != nil {
			t.Fatal(err)
		}
	}
	evWait(t, 5*time.Second, "verified", func() bool { mu.Lock(); defer mu.Unlock(); return len(got)+len(dead) == 3 })
	mu.Lock()
	defer mu.Unlock()
	if got["ok-a"] != 1 || got["ok-b"] != 1 || !strings.Contains(dead["b-on-a"], "no key matches") {
		t.Errorf("handled %v, dead %v", got, dead)
	}
}

// TestKafkaPatternRoute: a parameterised channel over kfake is a regex
// subscription, and a tenant's topic created after the consumer joined is
// found on a metadata refresh.
func TestKafkaPatternRoute(t *testing.T) {
	_, tr := newKfake(t, "invoices.acme.created", "audit")
	ctx := context.Background()
	var mu sync.Mutex
	tenants := map[string]int{}
	audit := 0
	c := NewEventConsumer(tr, EventConsumerOptions{Group: "g", Inbox: NewMemoryInbox()})
	c.Route(EventRoute{Topic: "invoices.{tenant}.created"}, func(_ context.Context, d *EventDelivery) error {
		mu.Lock()
		tenants[d.Params["tenant"]]++
		mu.Unlock()
		return nil
	})
	c.Handle("audit", func(context.Context, *EventDelivery) error { mu.Lock(); audit++; mu.Unlock(); return nil })
	runConsumer(t, c)
	pub := NewEventPublisher(tr, EventPublisherOptions{})
	for _, topic := range []string{"invoices.acme.created", "audit", "invoices.globex.created", "invoices.acme.created.dlq"} {
		if _, err := pub.Publish(ctx, EventMessage{Topic: topic, Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	evWait(t, 20*time.Second, "pattern deliveries", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return tenants["acme"] == 1 && tenants["globex"] == 1 && audit == 1
	})
	mu.Lock()
	defer mu.Unlock()
	if len(tenants) != 2 {
		t.Errorf("tenants %v (the .dlq topic must not match the pattern)", tenants)
	}
}

// TestNATSPatternRoute: a parameterised channel is a "*" filter subject on
// JetStream, the parameter parsed from the concrete subject.
func TestNATSPatternRoute(t *testing.T) {
	tr, prefix := newNATS(t, time.Second)
	ctx := context.Background()
	var mu sync.Mutex
	tenants := map[string]int{}
	c := NewEventConsumer(tr, EventConsumerOptions{Group: prefix + "-g", Inbox: NewMemoryInbox()})
	c.Route(EventRoute{Topic: prefix + ".invoices.{tenant}.created"}, func(_ context.Context, d *EventDelivery) error {
		mu.Lock()
		tenants[d.Params["tenant"]]++
		mu.Unlock()
		return nil
	})
	runConsumer(t, c)
	pub := NewEventPublisher(tr, EventPublisherOptions{})
	for _, s := range []string{"invoices.acme.created", "invoices.globex.created", "invoices.acme.created.dlq", "invoices.created"} {
		if _, err := pub.Publish(ctx, EventMessage{Topic: prefix + "." + s, Payload: []byte(`{}`)}); err != nil {
			t.Fatal(err)
		}
	}
	evWait(t, 10*time.Second, "pattern deliveries", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return tenants["acme"] == 1 && tenants["globex"] == 1
	})
	time.Sleep(100 * time.Millisecond) // nothing else may arrive
	mu.Lock()
	defer mu.Unlock()
	if len(tenants) != 2 {
		t.Errorf("tenants %v", tenants)
	}
}

// TestEventRouteChannelTopics: a pattern route given its concrete topics
// subscribes those, not the wildcard.
func TestEventRouteChannelTopics(t *testing.T) {
	tr := NewMemoryTransport(MemoryTransportOptions{})
	defer tr.Close()
	var mu sync.Mutex
	tenants := map[string]int{}
	c := NewEventConsumer(tr, EventConsumerOptions{Group: "g", ChannelTopics: map[string][]string{"inv.{tenant}": {"inv.acme"}}})
	c.Route(EventRoute{Topic: "inv.{tenant}"}, func(_ context.Context, d *EventDelivery) error {
		mu.Lock()
		tenants[d.Params["tenant"]]++
		mu.Unlock()
		return nil
	})
	if got := c.subscriptions(); len(got) != 1 || got[0] != "inv.acme" {
		t.Fatalf("subscriptions %v", got)
	}
	runConsumer(t, c)
	if err := tr.Publish(context.Background(), []EventMessage{{ID: "1", Topic: "inv.globex"}, {ID: "2", Topic: "inv.acme"}}); err != nil {
		t.Fatal(err)
	}
	evWait(t, 5*time.Second, "acme", func() bool { mu.Lock(); defer mu.Unlock(); return tenants["acme"] == 1 })
	mu.Lock()
	defer mu.Unlock()
	if tenants["globex"] != 0 {
		t.Errorf("a topic outside ChannelTopics was consumed: %v", tenants)
	}
}

// TestEventRouteNoInboxTx: a transactional route with the inbox off runs
// in a transaction of the SQLInbox's database that records nothing, so a
// repeated id has its effect again (counted in SQL), while an inbox route
// on the same consumer skips the repeat.
func TestEventRouteNoInboxTx(t *testing.T) {
	for _, be := range sqlBackends() {
		t.Run(string(be.dialect), func(t *testing.T) {
			e := openEventsDB(t, be)
			tr := NewMemoryTransport(MemoryTransportOptions{})
			defer tr.Close()
			var dups atomic.Int32
			c := NewEventConsumer(tr, EventConsumerOptions{Group: "g", Inbox: e.newInbox(t),
				Hooks: EventConsumerHooks{OnDuplicate: func(*EventDelivery) { dups.Add(1) }}})
			c.RouteTx(EventRoute{Topic: "ticks", NoInbox: true}, e.effectHandler())
			c.RouteTx(EventRoute{Topic: "orders"}, e.effectHandler())
			runConsumer(t, c)
			ctx := context.Background()
			for _, m := range []EventMessage{{ID: "t1", Topic: "ticks", Payload: []byte("1")}, {ID: "t1", Topic: "ticks", Payload: []byte("1")},
				{ID: "o1", Topic: "orders", Payload: []byte("1")}, {ID: "o1", Topic: "orders", Payload: []byte("1")}} {
				if err := tr.Publish(ctx, []EventMessage{m}); err != nil {
					t.Fatal(err)
				}
			}
			evWait(t, 5*time.Second, "effects", func() bool { n, _ := e.effects(t); return n == 3 && dups.Load() == 1 })
			var ticks int
			if err := e.db.QueryRow("SELECT COUNT(*) FROM " + e.effect + " WHERE message_id = 't1'").Scan(&ticks); err != nil {
				t.Fatal(err)
			}
			if ticks != 2 {
				t.Errorf("the inbox-off route had %d effects for a repeated id, want 2", ticks)
			}
		})
	}
}
