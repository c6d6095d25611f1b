package contracts

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// x-accord correlates on a webhook: parsed with its deadline, its default,
// and refused off a webhook, with the inbox off, or naming no path
// operation, each with the line it was written on.
func TestPolicyCorrelates(t *testing.T) {
	doc := writeContract(t, `openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /payments:
    post:
      operationId: createPayment
      x-accord:
        correlates: {operation: createPayment, event: $request.body#/id, response: $response.body#/id}
      responses: {"201": {description: ok}}
  /payments/{id}:
    get:
      operationId: getPayment
      parameters: [{name: id, in: path, required: true, schema: {type: string}}]
      responses: {"200": {description: ok}}
webhooks:
  settled:
    post:
      operationId: paymentSettled
      x-accord:
        reconcile: getPayment
        correlates:
          operation: createPayment
          event: $request.body#/payment_id
          response: $response.header.Location
          deadline: 2s
      responses: {"204": {description: ok}}
  refunded:
    post:
      operationId: paymentRefunded
      x-accord:
        correlates: {operation: createPaymnt, event: $message.payload#/id, response: $response.body#/id}
      responses: {"204": {description: ok}}
  off:
    post:
      operationId: offHook
      x-accord:
        inbox: false
        reason: the handler upserts
        correlates: {operation: createPayment, event: $request.header.X-Id, response: $response.body#/id}
      responses: {"204": {description: ok}}
  bad:
    post:
      operationId: badHook
      x-accord:
        correlates: {operation: createPayment, event: $response.body#/id, response: $response.body#/id, within: 1s}
      responses: {"204": {description: ok}}
`)
	ops, ps := doc.Policies()
	var got []string
	for _, p := range ps {
		if p.Severity == SeverityError {
			got = append(got, fmt.Sprintf("%d %s", p.Pos.Line, p.Code))
		}
	}
	slices.Sort(got)
	want := []string{"31 policy-unknown-correlates", "39 policy-correlates-without-inbox", "45 policy-bad-value", "45 policy-unknown-key", "8 policy-correlates-not-webhook"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v (%v)", got, want, ps)
	}
	for _, op := range ops {
		switch op.ID {
		case "paymentSettled":
			c := op.Policy.Correlates
			if c == nil || c.Operation != "createPayment" || c.Deadline != 2*time.Second || c.Event != "$request.body#/payment_id" || op.Policy.Reconcile != "getPayment" {
				t.Fatalf("paymentSettled: %+v", c)
			}
			if l, ok := ParseCorrelationLocation(c.Response, "response"); !ok || l.Header != "Location" {
				t.Fatalf("response location %+v", l)
			}
		case "paymentRefunded":
			if c := op.Policy.Correlates; c == nil || c.Deadline != DefaultCorrelationDeadline {
				t.Fatalf("paymentRefunded: default deadline: %+v", c)
			}
		}
	}
}
