package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// The demo is part of the documentation: it must keep telling the truth.
func TestDemoNarrative(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out, ""); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"→ 503 Retry-After: 1", "after 3 attempts", "one key for all of them; the handler ran 1 time",
		"→ 201 Idempotent-Replayed: true", "the handler still ran 1 time",
		"the handler not called; switched on again", "verified and decoded by the receiver", "refused: 401",
		"catalog: cus_ada is Ada Lovelace <ada@analytical-engines.example>, VAT GB123456789 (1 update applied)",
		"no payment, no event (outbox pending 0)", "(outbox pending 0); invoicing, through the inbox, marked inv_1001 paid by pay_7001",
		"skipped by the inbox: 1 duplicate; inv_1001 marked paid 1 time",
		"in payments.payment.settled.dlq after 1 attempt, the handler not called (inv_1001 still paid 1 time)",
		"accord-dlq-reason: onPaymentSettled", "amount_minor", "done",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo no longer says %q:\n%s", want, out.String())
		}
	}
}
