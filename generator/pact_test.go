package generator

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/contracts"
)

// genPact generates contract with the client and its pact test.
func genPact(t *testing.T, contract, pkg string) *Result {
	t.Helper()
	return genPactAs(t, contract, pkg, "")
}

// genPactAs is genPact for an integration of accord.yaml.
func genPactAs(t *testing.T, contract, pkg, integration string) *Result {
	t.Helper()
	doc, err := contracts.Load(context.Background(), contract, contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	parts, err := ParseParts([]string{"client", "pact"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Generate(doc, Options{Package: pkg, Runtime: testRuntime, Parts: parts, Integration: integration, templates: testTemplates()})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func pactTestFile(t *testing.T, res *Result) string {
	t.Helper()
	for _, f := range res.Files {
		if f.Name == PactFile {
			return string(f.Content)
		}
	}
	t.Fatalf("no %s among the generated files", PactFile)
	return ""
}

// The pact part writes one test file behind the pact tag, with an
// interaction per client operation: examples where the contract has them,
// synthesised values where not, credentials and matchers by shape.
func TestPactPart(t *testing.T) {
	if _, err := ParseParts([]string{"models", "pact"}); err == nil {
		t.Error("pact without client is accepted")
	}
	res := genPact(t, "../examples/payments/openapi.yaml", "paymentsapi")
	src := pactTestFile(t, res)
	if !strings.HasPrefix(src, Header()+"\n\n//go:build pact\n\npackage paymentsapi\n") {
		t.Errorf("head of the file:\n%s", src[:min(len(src), 200)])
	}
	for _, want := range []string{
		`t.Run("getPayment"`, `t.Run("createPayment"`, `t.Run("createRefund"`, `t.Run("getEvent"`,
		`UponReceiving("getPayment: Fetch a payment")`,
		`b.Header("Authorization", matchers.Term("Bearer pact-token", ` + "`" + `^Bearer \S+$` + "`" + `))`,
		`WithSigningSecrets("partner-hmac"`,
		`"/status": {Regex: "^(pending|succeeded|failed|refunded)$"}`,
		`"/amount_minor": {Integer: true}`,
		`WillRespondWith(201,`,
		`accPactName("ACCORD_PACT_CONSUMER", "paymentsapi")`,
		`accPactName("ACCORD_PACT_PROVIDER", "payments-provider-api")`, // the contract's title
	} {
		if !strings.Contains(src, want) {
			t.Errorf("the pact test lacks %s", want)
		}
	}
	if strings.Contains(src, "paymentSucceeded") {
		t.Error("the webhook got a consumer interaction")
	}
	named := pactTestFile(t, genPactAs(t, "../examples/payments/openapi.yaml", "paymentsapi", "payments"))
	if !strings.Contains(named, `accPactName("ACCORD_PACT_PROVIDER", "payments")`) {
		t.Error("the provider is not named after the integration")
	}
}

// The generated pact test compiles and vets with the pact tag, for the
// payments example, a contract with examples, parameters of every kind,
// API keys, basic auth and skipped operations, and one with no operation
// the test can drive.
func TestPactPartCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles generated code")
	}
	if _, err := exec.LookPath("gcc"); err != nil {
		t.Skip("pact-go needs cgo: no gcc")
	}
	mod := t.TempDir()
	writePactModule(t, mod)
	writeGenerated(t, mod, "paymentsapi", genPact(t, "../examples/payments/openapi.yaml", "paymentsapi"), nil)
	shop := genPact(t, "testdata/pact/shop.yaml", "shopapi")
	writeGenerated(t, mod, "shopapi", shop, nil)
	none := genPact(t, "testdata/pact/none.yaml", "noneapi")
	writeGenerated(t, mod, "noneapi", none, nil)
	if src := pactTestFile(t, none); !strings.Contains(src, "No interaction for redirect: it declares no 2xx or default answer") {
		t.Errorf("the redirect is not reported skipped:\n%s", src)
	}
	src := pactTestFile(t, shop)
	for _, want := range []string{
		`No interaction for uploadLogo: the request body is`,
		`b.Body("application/x-www-form-urlencoded", body)`,
		`No interaction for getSecret: its security (mtls) needs credentials`,
		`b.Query("tag", matchers.Like("red"), matchers.Like("blue"))`,
		`b.Header("X-Api-Key", matchers.Like("pact-api-key"))`,
		`b.Header("X-Request-Id", matchers.Like("req-42"))`,
		`models.ProviderState{Name: "sku SKU-1 exists", Parameters: map[string]any{"sku": "SKU-1"}}`,
	} {
		if !strings.Contains(src, want) {
			t.Errorf("the shop pact test lacks %s", want)
		}
	}
	if out, err := pactGo(t, mod, "vet", "-tags", "pact", "./..."); err != nil {
		t.Fatalf("go vet -tags pact: %v\n%s", err, out)
	}
}

// writePactModule makes dir a module that builds generated code and its
// pact tests with accord's own dependency versions: it requires accord,
// replaced by this checkout, so the module graph and go.sum are ours.
func writePactModule(t *testing.T, dir string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	mod := "module accordtest\n\ngo 1.24\n\nrequire (\n\tgithub.com/accord-dev/accord v0.0.0\n\tgithub.com/pact-foundation/pact-go/v2 v2.4.2\n"
	for _, d := range testModuleDeps {
		mod += "\t" + d + "\n"
	}
	mod += ")\n\nreplace github.com/accord-dev/accord => " + root + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
}

// pactGo runs the go tool with cgo on, which pact-go needs.
func pactGo(t *testing.T, dir string, args ...string) ([]byte, error) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	cmd := exec.Command(goBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOSUMDB=off", "GOWORK=off", "CGO_ENABLED=1", "PACT_DO_NOT_TRACK=true")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return out.Bytes(), err
}

// The expectations hold the contract's shape: only required fields of
// responses, and rules for what the schema constrains (an expression the
// example does not match, or RE2 cannot read, falls back to the type).
func TestPactRules(t *testing.T) {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData([]byte(`{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": {},
	"components": {"schemas": {"S": {"type": "object", "required": ["id", "n", "tags", "kind"], "properties": {
		"id": {"type": "string", "pattern": "^x-[0-9]+$"},
		"n": {"type": "integer"},
		"f": {"type": "number"},
		"at": {"type": "string", "format": "date-time"},
		"kind": {"type": "string", "enum": ["a.b", "c"]},
		"odd": {"type": "string", "pattern": "^(?=y)y$"},
		"tags": {"type": "array", "minItems": 2, "items": {"type": "string", "const": "t"}},
		"inner": {"type": "object", "required": ["k"], "properties": {"k": {"type": "string"}, "o": {"type": "string"}}}}}}}}`))
	if err != nil {
		t.Fatal(err)
	}
	s := doc.Components.Schemas["S"].Value
	v := map[string]any{"id": "x-1", "n": 3.0, "f": 1.5, "at": "2026-01-01T00:00:00Z", "kind": "a.b", "odd": "y",
		"tags": []any{"t", "t"}, "inner": map[string]any{"k": "v", "o": "w"}}
	got := pactRulesLiteral(pactRules(v, s))
	want := `map[string]accPactRule{"/at": {Regex: ` + "`" + `^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$` + "`" +
		`}, "/id": {Regex: "^x-[0-9]+$"}, "/kind": {Regex: ` + "`" + `^(a\.b|c)$` + "`" + `}, "/n": {Integer: true}, "/tags": {Min: 2}, "/tags/*": {Regex: "^t$"}}`
	if got != want {
		t.Errorf("rules\n got %s\nwant %s", got, want)
	}
	req := pactRequired(v, s).(map[string]any)
	if len(req) != 4 || req["f"] != nil || req["inner"] != nil {
		t.Errorf("required fields: %v", req)
	}
	if pactRegex(s.Properties["id"].Value, "nope") != "" {
		t.Error("a pattern the example does not match was kept")
	}
}
