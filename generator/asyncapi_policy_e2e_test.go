package generator

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-dev/accord/contracts"
)

// e2ePolicyContract exercises x-accord on AsyncAPI operations: document
// defaults (retries 1), operation overrides (retries 3 and a dead-letter
// topic of its own), an accord.yaml layer (retries 0 on the tenant
// channel, given as an OperationOverride), the inbox switched off with a
// reason, payload and parameter validation, a parameterised receive
// channel, an operation with two messages, and two channels signed with
// different schemes (keys).
const e2ePolicyContract = `asyncapi: 3.0.0
info: {title: Billing policy e2e, version: 1.0.0}
defaultContentType: application/json
x-accord:
  retries: 1
  backoff: {base: 1ms, cap: 4ms}
  timeout: 2s
channels:
  invoices:
    address: billing.invoice.created
    messages: {invoice: {$ref: '#/components/messages/Invoice'}}
  tenantInvoices:
    address: billing.{tenant}.invoice.created
    parameters:
      tenant: {enum: [acme, globex, initech]}
    messages: {invoice: {$ref: '#/components/messages/Invoice'}}
  payments:
    address: billing.payment
    messages:
      settled: {$ref: '#/components/messages/Settled'}
      failed: {$ref: '#/components/messages/Failed'}
  ticks:
    address: billing.tick
    messages: {tick: {$ref: '#/components/messages/Tick'}}
  notesA:
    address: billing.partner.a
    messages: {note: {$ref: '#/components/messages/Note'}}
  notesB:
    address: billing.partner.b
    messages: {note: {$ref: '#/components/messages/Note'}}
operations:
  invoiceCreated: {action: send, channel: {$ref: '#/channels/invoices'}, x-accord: {partitionKey: '$message.payload#/invoice_id'}}
  onInvoiceCreated:
    action: receive
    channel: {$ref: '#/channels/invoices'}
    x-accord: {retries: 3, dlq: billing.dead}
  tenantInvoiceCreated: {action: send, channel: {$ref: '#/channels/tenantInvoices'}}
  onTenantInvoiceCreated: {action: receive, channel: {$ref: '#/channels/tenantInvoices'}}
  payment: {action: send, channel: {$ref: '#/channels/payments'}}
  onPayment: {action: receive, channel: {$ref: '#/channels/payments'}}
  tick: {action: send, channel: {$ref: '#/channels/ticks'}}
  onTick:
    action: receive
    channel: {$ref: '#/channels/ticks'}
    x-accord: {inbox: false, reason: a tick only refreshes a cache, concurrency: 1}
  noteA: {action: send, channel: {$ref: '#/channels/notesA'}, x-accord: {signature: partnerA}}
  onNoteA: {action: receive, channel: {$ref: '#/channels/notesA'}, x-accord: {signature: partnerA}}
  noteB: {action: send, channel: {$ref: '#/channels/notesB'}, x-accord: {signature: partnerB}}
  onNoteB: {action: receive, channel: {$ref: '#/channels/notesB'}, x-accord: {signature: partnerB}}
components:
  securitySchemes:
    partnerA:
      type: httpApiKey
      name: accord-signature
      in: header
      x-accord-signature: {algorithm: hmac-sha256, format: accord}
    partnerB:
      type: httpApiKey
      name: accord-signature
      in: header
      x-accord-signature: {algorithm: hmac-sha256, format: accord}
  messages:
    Invoice: {name: invoice, payload: {$ref: '#/components/schemas/Invoice'}}
    Settled: {name: settled, payload: {$ref: '#/components/schemas/Settled'}}
    Failed: {name: failed, payload: {$ref: '#/components/schemas/Failed'}}
    Tick: {name: tick, payload: {$ref: '#/components/schemas/Tick'}}
    Note: {name: note, payload: {$ref: '#/components/schemas/Note'}}
  schemas:
    Invoice:
      type: object
      required: [invoice_id, amount_minor]
      properties:
        invoice_id: {type: string, pattern: '^inv_'}
        amount_minor: {type: integer, format: int64, minimum: 1}
    Settled:
      type: object
      required: [payment_id, settled_at]
      properties:
        payment_id: {type: string}
        settled_at: {type: string}
    Failed:
      type: object
      required: [payment_id, reason]
      properties:
        payment_id: {type: string}
        reason: {type: string}
    Tick:
      type: object
      required: [n]
      properties:
        n: {type: integer}
    Note:
      type: object
      required: [text]
      properties:
        text: {type: string}
`

// TestGenerateAsyncPolicyEndToEnd generates the contract above with an
// accord.yaml-like override and runs one scenario over the runtime's
// in-memory transport and over kfake (the Kafka protocol, in process),
// counting handler runs and dead letters.
func TestGenerateAsyncPolicyEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs generated code")
	}
	dir := t.TempDir()
	contract := filepath.Join(dir, "billing.yaml")
	if err := os.WriteFile(contract, []byte(e2ePolicyContract), 0o644); err != nil {
		t.Fatal(err)
	}
	doc, err := contracts.Load(context.Background(), contract, contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if ps := contracts.Validate(context.Background(), doc); contracts.HasErrors(ps) {
		t.Fatalf("invalid: %v", ps)
	}
	zero := 0
	res, err := Generate(doc, Options{Package: "billing", Runtime: testRuntime, templates: testTemplates(),
		OperationOverrides: []OperationOverride{{ID: "onTenantInvoiceCreated", Spec: contracts.PolicySpec{Retries: &zero}}}})
	if err != nil {
		t.Fatal(err)
	}
	con := fileOf(t, res, "accord_events_consumer.gen.go")
	for _, want := range []string{
		`Operation: "onTenantInvoiceCreated", Topic: "billing.{tenant}.invoice.created", MaxAttempts: 1,`,
		`Operation: "onInvoiceCreated", Topic: "billing.invoice.created", MaxAttempts: 4,`,
		`DeadLetterTopic: "billing.dead"`,
		`Operation: "onTick", Topic: "billing.tick", MaxAttempts: 2,`,
		`NoInbox: true`,
	} {
		if !strings.Contains(con, want) {
			t.Errorf("consumer lacks %q", want)
		}
	}
	mod := filepath.Join(dir, "mod")
	if err := os.MkdirAll(mod, 0o755); err != nil {
		t.Fatal(err)
	}
	writeKafkaTestModule(t, mod)
	writeGenerated(t, mod, "billing", res, []string{"kafka"})
	if err := os.WriteFile(filepath.Join(mod, "billing", "billing_e2e_test.go"), []byte(e2ePolicyTest), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := goCmd(t, mod, "test", "-count=1", "-v", "./billing/")
	if err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// writeKafkaTestModule is writeTestModule plus franz-go and kfake.
func writeKafkaTestModule(t *testing.T, dir string) {
	t.Helper()
	deps := append(append([]string(nil), testModuleDeps...),
		"github.com/twmb/franz-go v1.22.3", "github.com/twmb/franz-go/pkg/kmsg v1.15.1",
		"github.com/twmb/franz-go/pkg/kfake v0.0.0-20260918054303-01f206a7e32c")
	var gomod strings.Builder
	gomod.WriteString("module accordtest\n\ngo 1.26\n\nrequire (\n")
	for _, d := range deps {
		gomod.WriteString("\t" + d + "\n")
	}
	gomod.WriteString(")\n")
	sum, err := os.ReadFile("../go.sum")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(gomod.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
}
