package preflight

import (
	"context"
	"strings"
	"testing"

	"github.com/accord-dev/accord/contracts"
)

// TestIdempotencyVerdicts: which creating and money-moving operations pass.
func TestIdempotencyVerdicts(t *testing.T) {
	src := `openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /keyed:
    post:
      operationId: keyed
      parameters: [{name: Idempotency-Key, in: header, schema: {type: string}}]
      responses: {"201": {description: ok}}
  /explicit:
    post:
      operationId: explicit
      x-accord: {idempotency: optional}
      responses: {"201": {description: ok}}
  /client:
    post:
      operationId: clientSide
      x-accord: {idempotency: client}
      responses: {"201": {description: ok}}
  /off-with-reason:
    post:
      operationId: offWithReason
      x-accord: {idempotency: "off"}
      x-accord-reason: the provider deduplicates on the order number
      responses: {"201": {description: ok}}
  /off-with-policy-reason:
    post:
      operationId: offWithPolicyReason
      x-accord: {idempotency: "off", reason: orders carry their own unique number}
      responses: {"201": {description: ok}}
  /off-without-reason:
    post:
      operationId: offWithoutReason
      x-accord: {idempotency: "off"}
      responses: {"201": {description: ok}}
  /implicit:
    post:
      operationId: implicit
      responses: {"201": {description: ok}}
  /transfers/{id}:
    patch:
      operationId: moveMoney
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {transfer: {type: object, properties: {amountMinor: {type: integer}}}}}
      responses: {"200": {description: ok}}
    put:
      operationId: renameTransfer
      requestBody:
        content:
          application/json:
            schema: {type: object, properties: {label: {type: string}}}
      responses: {"200": {description: ok}}
`
	doc, err := contracts.LoadBytes(context.Background(), "t.yaml", []byte(src), contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := Run(Input{Targets: []Target{{Name: "t", Doc: doc}}}).Areas[0].Checks[0]
	want := map[string]Status{
		"keyed": Yes, "explicit": Yes, "clientSide": Yes, "offWithReason": Yes, "offWithPolicyReason": Yes,
		"offWithoutReason": No, "implicit": No, "moveMoney": No,
	}
	got := map[string]Status{}
	for _, it := range c.Items {
		for id := range want {
			if strings.Contains(it.Text, "("+id+")") {
				got[id] = it.Status
			}
		}
		if strings.Contains(it.Text, "renameTransfer") {
			t.Errorf("a PUT without money fields is neither creating nor money-moving: %q", it.Text)
		}
		if strings.Contains(it.Text, "moveMoney") && !strings.Contains(it.Text, "amountMinor") {
			t.Errorf("the money field is not named: %q", it.Text)
		}
	}
	for id, st := range want {
		if got[id] != st {
			t.Errorf("%s: %q, want %q", id, got[id], st)
		}
	}
	if c.Status != No {
		t.Errorf("check says %s", c.Status)
	}
}

// TestPolicyReasonNamed: x-accord's own reason is what the report quotes.
func TestPolicyReasonNamed(t *testing.T) {
	src := `openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /orders:
    post:
      operationId: createOrder
      x-accord: {idempotency: "off", reason: orders carry their own unique number}
      responses: {"201": {description: ok}}
`
	doc, err := contracts.LoadBytes(context.Background(), "t.yaml", []byte(src), contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c := Run(Input{Targets: []Target{{Name: "t", Doc: doc}}}).Areas[0].Checks[0]
	if c.Status != Yes || len(c.Items) != 1 || !strings.Contains(c.Items[0].Text, "because orders carry their own unique number") {
		t.Fatalf("%s: %+v", c.Status, c.Items)
	}
}
