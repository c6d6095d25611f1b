package generator

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/contracts"
)

func TestModelOfBasic(t *testing.T) {
	m := genCase(t, filepath.Join(casesDir, "basic")).Model
	byID := map[string]Operation{}
	var order []string
	for _, op := range m.Operations {
		byID[op.ID] = op
		order = append(order, op.ID)
	}
	// contracts' order: paths sorted, methods in HTTP order.
	if got := strings.Join(order, " "); got != "listPayments createPayment getPayment refundPayment" {
		t.Errorf("order %s", got)
	}

	create := byID["createPayment"]
	if create.GoName != "CreatePayment" || create.Method != "POST" || create.Path != "/payments" {
		t.Errorf("createPayment: %+v", create)
	}
	if create.RawBuilder != "NewCreatePaymentRequestWithBody" || create.DefaultBody == nil ||
		create.DefaultBody.Builder != "NewCreatePaymentRequest" || create.DefaultBody.Type != "CreatePaymentJSONRequestBody" || !create.DefaultBody.JSON {
		t.Errorf("createPayment builders: raw %s, default %+v", create.RawBuilder, create.DefaultBody)
	}
	if create.ResponseType != "CreatePaymentResponse" || create.ResponseParser != "ParseCreatePaymentResponse" {
		t.Errorf("createPayment response: %s %s", create.ResponseType, create.ResponseParser)
	}
	if len(create.Success) != 1 || create.Success[0] != 201 {
		t.Errorf("createPayment success %v", create.Success)
	}
	if create.Policy.Idempotency != contracts.IdempotencyRequired || create.Signature == nil || create.Signature.Name != "partner-hmac" {
		t.Errorf("createPayment policy %+v, signature %+v", create.Policy, create.Signature)
	}

	get := byID["getPayment"]
	if len(get.PathParams) != 1 || get.PathParams[0] != (PathParam{Name: "paymentId", GoName: "paymentId", GoType: "openapi_types.UUID"}) {
		t.Errorf("getPayment path params %+v", get.PathParams)
	}
	if get.HasBody || get.RawBuilder != "NewGetPaymentRequest" || get.ParamsType != "" {
		t.Errorf("getPayment: %+v", get)
	}
	if byID["listPayments"].ParamsType != "ListPaymentsParams" {
		t.Errorf("listPayments params type %q", byID["listPayments"].ParamsType)
	}
	refund := byID["refundPayment"]
	if refund.Policy.Retries != 0 || refund.Policy.Timeout != 5*time.Second {
		t.Errorf("refundPayment policy %+v", refund.Policy)
	}
	// Only application/json is oapi-codegen's default body; a form body has
	// its own suffixed builder.
	if refund.DefaultBody != nil || len(refund.Bodies) != 1 || refund.Bodies[0] != (Body{ContentType: "application/x-www-form-urlencoded",
		Builder: "NewRefundPaymentRequestWithFormdataBody", Type: "RefundPaymentFormdataRequestBody"}) {
		t.Errorf("refundPayment bodies %+v, default %+v", refund.Bodies, refund.DefaultBody)
	}

	if len(m.Webhooks) != 1 {
		t.Fatalf("webhooks %+v", m.Webhooks)
	}
	wh := m.Webhooks[0]
	if wh.ID != "paymentSettled" || !wh.Webhook || wh.Path != "paymentSettled" || wh.RawBuilder != "NewPaymentSettledWebhookRequestWithBody" || wh.Signature == nil {
		t.Errorf("webhook %+v", wh)
	}
	if len(m.Signatures) != 1 || m.Signatures[0].Literal != `accordrt.SignatureScheme{Name: "partner-hmac", Format: accordrt.FormatAccord, SignatureHeader: "X-Signature", TimestampHeader: "X-Timestamp", NonceHeader: "X-Nonce", Tolerance: 2 * time.Minute}` {
		t.Errorf("signatures %+v", m.Signatures)
	}
}

func TestPolicyLiteral(t *testing.T) {
	p := contracts.DefaultPolicy("POST")
	p.Signature = "s"
	want := `accordrt.Policy{Timeout: 10 * time.Second, Budget: 30 * time.Second, Retries: 2, BackoffBase: 100 * time.Millisecond, ` +
		`BackoffCap: 5 * time.Second, RetryOn: []int{429, 502, 503, 504}, Idempotency: accordrt.IdempotencyOptional, ` +
		`IdempotencyTTL: 24 * time.Hour, Concurrency: 256, Breaker: accordrt.BreakerPolicy{Failures: 5, Window: 10 * time.Second, Cooldown: 30 * time.Second}, Signature: "s"}`
	if got := policyLiteral(p); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got := policyLiteral(contracts.Policy{KillSwitch: true}); got != "accordrt.Policy{KillSwitch: true}" {
		t.Errorf("kill-switch policy: %s", got)
	}
	if got := policyLiteral(contracts.Policy{}); got != "accordrt.Policy{}" {
		t.Errorf("zero policy: %s", got)
	}
	for d, want := range map[time.Duration]string{
		time.Hour: "time.Hour", 90 * time.Minute: "90 * time.Minute", 1500 * time.Millisecond: "1500 * time.Millisecond",
		3 * time.Microsecond: "3 * time.Microsecond", 7: "time.Duration(7)",
	} {
		if got := durationLiteral(d); got != want {
			t.Errorf("%v: %s, want %s", d, got, want)
		}
	}
}
