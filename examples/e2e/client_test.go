package e2e

import (
	"strings"
	"testing"

	"github.com/accord-dev/accord/examples/payments/paymentsapi"
)

// NewClient refuses what would only fail later: a base URL the builders
// cannot resolve against, a signer for a scheme the contract lacks.
func TestNewClientValidates(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"", "api.example.com", "ftp://api.example.com", "https://", "https://api.example.com/v1?x=1"} {
		if _, err := paymentsapi.NewClient(bad); err == nil {
			t.Errorf("NewClient(%q) accepted", bad)
		}
	}
	_, err := paymentsapi.NewClient("https://api.example.com",
		paymentsapi.WithSigningSecrets("partner-hmca", paymentsapi.StaticSecrets{[]byte("k")}))
	if err == nil || !strings.Contains(err.Error(), `"partner-hmca"`) || !strings.Contains(err.Error(), "partner-hmac") {
		t.Fatalf("a misspelt scheme: %v", err)
	}
	if _, ok := paymentsapi.OperationByID("createPayment"); !ok {
		t.Fatal("createPayment is not described")
	}
	op, _ := paymentsapi.OperationByID("createPayment")
	op.Policy.RetryOn[0] = 999 // a copy: the client's table must not change
	if again, _ := paymentsapi.OperationByID("createPayment"); again.Policy.RetryOn[0] == 999 {
		t.Fatal("OperationByID hands out the shared policy")
	}
}
