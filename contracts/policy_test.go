package contracts

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"
)

func TestDefaultPolicyByMethod(t *testing.T) {
	for method, want := range map[string]IdempotencyMode{
		"POST": IdempotencyOptional, "PATCH": IdempotencyOptional, "post": IdempotencyOptional,
		"GET": IdempotencyOff, "PUT": IdempotencyOff, "DELETE": IdempotencyOff, "": IdempotencyOff,
	} {
		if got := DefaultPolicy(method).Idempotency; got != want {
			t.Errorf("DefaultPolicy(%q).Idempotency = %s, want %s", method, got, want)
		}
	}
}

func TestResolvePolicyLayersInOrder(t *testing.T) {
	dur := func(d time.Duration) *time.Duration { return &d }
	num := func(n int) *int { return &n }
	doc := PolicySpec{Timeout: dur(300 * time.Millisecond), Retries: num(3), RetryOn: []int{503}}
	op := PolicySpec{Retries: num(0), Breaker: BreakerSpec{Failures: num(9)}}
	cli := PolicySpec{Timeout: dur(time.Second)}
	p := ResolvePolicy("GET", doc, op, cli)
	if p.Timeout != time.Second {
		t.Errorf("Timeout = %s: the last layer (command line) must win", p.Timeout)
	}
	if p.Retries != 0 {
		t.Errorf("Retries = %d: the operation's explicit 0 must override the document's 3", p.Retries)
	}
	if !slices.Equal(p.RetryOn, []int{503}) {
		t.Errorf("RetryOn = %v, want the document's [503]", p.RetryOn)
	}
	if p.Breaker.Failures != 9 || p.Breaker.Window != DefaultBreakerWindow {
		t.Errorf("Breaker = %+v: failures from the operation, window from defaults", p.Breaker)
	}
	if p.Budget != DefaultBudget {
		t.Errorf("Budget = %s, want the default", p.Budget)
	}
	// Layers must not share slices with the result.
	doc.RetryOn[0] = 500
	if p.RetryOn[0] != 503 {
		t.Error("resolved RetryOn aliases the layer's slice")
	}
}

func TestParsePolicySpecAcceptsEveryKey(t *testing.T) {
	v := map[string]any{
		"timeout": "300ms", "budget": "800ms", "retries": 2.0,
		"backoff": map[string]any{"base": "50ms", "cap": "2s"},
		"retryOn": []any{429.0, 503.0}, "idempotency": "required", "idempotencyTTL": "24h",
		"concurrency": 64, "circuitBreaker": map[string]any{"failures": 5, "window": "10s", "cooldown": "30s"},
		"signature": "partner-hmac",
	}
	s, ps := ParsePolicySpec(v, "/x-accord", func(string) Position { return Position{} })
	if len(ps) != 0 {
		t.Fatalf("problems: %v", ps)
	}
	p := ResolvePolicy("POST", s)
	want := Policy{
		Timeout: 300 * time.Millisecond, Budget: 800 * time.Millisecond, Retries: 2,
		BackoffBase: 50 * time.Millisecond, BackoffCap: 2 * time.Second, RetryOn: []int{429, 503},
		Idempotency: IdempotencyRequired, IdempotencyTTL: 24 * time.Hour, Concurrency: 64,
		Breaker: Breaker{Failures: 5, Window: 10 * time.Second, Cooldown: 30 * time.Second}, Signature: "partner-hmac",
	}
	if !slices.Equal(p.RetryOn, want.RetryOn) {
		t.Fatalf("RetryOn = %v", p.RetryOn)
	}
	p.RetryOn, want.RetryOn = nil, nil
	if !reflect.DeepEqual(p, want) {
		t.Errorf("resolved\n got %+v\nwant %+v", p, want)
	}
}

func TestParsePolicySpecSuggestsNearKey(t *testing.T) {
	_, ps := ParsePolicySpec(map[string]any{"tiemout": "1s"}, "/x-accord", func(string) Position { return Position{} })
	if len(ps) != 1 || ps[0].Code != "policy-unknown-key" || ps[0].Hint[:19] != "did you mean timeou" {
		t.Fatalf("got %v", ps)
	}
}

func TestPoliciesFromDocument(t *testing.T) {
	doc, err := Load(context.Background(), "../testdata/contracts/valid/openapi-3.1-x-accord-full.yaml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ops, ps := doc.Policies(PolicySpec{Concurrency: ptr(7)})
	if HasErrors(ps) {
		t.Fatalf("problems: %v", ps)
	}
	byID := map[string]OperationPolicy{}
	for _, op := range ops {
		byID[op.ID] = op
	}
	create, list := byID["createEntry"], byID["listEntries"]
	if create.Method != "POST" || create.Path != "/entries" || create.Pos.Line == 0 {
		t.Errorf("createEntry located wrongly: %+v", create)
	}
	if create.Policy.Idempotency != IdempotencyRequired || create.Policy.Retries != 0 || create.Policy.Signature != "ledger-hmac" {
		t.Errorf("createEntry policy: %+v", create.Policy)
	}
	if list.Policy.Timeout != 100*time.Millisecond || list.Policy.Budget != 800*time.Millisecond {
		t.Errorf("listEntries: operation timeout over document budget: %+v", list.Policy)
	}
	if list.Policy.Concurrency != 7 || create.Policy.Concurrency != 7 {
		t.Error("override layer must apply after the operation's x-accord")
	}
	schemes, ps := doc.SignatureSchemes()
	s := schemes["ledger-hmac"]
	if len(ps) != 0 || s.SignatureHeader != "X-Ledger-Signature" || s.Tolerance != 2*time.Minute || s.Format != FormatAccord {
		t.Errorf("scheme = %+v, problems %v", s, ps)
	}
}

func TestPolicyCheckWarnsOnContradictions(t *testing.T) {
	p := DefaultPolicy("GET")
	p.Timeout, p.Budget = 5*time.Second, time.Second
	ps := p.Check(Position{File: "x"}, "getThing")
	if len(ps) != 1 || ps[0].Code != "policy-timeout-over-budget" || ps[0].Severity != SeverityWarning {
		t.Fatalf("got %v", ps)
	}
}

func ptr[T any](v T) *T { return &v }

func TestPoliciesWithPerOperationLayer(t *testing.T) {
	doc, err := Load(context.Background(), "../testdata/contracts/valid/openapi-3.1-x-accord-full.yaml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ops, ps := doc.PoliciesWith([]PolicySpec{{Retries: ptr(4)}}, map[string]PolicySpec{"createEntry": {Retries: ptr(1)}})
	if HasErrors(ps) {
		t.Fatal(ps)
	}
	got := map[string]int{}
	for _, op := range ops {
		got[op.ID] = op.Policy.Retries
	}
	// createEntry's own x-accord says 0, the global override 4, its
	// per-operation layer 1 (last wins); listEntries only sees the global 4.
	if got["createEntry"] != 1 || got["listEntries"] != 4 {
		t.Fatalf("retries %v", got)
	}
}
