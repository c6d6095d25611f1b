//go:build pact

package pact

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/pact-foundation/pact-go/v2/consumer"
	"github.com/pact-foundation/pact-go/v2/matchers"

	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/examples/payments/paymentsapi"
	"github.com/accord-dev/accord/mock"
)

// The round trip by hand, as `accord gen --generate pact` is to write it
// for every operation with examples: the generated client drives a pact-go
// consumer test and writes a pact, Check accepts the pact against the
// contract, and VerifyProvider replays it against a provider (accord mock
// of the same contract standing in for it).
func TestPactRoundTrip(t *testing.T) {
	t.Setenv("PACT_DO_NOT_TRACK", "true")
	dir := t.TempDir()
	mp, err := consumer.NewV3Pact(consumer.MockHTTPProviderConfig{Consumer: "shop", Provider: "payments", PactDir: dir, Host: "127.0.0.1"})
	if err != nil {
		t.Fatal(err)
	}
	err = mp.AddInteraction().
		Given("payment pay_12345678 exists").
		UponReceiving("getPayment: a payment is read").
		WithRequest("GET", "/v1/payments/pay_12345678", func(b *consumer.V3RequestBuilder) {
			b.Header("Authorization", matchers.Term("Bearer tok", `^Bearer \S+$`))
		}).
		WillRespondWith(200, func(b *consumer.V3ResponseBuilder) {
			b.Header("Content-Type", matchers.Term("application/json", `^application/json`))
			b.JSONBody(matchers.Map{
				"id":           matchers.Like("pay_12345678"), // the contract gives Payment.id no pattern: a stricter matcher would fail a conforming provider
				"status":       matchers.Term("succeeded", `^(pending|succeeded|failed|refunded)$`),
				"amount_minor": matchers.Integer(1250),
				"currency":     matchers.Term("EUR", `^[A-Z]{3}$`),
				"customer_id":  matchers.Like("cus_1"),
				"created_at":   matchers.Timestamp(),
			})
		}).
		ExecuteTest(t, func(cfg consumer.MockServerConfig) error {
			c, err := paymentsapi.NewClient(fmt.Sprintf("http://%s:%d", cfg.Host, cfg.Port),
				paymentsapi.WithBearerAuthBearer(paymentsapi.StaticToken("tok")))
			if err != nil {
				return err
			}
			res, err := c.GetPayment(context.Background(), "pay_12345678")
			if err != nil {
				return err
			}
			if res.JSON200 == nil || res.JSON200.Id != "pay_12345678" {
				return fmt.Errorf("decoded %+v", res.JSON200)
			}
			return nil
		})
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "shop-payments.json")
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("no pact written: %v", err)
	}
	doc := load(t, payments)
	if err := checkFile(file, doc); err != nil {
		t.Fatal(err)
	}
	m, err := mock.New([]*contracts.Document{doc}, mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	if err := VerifyProvider(t, m, ProviderOptions{Provider: "payments", PactFiles: []string{file},
		States: map[string]func(bool, map[string]any) error{"payment pay_12345678 exists": func(bool, map[string]any) error { return nil }}}); err != nil {
		t.Fatal(err)
	}
}
