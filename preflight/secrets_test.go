package preflight

import "testing"

func TestFindSecrets(t *testing.T) {
	cases := []struct {
		line   string
		secret bool
	}{
		{`example: sk_live_4eC39HqLyjWDarjtT1zdp7dc`, true},
		{`secret: whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw`, true},
		{`-----BEGIN RSA PRIVATE KEY-----`, true},
		{`-----BEGIN PRIVATE KEY-----`, true},
		{`url: postgres://app:hunter2@db.internal:5432/app`, true},
		{`key: AKIAIOSFODNN7EXAMPLE`, true},
		{`token: Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZkdISUpLTE1O`, true},
		{`apiKey: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08`, true},
		// Not secrets: identifiers, references, URLs without credentials,
		// templated URLs, prose.
		{`$ref: '#/components/schemas/CreatePaymentRequestWithMetadata'`, false},
		{`operationId: GetCustomersCustomerPaymentMethodsPaymentMethod`, false},
		{`property: payment_method_configuration_details_identifier`, false},
		{`url: https://api.payments.example.com/v1/payments/{payment_id}/refunds`, false},
		{`url: "{scheme}://{host}:{port}/v1"`, false},
		{`description: The amount in the smallest currency unit, e.g. 4200 for EUR 42.00.`, false},
		{`example: sk_test_only_in_docs`, false},
	}
	for _, c := range cases {
		got := len(findSecrets("f.yaml", []byte(c.line))) > 0
		if got != c.secret {
			t.Errorf("%q: secret=%v, want %v", c.line, got, c.secret)
		}
	}
	if items := findSecrets("f.yaml", []byte("a: 1\nb: sk_live_4eC39HqLyjWDarjtT1zdp7dc\n")); len(items) != 1 || items[0].Where != "f.yaml:2" {
		t.Errorf("position: %+v", items)
	}
}
