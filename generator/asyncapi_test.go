package generator

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-dev/accord/contracts"
)

func genAsync(t testing.TB, contract string, parts Parts) *Result {
	t.Helper()
	return genAsyncAs(t, contract, "events", parts)
}

func genAsyncAs(t testing.TB, contract, pkg string, parts Parts) *Result {
	t.Helper()
	doc, err := contracts.Load(context.Background(), contract, contracts.LoadOptions{})
	if err != nil {
		t.Fatalf("%s: %v", contract, err)
	}
	if ps := contracts.Validate(context.Background(), doc); contracts.HasErrors(ps) {
		t.Fatalf("%s is invalid: %v", contract, ps)
	}
	res, err := Generate(doc, Options{Package: pkg, Runtime: testRuntime, Parts: parts, templates: testTemplates()})
	if err != nil {
		t.Fatalf("%s: %v", contract, err)
	}
	return res
}

// showcaseRetries is an operation's resolved x-accord retries in the
// events showcase.
func showcaseRetries(t testing.TB, op string) int {
	t.Helper()
	doc, err := contracts.Load(context.Background(), filepath.Join("..", "examples", "events", "asyncapi.yaml"), contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ops, _ := doc.Policies()
	for _, o := range ops {
		if o.ID == op {
			return o.Policy.Retries
		}
	}
	t.Fatalf("the showcase has no operation %s", op)
	return 0
}

func fileOf(t testing.TB, res *Result, name string) string {
	t.Helper()
	for _, f := range res.Files {
		if f.Name == name {
			return string(f.Content)
		}
	}
	t.Fatalf("no %s among the generated files", name)
	return ""
}

func TestGenerateAsyncShapes(t *testing.T) {
	res := genAsync(t, filepath.Join("..", "examples", "events", "asyncapi.yaml"), Parts{})
	pub := fileOf(t, res, "accord_events_publisher.gen.go")
	for _, want := range []string{
		"func (p *Publisher) PublishInvoiceCreated(ctx context.Context, msg InvoiceCreated, opts ...PublishOption) (accordrt.EventMessage, error)",
		`Topic: "invoicing.invoice.created"`,
		"declares a Kafka key",
		"context.WithTimeout(ctx, 2*time.Second)",
	} {
		if !strings.Contains(pub, want) {
			t.Errorf("publisher lacks %q:\n%s", want, pub)
		}
	}
	con := fileOf(t, res, "accord_events_consumer.gen.go")
	for _, want := range []string{
		"OnCustomerUpdated(ctx context.Context, msg CustomerUpdated, d *accordrt.EventDelivery) error",
		"OnPaymentSettled(ctx context.Context, tx *sql.Tx, msg PaymentSettled, d *accordrt.EventDelivery) error",
		// concurrency 16 on onPaymentSettled only; attempts are the
		// resolved retries + 1, whatever the showcase sets.
		`accordNewLimits(16, 2*time.Second)`,
		`accordNewLimits(256, 2*time.Second)`,
		fmt.Sprintf(`Operation: "onPaymentSettled", Topic: "payments.payment.settled", MaxAttempts: %d,`, showcaseRetries(t, "onPaymentSettled")+1),
	} {
		if !strings.Contains(con, want) {
			t.Errorf("consumer lacks %q:\n%s", want, con)
		}
	}
	if strings.Contains(con, "InvoiceCreated") || strings.Contains(pub, "OnCustomerUpdated") {
		t.Error("an operation is on the wrong side")
	}

	// Models only: the payload types and nothing that imports the runtime.
	res = genAsync(t, filepath.Join("..", "examples", "events", "asyncapi.yaml"), Parts{Models: true})
	if len(res.Files) != 1 || res.Files[0].Name != "accord_models.gen.go" {
		t.Fatalf("models only made %d files", len(res.Files))
	}
}

func TestGenerateAsync26(t *testing.T) {
	res := genAsync(t, filepath.Join(casesDir, "asyncapi-26", "contract.yaml"), Parts{})
	pub := fileOf(t, res, "accord_events_publisher.gen.go")
	for _, want := range []string{
		// 2.x subscribe = the application sends; parameters become arguments.
		"PublishUserSignedUp(ctx context.Context, tenantId string, msg SignedUp, opts ...PublishOption)",
		`Topic: "accounts/" + tenantId + "/signedup"`,
		`accordPayloadString(payload, "/user/id")`,
		`accordPayloadString(payload, "/request_id")`,
	} {
		if !strings.Contains(pub, want) {
			t.Errorf("publisher lacks %q:\n%s", want, pub)
		}
	}
	con := fileOf(t, res, "accord_events_consumer.gen.go")
	for _, want := range []string{
		"OnAccountClosed(ctx context.Context, msg AccountClosed, d *accordrt.EventDelivery) error",
		`accordNewLimits(4, 3*time.Second)`,
		`Operation: "onAccountClosed", Topic: "accounts.closed", MaxAttempts: 5,`,
		`opt.Verifiers["partner"] == nil && opt.Verifier == nil`,
	} {
		if !strings.Contains(con, want) {
			t.Errorf("consumer lacks %q:\n%s", want, con)
		}
	}
	notes := strings.Join(res.Notes, "\n")
	for _, want := range []string{"operation publishAudit is not generated", "Go type Handler is declared by the generated code itself"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}

func TestGenerateAsync30(t *testing.T) {
	res := genAsync(t, filepath.Join(casesDir, "asyncapi-30", "contract.yaml"), Parts{})
	pub := fileOf(t, res, "accord_events_publisher.gen.go")
	for _, want := range []string{
		"PublishPlaceOrder(ctx context.Context, region string, msg OrderPlaced,",
		`Topic: "shop." + region + ".order.placed"`,
		"1500*time.Millisecond",
	} {
		if !strings.Contains(pub, want) {
			t.Errorf("publisher lacks %q:\n%s", want, pub)
		}
	}
	con := fileOf(t, res, "accord_events_consumer.gen.go")
	for _, want := range []string{
		"OnOrderShipped(ctx context.Context, msg OrderShipped,",
		"BackoffBase: 10 * time.Millisecond, BackoffCap: 50 * time.Millisecond",
		`accordNewLimits(256, time.Second)`,
		`Operation: "onOrderShipped", Topic: "shop.order.shipped", MaxAttempts: 2,`,
		// Two messages: one method each, dispatched by the message header
		// or by which schema the payload passes.
		"OnPriceChangedA(ctx context.Context, msg A, d *accordrt.EventDelivery) error",
		"OnPriceChangedB(ctx context.Context, msg B, d *accordrt.EventDelivery) error",
		`accordrt.SelectEventMessage("onPriceChanged", d, []string{"a", "b"},`,
	} {
		if !strings.Contains(con, want) {
			t.Errorf("consumer lacks %q:\n%s", want, con)
		}
	}
}

// TestGenerateAsyncCompiles vets the packages of the example and of both
// fixtures, with the runtime, in one temporary module.
func TestGenerateAsyncCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles generated code")
	}
	mod := t.TempDir()
	writeTestModule(t, mod)
	for dir, contract := range map[string]string{
		"showcase": filepath.Join("..", "examples", "events", "asyncapi.yaml"),
		"v26":      filepath.Join(casesDir, "asyncapi-26", "contract.yaml"),
		"v30":      filepath.Join(casesDir, "asyncapi-30", "contract.yaml"),
	} {
		writeGenerated(t, mod, dir, genAsync(t, contract, Parts{}), nil)
	}
	writeGenerated(t, mod, "modelsonly", genAsync(t, filepath.Join("..", "examples", "events", "asyncapi.yaml"), Parts{Models: true}), nil)
	if out, err := goCmd(t, mod, "vet", "./..."); err != nil {
		t.Fatalf("go vet: %v\n%s", err, out)
	}
}

