package contracts

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
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
		"signature": "partner-hmac", "reconcile": "getThing",
		"slo": "1s", "reason": " the partner dedupes by order id ", "kill-switch": true,
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
		IdempotencyExplicit: true, Reconcile: "getThing",
		SLO: time.Second, Reason: "the partner dedupes by order id", KillSwitch: true,
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

func TestKeyHonouredOnlyWhenTheContractSaysSo(t *testing.T) {
	mode := func(m IdempotencyMode) *IdempotencyMode { return &m }
	for _, tc := range []struct {
		name     string
		layers   []PolicySpec
		declared bool
		want     bool
	}{
		{"default optional is no promise", nil, false, false},
		{"declared header", nil, true, true},
		{"explicit optional", []PolicySpec{{Idempotency: mode(IdempotencyOptional)}}, false, true},
		{"explicit required", []PolicySpec{{}, {Idempotency: mode(IdempotencyRequired)}}, false, true},
		{"explicit off wins over a declared header", []PolicySpec{{Idempotency: mode(IdempotencyOff)}}, true, false},
		{"client keeps the record on our side", []PolicySpec{{Idempotency: mode(IdempotencyClient)}}, true, false},
	} {
		p := ResolvePolicy("POST", tc.layers...)
		p.KeyDeclared = tc.declared
		if got := p.KeyHonoured(); got != tc.want {
			t.Errorf("%s: KeyHonoured = %v, want %v (%+v)", tc.name, got, tc.want, p)
		}
	}
	for m, want := range map[string]bool{"POST": true, "patch": true, "QUERY": true, "GET": false, "PUT": false, "DELETE": false, "": false} {
		if UnsafeMethod(m) != want {
			t.Errorf("UnsafeMethod(%q) != %v", m, want)
		}
	}
}

