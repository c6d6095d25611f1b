//go:build pact

package pact

import (
	"testing"

	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/mock"
)

// The provider side with pact-go: accord mock of the payments contract
// stands in for the provider; the pact passes Check and pact-go's replay,
// its state handler runs, and a pact the contract does not allow fails
// before the replay. (pact-go reports a failed replay on t itself, so a
// provider that mismatches cannot be asserted here without failing.)
func TestVerifyProvider(t *testing.T) {
	doc := load(t, payments)
	m, err := mock.New([]*contracts.Document{doc}, mock.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	var states []string
	o := ProviderOptions{
		Provider:  "payments",
		PactFiles: []string{"../testdata/pact/payments-provider.json"},
		Contract:  doc,
		States: map[string]func(bool, map[string]any) error{
			"payment pay_12345678 exists": func(setup bool, _ map[string]any) error {
				states = append(states, map[bool]string{true: "setup", false: "teardown"}[setup])
				return nil
			},
		},
	}
	if err := VerifyProvider(t, m, o); err != nil {
		t.Fatal(err)
	}
	if len(states) != 2 || states[0] != "setup" || states[1] != "teardown" {
		t.Errorf("state handler calls: %v", states)
	}
	o.PactFiles = []string{"../testdata/pact/payments-broken.json"}
	if err := VerifyProvider(t, m, o); err == nil {
		t.Error("the broken pact passed Check")
	}
}
