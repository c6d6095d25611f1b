package preflight

import (
	"context"
	"strings"
	"testing"

	"github.com/accord-dev/accord/contracts"
)

// TestServersAndAuthAsyncAPI: broker servers are judged by their protocol's
// TLS form, sandbox and local servers are not production, and an AsyncAPI
// operation without security is reported.
func TestServersAndAuthAsyncAPI(t *testing.T) {
	src := `asyncapi: 3.0.0
info: {title: t, version: "1"}
servers:
  prod: {host: kafka.example.com:9092, protocol: kafka}
  prodTLS: {host: kafka.example.com:9093, protocol: kafka-secure}
  staging: {host: kafka.staging.example.com:9092, protocol: kafka, description: staging cluster}
  local: {host: localhost:9092, protocol: kafka}
channels:
  orders: {address: orders}
operations:
  publishOrder:
    action: send
    channel: {$ref: '#/channels/orders'}
`
	doc, err := contracts.LoadBytes(context.Background(), "events.yaml", []byte(src), contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r := Run(Input{Targets: []Target{{Name: "events", Doc: doc}}})
	https, _ := r.Check("https-servers")
	if https.Status != No || len(https.Items) != 2 {
		t.Fatalf("https-servers: %s %+v, want no with the two production servers", https.Status, https.Items)
	}
	for _, it := range https.Items {
		plain := strings.Contains(it.Text, ":9092")
		if plain != (it.Status == No) || it.Where == "" {
			t.Errorf("%+v: plain kafka must be no, kafka-secure yes, each with a place", it)
		}
	}
	if sb, _ := r.Check("sandbox-server"); sb.Status != Yes {
		t.Errorf("the staging server is a sandbox: %+v", sb)
	}
	if auth, _ := r.Check("auth-declared"); auth.Status != No || len(auth.Items) != 1 {
		t.Errorf("auth-declared: %+v", auth)
	}
	// Nothing is generated for AsyncAPI: checks on generated code say why.
	if k, _ := r.Check("trace-ids"); k.Status != No || !strings.Contains(k.Why, "no OpenAPI contract") {
		t.Errorf("trace-ids: %+v", k)
	}
}