// TestGenerateAsync26OneOf: a 2.6 operation whose message is a oneOf gets
// one method per message on each side, and the consumer dispatches by the
// accord-message header or the payload's schema.
func TestGenerateAsync26OneOf(t *testing.T) {
	contract := filepath.Join(t.TempDir(), "asyncapi.yaml")
	if err := os.WriteFile(contract, []byte(`asyncapi: 2.6.0
info: {title: Payments, version: 1.0.0}
channels:
  payments.{region}.events:
    parameters:
      region: {schema: {type: string, enum: [eu, us]}}
    publish:
      operationId: onPaymentEvent
      message:
        oneOf:
          - {$ref: '#/components/messages/Settled'}
          - {$ref: '#/components/messages/Failed'}
    subscribe:
      operationId: paymentEvent
      message:
        oneOf:
          - {$ref: '#/components/messages/Settled'}
          - {$ref: '#/components/messages/Failed'}
components:
  messages:
    Settled:
      name: settled
      payload: {type: object, required: [id], properties: {id: {type: string}}}
    Failed:
      name: failed
      payload: {type: object, required: [id, reason], properties: {id: {type: string}, reason: {type: string}}}
`), 0o644); err != nil {
		t.Fatal(err)
	}
	res := genAsync(t, contract, Parts{})
	con := fileOf(t, res, "accord_events_consumer.gen.go")
	for _, want := range []string{
		"OnPaymentEventSettled(ctx context.Context, region string, msg Settled, d *accordrt.EventDelivery) error",
		"OnPaymentEventFailed(ctx context.Context, region string, msg Failed, d *accordrt.EventDelivery) error",
		`Topic: "payments.{region}.events"`,
		`region := d.Params["region"]`,
		`accordrt.SelectEventMessage("onPaymentEvent", d, []string{"settled", "failed"},`,
	} {
		if !strings.Contains(con, want) {
			t.Errorf("consumer lacks %q:\n%s", want, con)
		}
	}
	pub := fileOf(t, res, "accord_events_publisher.gen.go")
	for _, want := range []string{
		"PublishPaymentEventSettled(ctx context.Context, region string, msg Settled, opts ...PublishOption)",
		"PublishPaymentEventFailed(ctx context.Context, region string, msg Failed, opts ...PublishOption)",
		`m.Headers[accordrt.EventHeaderMessage] = "failed"`,
	} {
		if !strings.Contains(pub, want) {
			t.Errorf("publisher lacks %q:\n%s", want, pub)
		}
	}
}
