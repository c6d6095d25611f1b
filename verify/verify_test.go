package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/mock"
)

const (
	payments   = "../examples/payments/openapi.yaml"
	shop       = "../testdata/mock/shop.yaml"
	partnerKey = "partner-hmac-secret-for-verify"
)

func load(t *testing.T, file string) *contracts.Document {
	t.Helper()
	doc, err := contracts.Load(context.Background(), file, contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// provider is a conforming provider: the stateful mock of the contract,
// wrapped by breaks to misbehave in one way.
func provider(t *testing.T, doc *contracts.Document, breaks func(http.Handler) http.Handler) *url.URL {
	t.Helper()
	m, err := mock.New([]*contracts.Document{doc}, mock.Options{Stateful: true, Secrets: map[string][]byte{"partner-hmac": []byte(partnerKey)}})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = m
	if breaks != nil {
		h = breaks(m)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return u
}

func run(t *testing.T, doc *contracts.Document, target *url.URL) *Report {
	t.Helper()
	rep, err := Run(context.Background(), doc, Options{
		Target: target, Rate: -1, MaxRequests: 100,
		Credentials: map[string]string{"bearerAuth": "test-token", "apiKey": "k"},
		Secrets:     map[string][]byte{"partner-hmac": []byte(partnerKey)},
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func kinds(rep *Report) map[string][]Finding {
	out := map[string][]Finding{}
	for _, f := range rep.Findings {
		out[f.Kind] = append(out[f.Kind], f)
	}
	return out
}

// The mock honours its contract, so verify finds nothing in it; every
// operation was checked, creations first.
func TestConformingProviderPasses(t *testing.T) {
	for _, file := range []string{payments, shop} {
		doc := load(t, file)
		rep := run(t, doc, provider(t, doc, nil))
		if rep.Failed() || len(rep.Findings) > 0 {
			var b bytes.Buffer
			_ = Write(&b, "text", rep)
			t.Fatalf("%s: findings against a conforming provider:\n%s", file, b.String())
		}
		if len(rep.Checked) != rep.Operations || rep.Operations == 0 {
			t.Fatalf("%s: checked %v of %d", file, rep.Checked, rep.Operations)
		}
	}
}

// rewrite replaces the answers to requests matching when with answer.
func rewrite(when func(*http.Request) bool, answer func(w http.ResponseWriter, rec *httptest.ResponseRecorder)) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if !when(r) {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			answer(w, rec)
		})
	}
}

func isGet(prefix string) func(*http.Request) bool {
	return func(r *http.Request) bool { return r.Method == "GET" && strings.HasPrefix(r.URL.Path, prefix) }
}

func TestFindsUndeclaredStatus(t *testing.T) {
	doc := load(t, payments)
	rep := run(t, doc, provider(t, doc, rewrite(isGet("/v1/payments/"), func(w http.ResponseWriter, _ *httptest.ResponseRecorder) {
		w.WriteHeader(http.StatusTeapot)
	})))
	f := kinds(rep)[KindUndeclaredStatus]
	if len(f) != 1 || f[0].Operation != "getPayment" || f[0].Status != 418 || !rep.Failed() {
		t.Fatalf("findings %+v", rep.Findings)
	}
	if f[0].Pos.Line == 0 {
		t.Fatalf("finding without a position: %+v", f[0])
	}
}

func TestFindsInvalidBody(t *testing.T) {
	doc := load(t, payments)
	rep := run(t, doc, provider(t, doc, rewrite(isGet("/v1/payments/"), func(w http.ResponseWriter, _ *httptest.ResponseRecorder) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id": 5, "status": "lost"}`)
	})))
	f := kinds(rep)[KindInvalidBody]
	if len(f) != 1 || f[0].Operation != "getPayment" || !strings.Contains(f[0].Message, "#/") {
		t.Fatalf("findings %+v", rep.Findings)
	}
}

func TestFindsMissingRequiredHeader(t *testing.T) {
	doc := load(t, shop)
	rep := run(t, doc, provider(t, doc, rewrite(isGet("/items/"), func(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
		for k, v := range rec.Header() {
			if k != "X-Request-Id" {
				w.Header()[k] = v
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})))
	f := kinds(rep)[KindMissingHeader]
	if len(f) != 1 || f[0].Operation != "getItem" || !strings.Contains(f[0].Message, "X-Request-Id") {
		t.Fatalf("findings %+v", rep.Findings)
	}
}

// A provider that ignores Idempotency-Key creates a second item for the
// repeated request (shop's key is optional, so the mock accepts it gone).
func TestFindsMissingIdempotentReplay(t *testing.T) {
	doc := load(t, shop)
	forget := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			r.Header.Del("Idempotency-Key")
			next.ServeHTTP(w, r)
		})
	}
	rep := run(t, doc, provider(t, doc, forget))
	f := kinds(rep)[KindNoIdempotentReplay]
	if len(f) != 1 || f[0].Operation != "createItem" || f[0].Severity != SeverityError {
		t.Fatalf("findings %+v", rep.Findings)
	}
}

func TestFindsServerErrorOnInvalidInput(t *testing.T) {
	doc := load(t, payments)
	crash := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "POST" {
				body, _ := io.ReadAll(r.Body)
				var obj map[string]any
				if json.Unmarshal(body, &obj) != nil {
					http.Error(w, "nil pointer dereference", http.StatusInternalServerError)
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			next.ServeHTTP(w, r)
		})
	}
	rep := run(t, doc, provider(t, doc, crash))
	f := kinds(rep)[KindServerErrorInvalid]
	if len(f) != 2 { // createPayment and createRefund, each sent a JSON array
		t.Fatalf("findings %+v", rep.Findings)
	}
	for _, x := range f {
		if x.Status != 500 || !strings.Contains(x.Message, "array") {
			t.Fatalf("finding %+v", x)
		}
	}
}

