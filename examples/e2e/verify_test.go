package e2e

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/examples/payments/paymentsapi"
	"github.com/accord-dev/accord/verify"
)

func runVerify(t *testing.T, file, target string) *verify.Report {
	t.Helper()
	doc, err := contracts.Load(context.Background(), file, contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := verify.Run(context.Background(), doc, verify.Options{
		Target: u, Rate: -1, MaxRequests: 100,
		Credentials: map[string]string{"bearerAuth": "test-token", "apiKey": "test-key"},
		Secrets:     map[string][]byte{"partner-hmac": []byte(partnerKey)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func text(rep *verify.Report) string {
	var b bytes.Buffer
	_ = verify.Write(&b, "text", rep)
	return b.String()
}

// The generated servers honour their contracts: verify finds nothing, and
// every operation was checked (payments: the created payment is read back,
// refunded, and its key replayed by the generated idempotency step).
func TestVerifyPassesOnGeneratedServers(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, file string
		srv        func(t *testing.T) string
	}{
		{"payments", "../payments/openapi.yaml", func(t *testing.T) string { return startPayments(t, newProvider()).URL }},
		{"crm", "../crm/openapi.yaml", func(t *testing.T) string { return startCRM(t, &catalog{}).URL }},
	} {
		t.Run(c.name, func(t *testing.T) {
			rep := runVerify(t, c.file, c.srv(t))
			if len(rep.Checked) != rep.Operations {
				t.Fatalf("checked %v of %d operations", rep.Checked, rep.Operations)
			}
			for _, f := range rep.Findings {
				t.Errorf("verify against the generated %s server: %s %s: %s", c.name, f.Operation, f.Kind, f.Message)
			}
		})
	}
}

// A generated server whose idempotency step is turned off executes the
// repeated request again: a new payment, which verify reports.
func TestVerifyFindsNoReplayOnGeneratedServer(t *testing.T) {
	t.Parallel()
	off := serverPolicy("createPayment", func(p *paymentsapi.Policy) { p.Idempotency = paymentsapi.IdempotencyOff })
	rep := runVerify(t, "../payments/openapi.yaml", startPayments(t, newProvider(), off).URL)
	found := false
	for _, f := range rep.Findings {
		found = found || (f.Kind == verify.KindNoIdempotentReplay && f.Operation == "createPayment" && f.Severity == verify.SeverityError)
	}
	if !found {
		t.Fatalf("no replay finding:\n%s", text(rep))
	}
}

// A handler failing with 503 on a valid read is a server error and, as 503
// is not declared for getPayment, an undeclared status.
func TestVerifyFindsServerErrorOnGeneratedServer(t *testing.T) {
	t.Parallel()
	f := &faults{StrictServerInterface: newProvider(), get: func(context.Context, int64) paymentsapi.GetPaymentResponseObject {
		return problemAnswer{status: http.StatusServiceUnavailable}
	}}
	rep := runVerify(t, "../payments/openapi.yaml", startPayments(t, f).URL)
	kinds := map[string]bool{}
	for _, x := range rep.Findings {
		if x.Operation == "getPayment" {
			kinds[x.Kind] = true
		}
	}
	if !kinds[verify.KindServerError] || !kinds[verify.KindUndeclaredStatus] {
		t.Fatalf("findings:\n%s", text(rep))
	}
}
