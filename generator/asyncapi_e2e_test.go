package generator

import (
	"os"
	"path/filepath"
	"testing"
)

// e2eAsyncContract has the application both send and receive on one
// channel, so one process can publish a typed message and handle it; the
// second channel has a parameter, which the publisher validates.
const e2eAsyncContract = `asyncapi: 3.0.0
info: {title: Orders e2e, version: 1.0.0}
defaultContentType: application/json
channels:
  orders:
    address: shop.order.placed
    messages:
      orderPlaced: {$ref: '#/components/messages/OrderPlaced'}
  regional:
    address: shop.{region}.order.placed
    parameters:
      region: {}
    messages:
      orderPlaced: {$ref: '#/components/messages/OrderPlaced'}
operations:
  placeOrder:
    action: send
    channel: {$ref: '#/channels/orders'}
  placeRegionalOrder:
    action: send
    channel: {$ref: '#/channels/regional'}
  onOrderPlaced:
    action: receive
    channel: {$ref: '#/channels/orders'}
    x-accord:
      retries: 2
      backoff: {base: 1ms, cap: 5ms}
      timeout: 2s
components:
  messages:
    OrderPlaced:
      x-accord:
        partitionKey: $message.payload#/order_id
      bindings:
        kafka:
          key: {type: string}
      payload:
        type: object
        required: [order_id, total_minor]
        properties:
          order_id: {type: string}
          total_minor: {type: integer, format: int64}
`