func writeContract(t *testing.T, body string) *Document {
	t.Helper()
	file := filepath.Join(t.TempDir(), "openapi.yaml")
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, err := Load(context.Background(), file, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestPoliciesSeeDeclaredKeysAndClientMode(t *testing.T) {
	doc := writeContract(t, `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /a:
    post:
      operationId: keyed
      parameters:
        - {name: idempotency-key, in: header, schema: {type: string}}
      responses: {"201": {description: ok}}
  /b:
    parameters:
      - {name: Idempotency-Key, in: header, schema: {type: string}}
    post:
      operationId: keyedByPathItem
      responses: {"201": {description: ok}}
  /c:
    post:
      operationId: plain
      responses: {"201": {description: ok}}
    get:
      operationId: getC
      responses: {"200": {description: ok}}
  /d:
    post:
      operationId: recorded
      x-accord: {idempotency: client, reconcile: getC}
      responses: {"201": {description: ok}}
`)
	ops, ps := doc.Policies()
	if len(ps) != 0 {
		t.Fatalf("problems: %v", ps)
	}
	got := map[string]Policy{}
	for _, op := range ops {
		got[op.ID] = op.Policy
	}
	if !got["keyed"].KeyHonoured() || !got["keyedByPathItem"].KeyHonoured() || got["plain"].KeyHonoured() {
		t.Errorf("honoured: keyed %v, path item %v, plain %v", got["keyed"].KeyHonoured(), got["keyedByPathItem"].KeyHonoured(), got["plain"].KeyHonoured())
	}
	if r := got["recorded"]; r.Idempotency != IdempotencyClient || r.Reconcile != "getC" || r.ReconcilePos.Line != 26 {
		t.Errorf("recorded: %+v", r)
	}
}

func TestReconcileMustNameAGet(t *testing.T) {
	doc := writeContract(t, `openapi: 3.0.3
info: {title: t, version: "1"}
x-accord: {reconcile: getThng}
paths:
  /c:
    post:
      operationId: createThing
      x-accord: {idempotency: client, reconcile: deleteThing}
      responses: {"201": {description: ok}}
    get:
      operationId: getThing
      responses: {"200": {description: ok}}
    delete:
      operationId: deleteThing
      responses: {"204": {description: ok}}
`)
	_, ps := doc.Policies()
	var codes []string
	for _, p := range ps {
		codes = append(codes, fmt.Sprintf("%s@%d:%d %s", p.Code, p.Pos.Line, p.Pos.Col, p.Hint))
	}
	slices.Sort(codes)
	// The document's typo is reported once (not per inheriting operation),
	// at its own position, with a suggestion; the operation's DELETE at its.
	want := []string{
		"policy-bad-reconcile@8:39 name a GET operation that looks the effect up",
		"policy-unknown-reconcile@3:12 did you mean getThing? name the operationId of the GET that looks the effect up",
	}
	if !slices.Equal(codes, want) {
		t.Fatalf("got\n%s\nwant\n%s", strings.Join(codes, "\n"), strings.Join(want, "\n"))
	}
}

func TestWebhooksCountAsKeyed(t *testing.T) {
	doc := writeContract(t, `openapi: 3.1.0
info: {title: t, version: "1"}
webhooks:
  thing.done:
    post:
      operationId: thingDone
      responses: {"204": {description: ok}}
`)
	ops, ps := doc.Policies()
	if len(ps) != 0 || len(ops) != 1 || !ops[0].Webhook || !ops[0].Policy.KeyHonoured() {
		t.Fatalf("webhook: %+v %v", ops, ps)
	}
}

func TestPolicySLOReasonKillSwitch(t *testing.T) {
	doc := writeContract(t, `openapi: 3.0.3
info: {title: t, version: "1"}
x-accord: {slo: 2s, budget: 1s, timeout: 200ms}
paths:
  /p:
    post:
      operationId: createPayment
      x-accord: {kill-switch: true, idempotency: off, reason: "the provider dedupes by order id"}
      responses: {"201": {description: ok}}
    get:
      operationId: getPayment
      x-accord: {budget: 5s}
      responses: {"200": {description: ok}}
`)
	ops, ps := doc.Policies()
	got := map[string]OperationPolicy{}
	for _, op := range ops {
		got[op.ID] = op
	}
	c, g := got["createPayment"].Policy, got["getPayment"].Policy
	if !c.KillSwitch || c.Reason != "the provider dedupes by order id" || c.SLO != 2*time.Second || g.KillSwitch || g.SLO != 2*time.Second {
		t.Fatalf("createPayment %+v\ngetPayment %+v", c, g)
	}
	var codes []string
	for _, p := range ps {
		codes = append(codes, fmt.Sprintf("%s@%d %s", p.Code, p.Pos.Line, p.Severity))
	}
	// getPayment's 5s budget misses the document's 2s slo; it is reported
	// where the operation is.
	if len(codes) != 1 || !strings.HasPrefix(codes[0], "policy-budget-over-slo@") || ps[0].Pos.Line < 11 || !strings.Contains(ps[0].Message, "getPayment") {
		t.Fatalf("problems %v (%v)", codes, ps)
	}
}

func TestPolicyNewKeysRejectBadValuesWithPositions(t *testing.T) {
	doc := writeContract(t, `openapi: 3.0.3
info: {title: t, version: "1"}
paths:
  /p:
    post:
      operationId: createPayment
      x-accord:
        slo: fast
        reason: ""
        kill-switch: "yes"
        killSwitch: true
      responses: {"201": {description: ok}}
`)
	_, ps := doc.Policies()
	var got []string
	for _, p := range ps {
		if p.Severity == SeverityError {
			got = append(got, fmt.Sprintf("%d %s", p.Pos.Line, p.Code))
		}
		if p.Pos.File == "" {
			t.Errorf("%s has no file", p.Code)
		}
	}
	slices.Sort(got)
	want := []string{"10 policy-bad-value", "11 policy-unknown-key", "8 policy-bad-duration", "9 policy-bad-value"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v (%v)", got, want, ps)
	}
	for _, p := range ps {
		if p.Code == "policy-unknown-key" && !strings.HasPrefix(p.Hint, "did you mean kill-switch?") {
			t.Errorf("killSwitch hint %q", p.Hint)
		}
	}
}

func TestPolicyReasonWithoutDisabledSafeguardWarns(t *testing.T) {
	p := DefaultPolicy("GET")
	p.Reason, p.Signature = "legacy", "partner-hmac"
	ps := p.Check(Position{File: "x", Line: 3}, "getThing")
	if len(ps) != 1 || ps[0].Code != "policy-reason-unused" || ps[0].Severity != SeverityWarning {
		t.Fatalf("got %v", ps)
	}
	p.Retries = 0
	if ps := p.Check(Position{}, "getThing"); len(ps) != 0 {
		t.Fatalf("retries 0 is a safeguard off, the reason explains it: %v", ps)
	}
}

func TestPolicyAsyncKeys(t *testing.T) {
	s, ps := ParsePolicySpec(map[string]any{"dlq": "payments.dead", "inbox": false, "partitionKey": "$message.payload#/id", "reason": "upserts by id"},
		"/x-accord", func(string) Position { return Position{} })
	if len(ps) != 0 {
		t.Fatalf("problems: %v", ps)
	}
	p := ResolvePolicy("", s)
	if p.DLQ != "payments.dead" || !p.NoInbox || p.PartitionKey != "$message.payload#/id" {
		t.Fatalf("resolved %+v", p)
	}
	if keys := s.AsyncKeys(); len(keys) != 3 {
		t.Errorf("async keys %v", keys)
	}
	if p := ResolvePolicy(""); p.NoInbox || p.DLQ != "" {
		t.Errorf("default: inbox on, default dead-letter destination; got %+v", p)
	}
	for _, bad := range []map[string]any{{"dlq": "a.*"}, {"dlq": ""}, {"dlq": 3}, {"inbox": "no"}, {"partitionKey": "/id"}} {
		if _, ps := ParsePolicySpec(bad, "", func(string) Position { return Position{} }); len(ps) != 1 || ps[0].Code != "policy-bad-value" {
			t.Errorf("%v: %v", bad, ps)
		}
	}
}

func TestPolicyAsyncOnlyKeysOnHTTPOperations(t *testing.T) {
	doc := writeContract(t, `openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /p:
    post:
      operationId: createPayment
      x-accord:
        dlq: payments.dlq
        inbox: true
        dlqTopic: x
      responses: {"201": {description: ok}}
webhooks:
  paid:
    post:
      operationId: onPaid
      x-accord: {inbox: false, reason: the handler upserts}
      responses: {"200": {description: ok}}
`)
	_, ps := doc.Policies()
	var got []string
	for _, p := range ps {
		if p.Severity == SeverityError {
			got = append(got, fmt.Sprintf("%d %s", p.Pos.Line, p.Code))
			if p.Code == "policy-async-only-key" && !strings.Contains(p.Message, "createPayment") {
				t.Errorf("%s does not name the operation", p.Message)
			}
		}
	}
	slices.Sort(got)
	// dlq (line 8), inbox (9) name the key; the unknown dlqTopic (10)
	// stays an unknown key; the webhook's inbox is fine.
	want := []string{"10 policy-unknown-key", "8 policy-async-only-key", "9 policy-async-only-key"}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v (%v)", got, want, ps)
	}
	// From accord.yaml: no contract position, the operation's instead.
	doc = writeContract(t, "openapi: 3.0.3\ninfo: {title: t, version: \"1\"}\npaths:\n  /p:\n    get:\n      operationId: getP\n      responses: {\"200\": {description: ok}}\n")
	dlq := "x.dlq"
	_, ps = doc.PoliciesWith(nil, map[string]PolicySpec{"getP": {DLQ: &dlq}})
	if len(ps) != 1 || ps[0].Code != "policy-async-only-key" || !strings.Contains(ps[0].Message, "accord.yaml") || ps[0].Pos.Line != 5 {
		t.Fatalf("got %v", ps)
	}
}

func TestPolicyInboxOffNeedsAReason(t *testing.T) {
	file := filepath.Join(t.TempDir(), "asyncapi.yaml")
	body := `asyncapi: 3.0.0
info: {title: t, version: "1"}
channels:
  c: {address: a.b, messages: {m: {payload: {type: object}}}}
operations:
  onA:
    action: receive
    channel: {$ref: '#/channels/c'}
    messages: [{$ref: '#/channels/c/messages/m'}]
    x-accord: {inbox: false}
  onB:
    action: receive
    channel: {$ref: '#/channels/c'}
    messages: [{$ref: '#/channels/c/messages/m'}]
    x-accord: {inbox: false, reason: the handler upserts by id, dlq: a.b.dead}
`
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, err := Load(context.Background(), file, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ops, ps := doc.Policies()
	if len(ps) != 1 || ps[0].Code != "policy-inbox-off-without-reason" || !strings.HasPrefix(ps[0].Message, "onA:") {
		t.Fatalf("got %v", ps)
	}
	for _, op := range ops {
		if op.ID == "onB" && (op.Policy.DLQ != "a.b.dead" || !op.Policy.NoInbox) {
			t.Errorf("onB %+v", op.Policy)
		}
	}
}