func TestFindsAcceptedInvalidInput(t *testing.T) {
	doc := load(t, shop)
	lax := func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "POST" {
				body, _ := io.ReadAll(r.Body)
				if !bytes.Contains(body, []byte(`"name"`)) {
					w.Header().Set("Content-Type", "application/json")
					w.WriteHeader(http.StatusCreated)
					_, _ = io.WriteString(w, `{}`)
					return
				}
				r.Body = io.NopCloser(bytes.NewReader(body))
			}
			next.ServeHTTP(w, r)
		})
	}
	rep := run(t, doc, provider(t, doc, lax))
	if f := kinds(rep)[KindAcceptedInvalid]; len(f) == 0 || f[0].Operation != "createItem" {
		t.Fatalf("findings %+v", rep.Findings)
	}
}

// The request budget ends the run with a note; the rate paces it.
func TestBudgetAndTargetHostOnly(t *testing.T) {
	doc := load(t, payments)
	target := provider(t, doc, nil)
	rep, err := Run(context.Background(), doc, Options{Target: target, MaxRequests: 3, Rate: -1,
		Credentials: map[string]string{"bearerAuth": "t"}, Secrets: map[string][]byte{"partner-hmac": []byte(partnerKey)}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Requests != 3 || len(rep.Notes) == 0 || !strings.Contains(rep.Notes[len(rep.Notes)-1], "max-requests") {
		t.Fatalf("requests %d, notes %v", rep.Requests, rep.Notes)
	}
	// A redirect off the target host is not followed.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("the other host was contacted: %s", r.URL)
	}))
	defer other.Close()
	away := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, other.URL+r.URL.Path, http.StatusFound)
	}))
	defer away.Close()
	u, _ := url.Parse(away.URL)
	rep, err = Run(context.Background(), doc, Options{Target: u, MaxRequests: 10, Rate: -1})
	if err != nil {
		t.Fatal(err)
	}
	if len(kinds(rep)[KindUndeclaredStatus]) == 0 {
		t.Fatalf("a 302 should be an undeclared status: %+v", rep.Findings)
	}
}

// Every format renders a failing report.
func TestFormats(t *testing.T) {
	rep := &Report{Contract: "api.yaml", Target: "http://127.0.0.1:1", Operations: 1, Requests: 2, Checked: []string{"getX"},
		Findings: []Finding{{Operation: "getX", Kind: KindInvalidBody, Severity: SeverityError, Message: "a <b> | c", Method: "GET", Path: "/x", Status: 200,
			Pos: contracts.Position{File: "api.yaml", Line: 3, Col: 5}}}}
	for _, f := range Formats() {
		var b bytes.Buffer
		if err := Write(&b, f, rep); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out := b.String()
		switch f {
		case "json", "sarif":
			var v map[string]any
			if err := json.Unmarshal(b.Bytes(), &v); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
		case "junit":
			if !strings.Contains(out, `failures="1"`) || !strings.Contains(out, `type="invalid-body"`) {
				t.Fatalf("junit:\n%s", out)
			}
		case "markdown":
			if !strings.Contains(out, `a &lt;b&gt; \| c`) {
				t.Fatalf("markdown:\n%s", out)
			}
		case "text":
			if !strings.Contains(out, "api.yaml:3:5: error: GET /x (getX): invalid-body") {
				t.Fatalf("text:\n%s", out)
			}
		}
	}
	if err := Write(io.Discard, "xml", rep); err == nil {
		t.Fatal("unknown format accepted")
	}
}

// A response header whose value breaks its schema (a uuid header that is
// not one) is an invalid-header finding.
func TestFindsInvalidHeader(t *testing.T) {
	doc := load(t, shop)
	rep := run(t, doc, provider(t, doc, rewrite(isGet("/items/"), func(w http.ResponseWriter, rec *httptest.ResponseRecorder) {
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("X-Request-Id", "not-a-uuid")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
	})))
	f := kinds(rep)[KindInvalidHeader]
	if len(f) != 1 || f[0].Operation != "getItem" || !strings.Contains(f[0].Message, "X-Request-Id") {
		t.Fatalf("findings %+v", rep.Findings)
	}
}