// e2eAsyncTest runs inside the temporary module, against the generated
// package and the runtime's in-memory transport.
const e2eAsyncTest = `package events_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"accordtest/accordrt"
	orders "accordtest/events"
)

type handler struct {
	mu    sync.Mutex
	calls map[string]int // by order id
	fail  string         // an order id whose handler always fails
}

func (h *handler) OnOrderPlaced(ctx context.Context, msg orders.OrderPlaced, d *accordrt.EventDelivery) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.calls[msg.OrderId]++
	if msg.OrderId == h.fail {
		return errors.New("downstream refuses " + msg.OrderId)
	}
	if _, ok := ctx.Deadline(); !ok {
		return errors.New("handler runs without the operation's timeout")
	}
	return nil
}

func (h *handler) count(id string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.calls[id]
}

func TestPublishConsume(t *testing.T) {
	tr := accordrt.NewMemoryTransport(accordrt.MemoryTransportOptions{Partitions: 2})
	defer tr.Close()
	pub, err := orders.NewPublisher(tr, accordrt.EventPublisherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := orders.NewConsumer(tr, accordrt.EventConsumerOptions{Group: "g"}); err == nil {
		t.Fatal("a consumer without an inbox was accepted")
	}

	var mu sync.Mutex
	dups := 0
	dead := map[string]string{}
	c, err := orders.NewConsumer(tr, accordrt.EventConsumerOptions{
		Group: "billing", Inbox: accordrt.NewMemoryInbox(),
		Hooks: accordrt.EventConsumerHooks{
			OnDuplicate:  func(*accordrt.EventDelivery) { mu.Lock(); dups++; mu.Unlock() },
			OnDeadLetter: func(d *accordrt.EventDelivery, reason string) { mu.Lock(); dead[d.ID] = reason; mu.Unlock() },
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	h := &handler{calls: map[string]int{}, fail: "o-bad"}
	orders.RegisterHandler(c, h)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()

	first, err := pub.PublishPlaceOrder(ctx, orders.OrderPlaced{OrderId: "o-1", TotalMinor: 1200})
	if err != nil {
		t.Fatal(err)
	}
	if first.Key != "o-1" || first.ContentType != "application/json" || first.Topic != "shop.order.placed" || first.ID == "" {
		t.Fatalf("sent %+v", first)
	}
	// The same event again (a producer retry): the inbox skips it.
	if _, err := pub.PublishPlaceOrder(ctx, orders.OrderPlaced{OrderId: "o-1", TotalMinor: 1200}, orders.WithMessageID(first.ID)); err != nil {
		t.Fatal(err)
	}
	// A poison message on the same key: it must not reach the handler.
	if err := tr.Publish(ctx, []accordrt.EventMessage{{ID: "poison-1", Topic: "shop.order.placed", Key: "o-1", Payload: []byte("{not json")}}); err != nil {
		t.Fatal(err)
	}
	// A message whose handler always fails: 3 attempts (retries 2), then the dead letter.
	if _, err := pub.PublishPlaceOrder(ctx, orders.OrderPlaced{OrderId: "o-bad"}); err != nil {
		t.Fatal(err)
	}
	if _, err := pub.PublishPlaceOrder(ctx, orders.OrderPlaced{OrderId: "o-2"}); err != nil {
		t.Fatal(err)
	}

	for i := 0; ; i++ {
		mu.Lock()
		settled := dups == 1 && len(dead) == 2
		mu.Unlock()
		if settled && h.count("o-1") == 1 && h.count("o-2") == 1 {
			break
		}
		if i == 2000 {
			mu.Lock()
			t.Fatalf("not settled: dups %d, dead %v, calls %v", dups, dead, h.calls)
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("consumer: %v", err)
	}
	if n := h.count("o-bad"); n != 3 {
		t.Errorf("the failing handler ran %d times, want 3 (x-accord retries 2)", n)
	}
	if r := dead["poison-1"]; !strings.Contains(r, "breaks the contract") || !strings.Contains(r, "not valid JSON") {
		t.Errorf("poison dead-lettered with %q", r)
	}
	if len(h.calls) != 3 {
		t.Errorf("handler saw %v", h.calls)
	}

	// The dead letters are on the dead-letter topic with their metadata.
	got := map[string]accordrt.EventDeadLetter{}
	dctx, dstop := context.WithCancel(ctx)
	var dmu sync.Mutex
	go func() {
		_ = tr.Consume(dctx, "dlq-reader", []string{"shop.order.placed.dlq"}, func(_ context.Context, d *accordrt.EventDelivery) error {
			meta, ok := accordrt.ParseDeadLetter(&d.EventMessage)
			if ok {
				dmu.Lock()
				got[d.ID] = meta
				dmu.Unlock()
			}
			return nil
		})
	}()
	for i := 0; ; i++ {
		dmu.Lock()
		n := len(got)
		dmu.Unlock()
		if n == 2 {
			break
		}
		if i == 2000 {
			t.Fatalf("dead-letter topic holds %d messages, want 2", n)
		}
		time.Sleep(5 * time.Millisecond)
	}
	dstop()
	for _, meta := range got {
		if meta.Topic != "shop.order.placed" || meta.Group != "billing" {
			t.Errorf("dead letter metadata %+v", meta)
		}
	}
}

func TestChannelParameters(t *testing.T) {
	tr := accordrt.NewMemoryTransport(accordrt.MemoryTransportOptions{})
	defer tr.Close()
	pub, err := orders.NewPublisher(tr, accordrt.EventPublisherOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, bad := range []string{"", "eu/west", "eu.*", ">", "e u"} {
		if _, err := pub.PublishPlaceRegionalOrder(ctx, bad, orders.OrderPlaced{OrderId: "o"}); err == nil {
			t.Errorf("region %q was accepted", bad)
		}
	}
	m, err := pub.PublishPlaceRegionalOrder(ctx, "eu", orders.OrderPlaced{OrderId: "o-9"}, orders.WithCorrelationID("req-1"), orders.WithMessageHeader("tenant", "t1"))
	if err != nil {
		t.Fatal(err)
	}
	if m.Topic != "shop.eu.order.placed" || m.Key != "o-9" || m.CorrelationID != "req-1" || m.Headers["tenant"] != "t1" {
		t.Fatalf("sent %+v", m)
	}
}
`

// e2eSignedContract signs every message (document-level x-accord signature).
const e2eSignedContract = `asyncapi: 2.6.0
info: {title: Refunds e2e, version: 1.0.0}
x-accord:
  signature: partner
channels:
  shop.refund.issued:
    subscribe:
      operationId: issueRefund
      message: {$ref: '#/components/messages/Refund'}
    publish:
      operationId: onRefundIssued
      message: {$ref: '#/components/messages/Refund'}
components:
  securitySchemes:
    partner:
      type: httpApiKey
      name: accord-signature
      in: header
      x-accord-signature: {algorithm: hmac-sha256, format: accord}
  messages:
    Refund:
      name: refund
      payload:
        type: object
        required: [refund_id]
        properties:
          refund_id: {type: string}
`

