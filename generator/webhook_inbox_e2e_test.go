package generator

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestWebhookInboxEndToEnd generates testdata/webhook-inbox/contract.yaml
// into a temporary module and runs inbox_e2e_test.go there: signed
// deliveries over loopback into the generated WebhookInbox, acknowledged
// before the handler finishes, stored once across duplicates and replicas,
// an early event held until the generated client records the response, a
// missing webhook reconciled through the contract's reconcile operation.
func TestWebhookInboxEndToEnd(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs generated code")
	}
	mod := t.TempDir()
	writeTestModule(t, mod)
	res := genAsyncAs(t, filepath.Join("testdata", "webhook-inbox", "contract.yaml"), "payments", Parts{})
	writeGenerated(t, mod, "payments", res, nil)
	src, err := os.ReadFile(filepath.Join("testdata", "webhook-inbox", "inbox_e2e_test.go"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(mod, "payments", "inbox_e2e_test.go"), src, 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := goCmd(t, mod, "test", "-count=1", "-v", "./payments/")
	if err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
	t.Logf("%s", out)
}

// Without a queue the receiver handles webhooks in the request as before;
// inbox: false keeps a webhook out of the inbox even with one.
func TestWebhookInboxRendering(t *testing.T) {
	res := genAsyncAs(t, filepath.Join("testdata", "webhook-inbox", "contract.yaml"), "payments", Parts{})
	recv := fileOf(t, res, "accord_webhook_receiver.gen.go")
	for _, want := range []string{
		`operation: "paymentSettled", ack: 204, wait: 1500 * time.Millisecond`,
		`accordrt.JSONPointerValue(body, "/payment_id")`,
		`"paymentSettled": "getPayment"`,
		`case "paymentSettled":`,
	} {
		if !strings.Contains(recv, want) {
			t.Errorf("receiver lacks %q", want)
		}
	}
	if strings.Contains(recv, `case "paymentNote":`) || strings.Contains(recv, `operation: "paymentNote"`) {
		t.Error("the inbox: false webhook goes through the inbox")
	}
	send := fileOf(t, res, "accord_webhook_sender.gen.go")
	if !strings.Contains(send, `"createPayment": {`) || !strings.Contains(send, `{Webhook: "paymentSettled", Within: 1500 * time.Millisecond, Pointer: "/id", Header: ""}`) {
		t.Errorf("sender's expectations:\n%s", send)
	}
}
