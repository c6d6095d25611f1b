package generator

// e2ePolicyTest runs inside the temporary module against the package
// generated from e2ePolicyContract: one scenario, over the memory
// transport and over kfake.
const e2ePolicyTest = `package billing_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"

	"accordtest/accordrt"
	"accordtest/billing"
)

// recorder implements billing.Handler and counts every run.
type recorder struct {
	mu      sync.Mutex
	runs    map[string]int // by operation/message and id
	tenants map[string]int
	dead    []string // the dead-letter hook's ids
	// inflight and maxInflight watch onTick's x-accord concurrency 1.
	inflight, maxInflight int
}

func (r *recorder) add(k string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.runs[k]++
}

func (r *recorder) count(k string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.runs[k]
}

func (r *recorder) OnInvoiceCreated(ctx context.Context, msg billing.Invoice, d *accordrt.EventDelivery) error {
	r.add("invoice/" + msg.InvoiceId)
	if _, ok := ctx.Deadline(); !ok {
		return errors.New("no per-run timeout")
	}
	if msg.InvoiceId == "inv_fail" {
		return errors.New("ledger down")
	}
	return nil
}

func (r *recorder) OnTenantInvoiceCreated(_ context.Context, tenant string, msg billing.Invoice, d *accordrt.EventDelivery) error {
	r.add("tenant/" + msg.InvoiceId)
	r.mu.Lock()
	r.tenants[tenant]++
	r.mu.Unlock()
	if msg.InvoiceId == "inv_tfail" {
		return errors.New("tenant ledger down")
	}
	return nil
}

func (r *recorder) OnPaymentSettled(_ context.Context, msg billing.Settled, _ *accordrt.EventDelivery) error {
	r.add("settled/" + msg.PaymentId)
	if msg.PaymentId == "p-retry" {
		return errors.New("bank down")
	}
	return nil
}

func (r *recorder) OnPaymentFailed(_ context.Context, msg billing.Failed, _ *accordrt.EventDelivery) error {
	r.add("failed/" + msg.PaymentId)
	return nil
}

func (r *recorder) OnTick(_ context.Context, msg billing.Tick, d *accordrt.EventDelivery) error {
	r.mu.Lock()
	r.inflight++
	r.maxInflight = max(r.maxInflight, r.inflight)
	r.runs["tick/"+d.ID]++
	r.runs["ticks"]++
	r.mu.Unlock()
	time.Sleep(time.Millisecond) // overlap, if the limit let two run
	r.mu.Lock()
	r.inflight--
	r.mu.Unlock()
	return nil
}

func (r *recorder) OnNoteA(_ context.Context, msg billing.Note, _ *accordrt.EventDelivery) error {
	r.add("a/" + msg.Text)
	return nil
}

func (r *recorder) OnNoteB(_ context.Context, msg billing.Note, _ *accordrt.EventDelivery) error {
	r.add("b/" + msg.Text)
	return nil
}

var dlqTopics = []string{"billing.dead", "billing.acme.invoice.created.dlq", "billing.umbrella.invoice.created.dlq",
	"billing.payment.dlq", "billing.partner.a.dlq", "billing.partner.b.dlq"}

func TestMemory(t *testing.T) {
	tr := accordrt.NewMemoryTransport(accordrt.MemoryTransportOptions{Partitions: 2})
	defer tr.Close()
	scenario(t, tr)
}

func TestKafka(t *testing.T) {
	topics := append([]string{"billing.invoice.created", "billing.acme.invoice.created", "billing.globex.invoice.created",
		"billing.umbrella.invoice.created", "billing.payment", "billing.tick", "billing.partner.a", "billing.partner.b"}, dlqTopics...)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(2, topics...), kfake.AllowAutoTopicCreation())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	tr, err := accordrt.NewKafkaTransport(accordrt.KafkaTransportOptions{Brokers: c.ListenAddrs(),
		ClientOptions: []kgo.Opt{kgo.FetchMaxWait(100 * time.Millisecond)}})
	if err != nil {
		t.Fatal(err)
	}
	defer tr.Close()
	scenario(t, tr)
}

func key(b byte) []byte { return []byte(strings.Repeat(string(b), 32)) }

func scenario(t *testing.T, tr accordrt.EventTransport) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	signA := &accordrt.EventSigner{Secrets: accordrt.StaticSecrets{key('a')}}
	signB := &accordrt.EventSigner{Secrets: accordrt.StaticSecrets{key('b')}}
	if _, err := billing.NewPublisher(tr, accordrt.EventPublisherOptions{Signers: map[string]*accordrt.EventSigner{"partnerA": signA}}); err == nil {
		t.Fatal("a publisher without partnerB's signer was accepted")
	}
	pub, err := billing.NewPublisher(tr, accordrt.EventPublisherOptions{Signers: map[string]*accordrt.EventSigner{"partnerA": signA, "partnerB": signB}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := billing.NewConsumer(tr, accordrt.EventConsumerOptions{Group: "g", Inbox: accordrt.NewMemoryInbox(),
		Verifiers: map[string]*accordrt.EventSigner{"partnerA": signA}}); err == nil {
		t.Fatal("a consumer without partnerB's verifier was accepted")
	}
	r := &recorder{runs: map[string]int{}, tenants: map[string]int{}}
	c, err := billing.NewConsumer(tr, accordrt.EventConsumerOptions{Group: "billing", Inbox: accordrt.NewMemoryInbox(),
		Verifiers: map[string]*accordrt.EventSigner{"partnerA": signA, "partnerB": signB},
		Hooks: accordrt.EventConsumerHooks{OnDeadLetter: func(d *accordrt.EventDelivery, _ string) {
			r.mu.Lock()
			r.dead = append(r.dead, d.ID)
			r.mu.Unlock()
		}}})
	if err != nil {
		t.Fatal(err)
	}
	billing.RegisterHandler(c, r)
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()

	// The publisher refuses what breaks the contract, with a typed error.
	var inv *accordrt.EventInvalidError
	if _, err := pub.PublishInvoiceCreated(ctx, billing.Invoice{InvoiceId: "inv_0", AmountMinor: 0}); !errors.As(err, &inv) || !strings.Contains(err.Error(), "/amount_minor") {
		t.Fatalf("an invalid invoice was published: %v", err)
	}
	for _, tenant := range []string{"umbrella", "ac.me", ""} {
		if _, err := pub.PublishTenantInvoiceCreated(ctx, tenant, billing.Invoice{InvoiceId: "inv_x", AmountMinor: 1}); !errors.As(err, &inv) {
			t.Errorf("tenant %q was accepted: %v", tenant, err)
		}
	}
	must := func(_ accordrt.EventMessage, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	raw := func(m accordrt.EventMessage) {
		t.Helper()
		if err := tr.Publish(ctx, []accordrt.EventMessage{m}); err != nil {
			t.Fatal(err)
		}
	}
	// onInvoiceCreated: retries 3 (4 attempts), dead letters to billing.dead.
	first, err := pub.PublishInvoiceCreated(ctx, billing.Invoice{InvoiceId: "inv_1", AmountMinor: 100})
	must(first, err)
	if first.Key != "inv_1" || first.Headers[accordrt.EventHeaderMessage] != "invoice" {
		t.Fatalf("the operation's partitionKey or the message name was not applied: %+v", first)
	}
	must(pub.PublishInvoiceCreated(ctx, billing.Invoice{InvoiceId: "inv_1", AmountMinor: 100}, billing.WithMessageID(first.ID)))
	must(pub.PublishInvoiceCreated(ctx, billing.Invoice{InvoiceId: "inv_fail", AmountMinor: 100}))
	raw(accordrt.EventMessage{ID: "bad-invoice", Topic: "billing.invoice.created", Payload: []byte(` + "`" + `{"invoice_id":"inv_bad","amount_minor":0}` + "`" + `)})
	// onTenantInvoiceCreated: the parameter reaches the handler; retries 0
	// from the accord.yaml layer; a tenant outside the enum is dead-lettered.
	must(pub.PublishTenantInvoiceCreated(ctx, "acme", billing.Invoice{InvoiceId: "inv_a1", AmountMinor: 1}))
	must(pub.PublishTenantInvoiceCreated(ctx, "globex", billing.Invoice{InvoiceId: "inv_g1", AmountMinor: 1}))
	must(pub.PublishTenantInvoiceCreated(ctx, "acme", billing.Invoice{InvoiceId: "inv_tfail", AmountMinor: 1}))
	raw(accordrt.EventMessage{ID: "bad-tenant", Topic: "billing.umbrella.invoice.created", Payload: []byte(` + "`" + `{"invoice_id":"inv_u1","amount_minor":1}` + "`" + `)})
	// onPayment: two messages, by header or by schema; retries 1 from the document.
	must(pub.PublishPaymentSettled(ctx, billing.Settled{PaymentId: "p1", SettledAt: "2026-12-01"}))
	must(pub.PublishPaymentFailed(ctx, billing.Failed{PaymentId: "p2", Reason: "card"}))
	must(pub.PublishPaymentSettled(ctx, billing.Settled{PaymentId: "p-retry", SettledAt: "2026-12-01"}))
	raw(accordrt.EventMessage{ID: "p3", Topic: "billing.payment", Payload: []byte(` + "`" + `{"payment_id":"p3","reason":"expired"}` + "`" + `)})
	raw(accordrt.EventMessage{ID: "p4", Topic: "billing.payment", Payload: []byte(` + "`" + `{"payment_id":"p4","reason":"x","settled_at":"y"}` + "`" + `)})
	raw(accordrt.EventMessage{ID: "p5", Topic: "billing.payment", Payload: []byte(` + "`" + `{"payment_id":"p5"}` + "`" + `), Headers: map[string]string{accordrt.EventHeaderMessage: "refunded"}})
	// onTick: inbox off, so a repeated id runs twice.
	tick, err := pub.PublishTick(ctx, billing.Tick{N: 1})
	must(tick, err)
	must(pub.PublishTick(ctx, billing.Tick{N: 1}, billing.WithMessageID(tick.ID)))
	// Ticks on many keys spread over the partitions, which run in
	// parallel; the operation's concurrency 1 lets one handler run at a time.
	for i := range 20 {
		must(pub.PublishTick(ctx, billing.Tick{N: i}, billing.WithKey("k"+string(rune('a'+i)))))
	}
	// Two partners, two keys: each channel verifies with its own scheme.
	must(pub.PublishNoteA(ctx, billing.Note{Text: "hello"}))
	must(pub.PublishNoteB(ctx, billing.Note{Text: "hello"}))
	forger, err := billing.NewPublisher(tr, accordrt.EventPublisherOptions{Signers: map[string]*accordrt.EventSigner{"partnerA": signA, "partnerB": signA}})
	if err != nil {
		t.Fatal(err)
	}
	forged, err := forger.PublishNoteB(ctx, billing.Note{Text: "forged"})
	must(forged, err)
	raw(accordrt.EventMessage{ID: "unsigned-a", Topic: "billing.partner.a", Payload: []byte(` + "`" + `{"text":"unsigned"}` + "`" + `)})

	// The dead letters, by id, as the dead-letter topics hold them.
	var dmu sync.Mutex
	dead := map[string]accordrt.EventDeadLetter{}
	deadTopic := map[string]string{}
	go func() {
		_ = tr.Consume(runCtx, "dlq-reader", dlqTopics, func(_ context.Context, d *accordrt.EventDelivery) error {
			if meta, ok := accordrt.ParseDeadLetter(&d.EventMessage); ok {
				dmu.Lock()
				dead[d.ID], deadTopic[d.ID] = meta, d.Topic
				dmu.Unlock()
			}
			return nil
		})
	}()
	const wantDead = 9
	for i := 0; ; i++ {
		dmu.Lock()
		n := len(dead)
		dmu.Unlock()
		if n == wantDead && r.count("tick/"+tick.ID) == 2 && r.count("ticks") == 22 && r.count("a/hello") == 1 && r.count("b/hello") == 1 &&
			r.count("failed/p3") == 1 && r.count("invoice/inv_1") == 1 && r.count("tenant/inv_g1") == 1 {
			break
		}
		if i == 3000 {
			dmu.Lock()
			r.mu.Lock()
			t.Fatalf("not settled: %d dead letters %v, runs %v", n, deadTopic, r.runs)
		}
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("consumer: %v", err)
	}
	dmu.Lock()
	defer dmu.Unlock()
	r.mu.Lock()
	defer r.mu.Unlock()
	for k, want := range map[string]int{
		"invoice/inv_1": 1, "invoice/inv_fail": 4, "invoice/inv_bad": 0,
		"tenant/inv_a1": 1, "tenant/inv_g1": 1, "tenant/inv_tfail": 1, "tenant/inv_u1": 0,
		"settled/p1": 1, "failed/p2": 1, "settled/p-retry": 2, "failed/p3": 1, "failed/p4": 0, "settled/p4": 0, "settled/p5": 0, "failed/p5": 0,
		"tick/" + tick.ID: 2, "a/hello": 1, "b/hello": 1, "b/forged": 0, "a/unsigned": 0,
	} {
		if got := r.runs[k]; got != want {
			t.Errorf("%s ran %d times, want %d", k, got, want)
		}
	}
	if r.maxInflight != 1 {
		t.Errorf("onTick ran %d handlers at once, x-accord concurrency is 1", r.maxInflight)
	}
	if r.tenants["acme"] != 2 || r.tenants["globex"] != 1 || len(r.tenants) != 2 {
		t.Errorf("tenants %v", r.tenants)
	}
	for id, want := range map[string]struct{ topic, reason string }{
		"bad-invoice":     {"billing.dead", "/amount_minor"},
		"bad-tenant":      {"billing.umbrella.invoice.created.dlq", "channel parameter tenant"},
		"p4":              {"billing.payment.dlq", "both"},
		"p5":              {"billing.payment.dlq", "refunded"},
		forged.ID:         {"billing.partner.b.dlq", "no key matches"},
		"unsigned-a":      {"billing.partner.a.dlq", "not signed"},
	} {
		if deadTopic[id] != want.topic || !strings.Contains(dead[id].Reason, want.reason) {
			t.Errorf("%s: dead letter on %q with %q, want %s with %q", id, deadTopic[id], dead[id].Reason, want.topic, want.reason)
		}
	}
	// The attempts each operation allows, then its dead-letter destination.
	attempts := map[string]struct {
		topic string
		n     int
	}{"billing.dead": {"billing.invoice.created", 4}, "billing.acme.invoice.created.dlq": {"billing.acme.invoice.created", 1}}
	seen := 0
	for id, meta := range dead {
		a, ok := attempts[deadTopic[id]]
		if !ok || id == "bad-invoice" {
			continue
		}
		seen++
		if meta.Attempts != a.n || meta.Topic != a.topic || !strings.Contains(meta.Reason, "attempts") {
			t.Errorf("%s: %+v, want %d attempts from %s", id, meta, a.n, a.topic)
		}
	}
	if seen != 2 {
		t.Errorf("%d retried dead letters, want 2: %v", seen, deadTopic)
	}
	t.Logf("dead letters: %v", deadTopic)
}
`