const e2eSignedTest = `package signed_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"accordtest/accordrt"
	"accordtest/signed"
)

type refunds struct {
	mu  sync.Mutex
	got []string
}

func (r *refunds) OnRefundIssued(_ context.Context, msg signed.Refund, _ *accordrt.EventDelivery) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, msg.RefundId)
	return nil
}

func TestSigned(t *testing.T) {
	tr := accordrt.NewMemoryTransport(accordrt.MemoryTransportOptions{})
	defer tr.Close()
	signer := &accordrt.EventSigner{Secrets: accordrt.StaticSecrets{[]byte("0123456789abcdef0123456789abcdef")}}
	if _, err := signed.NewPublisher(tr, accordrt.EventPublisherOptions{}); err == nil {
		t.Fatal("a publisher of signed operations without a signer was accepted")
	}
	if _, err := signed.NewConsumer(tr, accordrt.EventConsumerOptions{Group: "g", Inbox: accordrt.NewMemoryInbox()}); err == nil {
		t.Fatal("a consumer of signed operations without a verifier was accepted")
	}
	pub, err := signed.NewPublisher(tr, accordrt.EventPublisherOptions{Signer: signer})
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	dead := map[string]string{}
	c, err := signed.NewConsumer(tr, accordrt.EventConsumerOptions{
		Group: "g", Inbox: accordrt.NewMemoryInbox(), Verifier: signer,
		Hooks: accordrt.EventConsumerHooks{OnDeadLetter: func(d *accordrt.EventDelivery, reason string) { mu.Lock(); dead[d.ID] = reason; mu.Unlock() }},
	})
	if err != nil {
		t.Fatal(err)
	}
	r := &refunds{}
	signed.RegisterHandler(c, r)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	runCtx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- c.Run(runCtx) }()

	// Unsigned and forged messages never reach the handler.
	if err := tr.Publish(ctx, []accordrt.EventMessage{{ID: "unsigned", Topic: "shop.refund.issued", Payload: []byte(` + "`" + `{"refund_id":"r-0"}` + "`" + `)}}); err != nil {
		t.Fatal(err)
	}
	if _, err := pub.PublishIssueRefund(ctx, signed.Refund{RefundId: "r-1"}); err != nil {
		t.Fatal(err)
	}
	for i := 0; ; i++ {
		mu.Lock()
		n := len(dead)
		mu.Unlock()
		r.mu.Lock()
		got := append([]string(nil), r.got...)
		r.mu.Unlock()
		if n == 1 && len(got) == 1 {
			if got[0] != "r-1" {
				t.Fatalf("handled %v", got)
			}
			break
		}
		if i == 2000 {
			t.Fatalf("dead %v, handled %v", dead, got)
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Fatal(err)
	}
	if !strings.Contains(dead["unsigned"], "signature") {
		t.Errorf("unsigned message dead-lettered with %q", dead["unsigned"])
	}
}
`

// TestGenerateAsyncEndToEnd generates a package from an AsyncAPI 3.0
// contract and runs a test inside a temporary module that publishes typed
// messages over the runtime's in-memory transport and receives them through
// the generated handler interface: a duplicate delivery is skipped by the
// inbox, an undecodable message and one whose handler keeps failing are
// dead-lettered, and channel parameters are validated.
func TestGenerateAsyncEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs generated code")
	}
	dir := t.TempDir()
	contract := filepath.Join(dir, "orders.yaml")
	if err := os.WriteFile(contract, []byte(e2eAsyncContract), 0o644); err != nil {
		t.Fatal(err)
	}
	mod := filepath.Join(dir, "mod")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		t.Fatal(err)
	}
	writeTestModule(t, mod)
	res := genAsync(t, contract, Parts{})
	writeGenerated(t, mod, "events", res, nil)
	if err := os.WriteFile(filepath.Join(mod, "events", "orders_e2e_test.go"), []byte(e2eAsyncTest), 0o644); err != nil {
		t.Fatal(err)
	}
	contract = filepath.Join(dir, "refunds.yaml")
	if err := os.WriteFile(contract, []byte(e2eSignedContract), 0o644); err != nil {
		t.Fatal(err)
	}
	res = genAsyncAs(t, contract, "signed", Parts{})
	if err := os.MkdirAll(filepath.Join(mod, "signed"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(filepath.Join(mod, "signed"), res.Files); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "signed", "signed_e2e_test.go"), []byte(e2eSignedTest), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := goCmd(t, mod, "test", "-count=1", "-v", "./events/", "./signed/")
	if err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}
