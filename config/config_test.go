package config

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/contracts"
)

const good = `version: 1
integrations:
  - name: payments
    contract: api/payments.yaml
    output: internal/payments
    package: payments
    generate: [models, client]
    policy:
      timeout: 1s
      circuitBreaker: {failures: 3}
    operations:
      createPayment: {retries: 0, idempotency: required}
      "GET /health": {timeout: 100ms}
  - name: crm
    contract: /abs/crm.yaml
    output: gen/crm
    package: crm
    enabled: false
`

func TestParse(t *testing.T) {
	cfg, err := Parse("accord.yaml", []byte(good), "/repo")
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Version != 1 || len(cfg.Integrations) != 2 {
		t.Fatalf("%+v", cfg)
	}
	p := cfg.Integrations[0]
	if p.Name != "payments" || p.Contract != filepath.Join("/repo", "api/payments.yaml") || p.Output != filepath.Join("/repo", "internal/payments") ||
		p.Package != "payments" || !slices.Equal(p.Generate, []string{"models", "client"}) || !p.Enabled {
		t.Errorf("payments: %+v", p)
	}
	if p.Policy == nil || p.Policy.Timeout == nil || *p.Policy.Timeout != time.Second || *p.Policy.Breaker.Failures != 3 {
		t.Errorf("policy %+v", p.Policy)
	}
	if len(p.Operations) != 2 || p.Operations[0].ID != "createPayment" || *p.Operations[0].Spec.Retries != 0 ||
		p.Operations[1].ID != "GET /health" || p.Operations[0].Pos.String() != "accord.yaml:12:7" {
		t.Errorf("operations %+v", p.Operations)
	}
	crm := cfg.Integrations[1]
	if crm.Enabled || crm.Contract != "/abs/crm.yaml" || crm.Policy != nil {
		t.Errorf("crm %+v", crm)
	}
	if en := cfg.Enabled(); len(en) != 1 || en[0].Name != "payments" {
		t.Errorf("enabled %+v", en)
	}
}

func TestParseErrors(t *testing.T) {
	head := "version: 1\nintegrations:\n"
	in := "  - name: a\n    contract: a.yaml\n    output: out\n    package: a\n"
	cases := []struct {
		name, data string
		want       []string // every problem, with position
	}{
		{"syntax", "version: 1\nintegrations: [\n", []string{"accord.yaml:2: error: invalid YAML"}},
		{"empty", "", []string{"accord.yaml: error: the config is empty"}},
		{"not a mapping", "- a\n", []string{"accord.yaml:1:1: error: the config must be a mapping"}},
		{"no version", "integrations: []\n", []string{"accord.yaml:1:1: error: the config has no version"}},
		{"bad version", "version: 2\nintegrations: []\n", []string{`accord.yaml:1:10: error: version "2" is not supported`}},
		{"unknown top key", "version: 1\nintegration: []\n", []string{`accord.yaml:2:1: error: the config: unknown key "integration"`, "accord.yaml:1:1: error: the config lists no integrations"}},
		{"integrations not a list", "version: 1\nintegrations: {}\n", []string{"accord.yaml:2:15: error: integrations must be a list"}},
		{"missing keys", head + "  - name: a\n", []string{"contract is missing", "output is missing", "package is missing"}},
		{"unknown integration key", head + in + "    outptu: x\n", []string{`accord.yaml:7:5: error: integration: unknown key "outptu"`, "did you mean output?"}},
		{"bad package", head + "  - {name: a, contract: a.yaml, output: o, package: My-Pkg}\n", []string{`accord.yaml:3:53: error: integration "a": "My-Pkg" is not a Go package name`}},
		{"bad part", head + in + "    generate: [models, docs]\n", []string{`accord.yaml:7:24: error: integration "a": generate: unknown part "docs"`}},
		{"bad enabled", head + in + "    enabled: sometimes\n", []string{`accord.yaml:7:14: error: integration "a": enabled must be true or false`}},
		{"duplicate name", head + in + in, []string{`accord.yaml:7:5: error: integration "a" is listed twice`}},
		{"bad policy key", head + in + "    policy: {timeout: 1s, retires: 2}\n", []string{`accord.yaml:7:36: error: policy: unknown key "retires"`, "did you mean retries?"}},
		{"bad policy value", head + in + "    policy:\n      timeout: soon\n", []string{`accord.yaml:8:16: error: policy: timeout: "soon" is not a duration`}},
		{"bad operation policy", head + in + "    operations:\n      op1: {retries: many}\n", []string{`accord.yaml:8:22: error: policy: retries must be a whole number`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("accord.yaml", []byte(c.data), "/repo")
			var ce *contracts.Error
			if !errors.As(err, &ce) {
				t.Fatalf("error %v is not a *contracts.Error", err)
			}
			var got []string
			for _, p := range ce.Problems {
				got = append(got, p.String())
			}
			all := strings.Join(got, "\n")
			for _, w := range c.want {
				if !strings.Contains(all, w) {
					t.Errorf("problems lack %q:\n%s", w, all)
				}
			}
		})
	}
}

func TestLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "accord.yaml")
	if err := os.WriteFile(path, []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Dir != dir || cfg.Integrations[0].Contract != filepath.Join(dir, "api", "payments.yaml") {
		t.Errorf("paths not resolved against the config's directory: %+v", cfg.Integrations[0])
	}
	_, err = Load(filepath.Join(dir, "nope.yaml"))
	var ce *contracts.Error
	if !errors.As(err, &ce) || ce.Class != contracts.ClassRead {
		t.Errorf("missing file: %v", err)
	}
	if _, err := Load(dir); !errors.As(err, &ce) || ce.Class != contracts.ClassRead {
		t.Errorf("a directory: %v", err)
	}
}

// TestSchemaMatchesParser keeps accord.schema.json and the parser in step:
// the same keys at the top, in an integration and in a policy (the policy's
// keys are contracts' own, read from the hint of an unknown key).
func TestSchemaMatchesParser(t *testing.T) {
	data, err := os.ReadFile("accord.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	var schema struct {
		Schema     string                     `json:"$schema"`
		Properties map[string]json.RawMessage `json:"properties"`
		Defs       map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	if schema.Schema != "https://json-schema.org/draft/2020-12/schema" {
		t.Errorf("$schema %q", schema.Schema)
	}
	keys := func(m map[string]json.RawMessage) []string {
		var out []string
		for k := range m {
			out = append(out, k)
		}
		sort.Strings(out)
		return out
	}
	sorted := func(s []string) []string { s = slices.Clone(s); sort.Strings(s); return s }
	if got, want := keys(schema.Properties), sorted(topKeys()); !slices.Equal(got, want) {
		t.Errorf("top-level keys: schema %v, parser %v", got, want)
	}
	if got, want := keys(schema.Defs["integration"].Properties), sorted(integrationKeys()); !slices.Equal(got, want) {
		t.Errorf("integration keys: schema %v, parser %v", got, want)
	}
	_, problems := contracts.ParsePolicySpec(map[string]any{"no-such-key": 1}, "", func(string) contracts.Position { return contracts.Position{} })
	if len(problems) != 1 {
		t.Fatalf("problems %v", problems)
	}
	_, list, ok := strings.Cut(problems[0].Hint, "known keys: ")
	if !ok {
		t.Fatalf("hint %q does not list the known keys", problems[0].Hint)
	}
	parser := sorted(strings.Split(list, ", "))
	if got := keys(schema.Defs["policy"].Properties); !slices.Equal(got, parser) {
		t.Errorf("policy keys: schema %v, contracts %v", got, parser)
	}
}

// The runtime adapters are listed with the parts (generate: [server, redis]).
func TestParseAdapterPart(t *testing.T) {
	src := strings.Replace(good, "generate: [models, client]", "generate: [server, redis]", 1)
	cfg, err := Parse("accord.yaml", []byte(src), "/repo")
	if err != nil {
		t.Fatal(err)
	}
	if g := cfg.Integrations[0].Generate; !slices.Equal(g, []string{"server", "redis"}) {
		t.Fatalf("generate %v", g)
	}
}
