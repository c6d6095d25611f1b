package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

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

// recorder keeps the status and body an inner handler wrote.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (r *recorder) WriteHeader(code int) { r.status = code; r.ResponseWriter.WriteHeader(code) }
func (r *recorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	r.body.Write(b)
	return r.ResponseWriter.Write(b)
}

// webhookProvider is the generated payments server that, like a real
// provider, sends payment.succeeded with the generated WebhookSender after
// each created payment, to the callback verify registers through
// PUT /__accord/callback.
func webhookProvider(t *testing.T, signingKey string) string {
	t.Helper()
	sender, err := paymentsapi.NewWebhookSender(paymentsapi.WithSigningSecrets("partner-webhook", paymentsapi.StaticSecrets{[]byte(signingKey)}))
	if err != nil {
		t.Fatal(err)
	}
	inner := paymentsHandler(newProvider())
	var mu sync.Mutex
	callback := ""
	return serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPut && r.URL.Path == "/__accord/callback" {
			var in struct{ URL string }
			if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			mu.Lock()
			callback = in.URL
			mu.Unlock()
			w.WriteHeader(http.StatusNoContent)
			return
		}
		rec := &recorder{ResponseWriter: w}
		inner.ServeHTTP(rec, r)
		mu.Lock()
		target := strings.ReplaceAll(callback, "{webhook}", "payment.succeeded")
		mu.Unlock()
		if r.Method != http.MethodPost || r.URL.Path != "/v1/payments" || rec.status != http.StatusCreated || target == "" {
			return
		}
		var p paymentsapi.Payment
		if err := json.Unmarshal(rec.body.Bytes(), &p); err != nil {
			t.Errorf("created payment: %v", err)
			return
		}
		ev := paymentsapi.PaymentEvent{Id: "evt_" + p.Id, Type: "payment.succeeded", CreatedAt: time.Now().UTC(), Data: p}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := sender.SendPaymentSucceeded(ctx, target, ev); err != nil {
			t.Errorf("sending the webhook: %v", err)
		}
	})).URL
}

// verify receives the generated sender's webhooks on its own listener and
// accepts their signatures; a provider signing with another key than the
// partner was given is a violation.
func TestVerifyChecksGeneratedWebhookSignatures(t *testing.T) {
	t.Parallel()
	doc, err := contracts.Load(context.Background(), "../payments/openapi.yaml", contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, key string
		kind      string
	}{
		{"the partner's key", webhookKey, ""},
		{"another key", "whsec_" + "YW5vdGhlci13ZWJob29rLWtleS1vZi0zMi1ieXRlcyE=", verify.KindBadWebhookSignature},
	} {
		t.Run(c.name, func(t *testing.T) {
			u, _ := url.Parse(webhookProvider(t, c.key))
			rep, err := verify.Run(context.Background(), doc, verify.Options{
				Target: u, Rate: -1, MaxRequests: 100, WebhookWait: 500 * time.Millisecond, ExpectWebhooks: true,
				Credentials: map[string]string{"bearerAuth": "test-token"},
				Secrets:     map[string][]byte{"partner-hmac": []byte(partnerKey), "partner-webhook": []byte(webhookKey)},
			})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range rep.Findings {
				got = append(got, f.Kind)
			}
			switch {
			case c.kind == "" && (len(got) > 0 || rep.Webhooks == 0):
				t.Fatalf("want %s's webhooks checked and accepted, got %d deliveries:\n%s", c.name, rep.Webhooks, text(rep))
			case c.kind != "" && (len(got) != 1 || got[0] != c.kind):
				t.Fatalf("want one %s:\n%s", c.kind, text(rep))
			}
		})
	}
}
