package pact

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/accord-dev/accord/contracts"
)

const (
	payments = "../examples/payments/openapi.yaml"
	orders   = "../testdata/pact/orders.yaml"
)

func load(t *testing.T, file string) *contracts.Document {
	t.Helper()
	doc, err := contracts.Load(context.Background(), file, contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func check(t *testing.T, pactFile, contract string) *Report {
	t.Helper()
	data, err := os.ReadFile(pactFile)
	if err != nil {
		t.Fatal(err)
	}
	p, err := Parse(data)
	if err != nil {
		t.Fatal(err)
	}
	rep, err := Check(p, pactFile, load(t, contract))
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func text(rep *Report) string {
	var b bytes.Buffer
	_ = Write(&b, "text", rep)
	return b.String()
}

// The three specification versions normalise to the same interactions:
// v2 query strings, v3 value lists, v4 header lists and bodies (plain,
// base64 and JSON-in-a-string), v4 message interactions skipped.
func TestParseVersions(t *testing.T) {
	for _, c := range []struct {
		file, spec string
		n          int
		skipped    int
	}{
		{"../testdata/pact/payments-v2.json", "2.0.0", 3, 0},
		{"../testdata/pact/payments-v3.json", "3.0.0", 2, 0},
		{"../testdata/pact/payments-v4.json", "4.0", 2, 1},
	} {
		data, err := os.ReadFile(c.file)
		if err != nil {
			t.Fatal(err)
		}
		p, err := Parse(data)
		if err != nil {
			t.Fatalf("%s: %v", c.file, err)
		}
		if p.Spec != c.spec || len(p.Interactions) != c.n || len(p.Skipped) != c.skipped || p.Consumer != "shop" || p.Provider != "payments" {
			t.Errorf("%s: spec %q, %d interactions, skipped %v", c.file, p.Spec, len(p.Interactions), p.Skipped)
		}
		first := p.Interactions[0]
		if first.Request.Method != "POST" || !first.Request.Body.JSON || first.Request.Header.Get("Idempotency-Key") == "" {
			t.Errorf("%s: first request %+v", c.file, first.Request)
		}
		var body map[string]any
		if err := json.Unmarshal(first.Response.Body.Raw, &body); err != nil || body["id"] == nil {
			t.Errorf("%s: response body %q: %v", c.file, first.Response.Body.Raw, err)
		}
	}
	p, err := Parse([]byte(`{"interactions":[{"description":"d","request":{"method":"get","path":"/x","query":"a=1&a=2&b="},"response":{"status":200}}]}`))
	if err != nil {
		t.Fatal(err)
	}
	if q := p.Interactions[0].Request.Query; len(q["a"]) != 2 || p.Spec != "2.0.0" || p.Interactions[0].Request.Method != "GET" {
		t.Errorf("query %v, spec %s", q, p.Spec)
	}
}

func TestParseRefusesWhatIsNotAPact(t *testing.T) {
	for _, in := range []string{
		``, `[]`, `{}`, `{"interactions": 3}`,
		`{"interactions":[{"description":"no response","request":{"method":"GET","path":"/"}}]}`,
		`{"interactions":[{"description":"no status","request":{"method":"GET","path":"/"},"response":{}}]}`,
		`{"interactions":[{"description":"no path","request":{"method":"GET"},"response":{"status":200}}]}`,
		`{"interactions":[{"request":{"method":"GET","path":"/","headers":{"a":1}},"response":{"status":200}}]}`,
		`{"interactions":[{"type":"Synchronous/HTTP","request":{"method":"GET","path":"/","body":{"content":"!!","encoded":"base64"}},"response":{"status":200}}]}`,
	} {
		if _, err := Parse([]byte(in)); err == nil {
			t.Errorf("%q parsed", in)
		}
	}
}

// Pacts the provider honours pass, with the warnings they earn.
func TestValidPactsPass(t *testing.T) {
	for _, c := range []struct {
		file     string
		warnings int
	}{
		{"../testdata/pact/payments-v2.json", 0},
		{"../testdata/pact/payments-v3.json", 1}, // an undeclared query parameter
		{"../testdata/pact/payments-v4.json", 0},
	} {
		rep := check(t, c.file, payments)
		if rep.Failed() || len(rep.Findings) != c.warnings {
			t.Errorf("%s:\n%s", c.file, text(rep))
		}
	}
}

// Every interaction of the broken pact is named after the one finding it
// must produce; its severity is as the kind says.
func TestEachViolationKind(t *testing.T) {
	rep := check(t, "../testdata/pact/payments-broken.json", payments)
	byIndex := map[int][]Finding{}
	for _, f := range rep.Findings {
		byIndex[f.Index] = append(byIndex[f.Index], f)
	}
	warnings := map[string]bool{KindMissingCredentials: true, KindUnknownParameter: true}
	data, _ := os.ReadFile("../testdata/pact/payments-broken.json")
	p, _ := Parse(data)
	for _, in := range p.Interactions {
		want := in.Description
		if want == "response-media-type" {
			want = KindUnsupportedMedia
		}
		got := byIndex[in.Index]
		if len(got) != 1 || got[0].Kind != want {
			t.Errorf("interaction %d %q: got %+v", in.Index, in.Description, got)
			continue
		}
		sev := SeverityError
		if warnings[want] {
			sev = SeverityWarning
		}
		if got[0].Severity != sev || got[0].Position.File == "" {
			t.Errorf("interaction %d: severity %s, position %v", in.Index, got[0].Severity, got[0].Position)
		}
	}
	if !rep.Failed() {
		t.Error("the broken pact passed")
	}
}

// OpenAPI 3.0 with server base paths (variables at their defaults),
// templated segments with suffixes, allOf and oneOf in responses, 2XX and
// default responses, and 4xx expectations that make invalid requests
// deliberate.
func TestOrdersContract(t *testing.T) {
	rep := check(t, "../testdata/pact/orders-v3.json", orders)
	type key struct {
		index int
		kind  string
	}
	got := map[key]string{}
	for _, f := range rep.Findings {
		got[key{f.Index, f.Kind}] = f.Severity
	}
	want := map[key]string{
		{2, KindInvalidParameter}: SeverityWarning,
		{2, KindMissingParameter}: SeverityWarning,
		{3, KindInvalidParameter}: SeverityError,
		{3, KindUndeclaredHeader}: SeverityWarning,
		{3, KindUnknownProperty}:  SeverityError,
		{4, KindUndeclaredBody}:   SeverityError,
		{5, KindInvalidHeader}:    SeverityError,
	}
	if len(got) != len(want) {
		t.Errorf("findings:\n%s", text(rep))
	}
	for k, sev := range want {
		if got[k] != sev {
			t.Errorf("interaction %d %s: severity %q, want %q\n%s", k.index, k.kind, got[k], sev, text(rep))
		}
	}
	for _, f := range rep.Findings {
		if f.Kind == KindUnknownProperty && !strings.Contains(f.Message, "#/shipping/tracking") {
			t.Errorf("unknown property message %q", f.Message)
		}
	}
}

func TestCheckRefusesAsyncAPI(t *testing.T) {
	doc := load(t, "../examples/events/asyncapi.yaml")
	if _, err := Check(&Pact{}, "p.json", doc); err == nil {
		t.Fatal("an AsyncAPI contract was accepted")
	}
}

func TestWriteFormats(t *testing.T) {
	rep := check(t, "../testdata/pact/payments-broken.json", payments)
	var b bytes.Buffer
	if err := Write(&b, "json", rep); err != nil {
		t.Fatal(err)
	}
	var out struct {
		Failed   bool      `json:"failed"`
		Findings []Finding `json:"findings"`
	}
	if err := json.Unmarshal(b.Bytes(), &out); err != nil || !out.Failed || len(out.Findings) != len(rep.Findings) {
		t.Fatalf("json: %v\n%s", err, b.String())
	}
	if !strings.Contains(text(rep), "violates") {
		t.Error("text has no verdict")
	}
	if err := Write(&b, "xml", rep); err == nil {
		t.Error("xml accepted")
	}
}

func FuzzParse(f *testing.F) {
	for _, file := range []string{"payments-v2.json", "payments-v3.json", "payments-v4.json", "payments-broken.json", "orders-v3.json"} {
		data, err := os.ReadFile("../testdata/pact/" + file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	doc, err := contracts.Load(context.Background(), payments, contracts.LoadOptions{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := Parse(data)
		if err != nil {
			return
		}
		if _, err := Check(p, "fuzz.json", doc); err != nil {
			t.Fatal(err)
		}
	})
}
