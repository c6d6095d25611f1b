package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"

	"github.com/accord-dev/accord/contracts"
)

const shop = "../testdata/mock/shop.yaml"

func load(t testing.TB, file string) *contracts.Document {
	t.Helper()
	doc, err := contracts.Load(context.Background(), file, contracts.LoadOptions{})
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	return doc
}

func start(t testing.TB, o Options, files ...string) (*Server, *httptest.Server) {
	t.Helper()
	var docs []*contracts.Document
	for _, f := range files {
		docs = append(docs, load(t, f))
	}
	m, err := New(docs, o)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	return m, srv
}

type answer struct {
	status int
	header http.Header
	body   []byte
}

func (a answer) json(t testing.TB) map[string]any {
	t.Helper()
	var v map[string]any
	if err := json.Unmarshal(a.body, &v); err != nil {
		t.Fatalf("body %q: %v", a.body, err)
	}
	return v
}

func do(t testing.TB, method, url, body string, hdr ...string) answer {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("X-Api-Key", "k")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return answer{resp.StatusCode, resp.Header, b}
}

// A stateless GET answers the first named example; Prefer picks another
// example or another declared status.
func TestExamplesAndPrefer(t *testing.T) {
	_, srv := start(t, Options{}, shop)
	u := srv.URL + "/items/itm_abcdefghij"
	if a := do(t, "GET", u, ""); a.status != 200 || a.json(t)["name"] != "gadget" {
		t.Fatalf("default: %d %s", a.status, a.body)
	}
	if a := do(t, "GET", u, "", "Prefer", "example=widget"); a.status != 200 || a.json(t)["name"] != "widget" {
		t.Fatalf("example=widget: %d %s", a.status, a.body)
	}
	a := do(t, "GET", u, "", "Prefer", "code=404")
	if a.status != 404 || a.json(t)["detail"] != "no such item" || a.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("code=404: %d %s %v", a.status, a.body, a.header)
	}
	if a := do(t, "GET", u, "", "Prefer", "code=418"); a.status != 400 || !strings.Contains(string(a.body), "declares no 418") {
		t.Fatalf("undeclared code: %d %s", a.status, a.body)
	}
	if a := do(t, "GET", u, "", "Prefer", "example=nope"); a.status != 400 {
		t.Fatalf("unknown example: %d", a.status)
	}
	// The required response header is synthesised from its schema.
	if a := do(t, "GET", u, ""); !regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(a.header.Get("X-Request-Id")) {
		t.Fatalf("X-Request-Id %q", a.header.Get("X-Request-Id"))
	}
}

// Synthesised answers are valid against the contract (checked by the mock's
// own response validation) and the same for the same seed.
func TestSynthesisIsValidAndDeterministic(t *testing.T) {
	_, a := start(t, Options{Seed: 7, ValidateResponses: true}, shop)
	_, b := start(t, Options{Seed: 7}, shop)
	_, c := start(t, Options{Seed: 8}, shop)
	for _, path := range []string{"/items", "/items/itm_abcdefghij/tags", "/files/readme.json"} {
		x, y, z := do(t, "GET", a.URL+path, ""), do(t, "GET", b.URL+path, ""), do(t, "GET", c.URL+path, "")
		if x.status != 200 {
			t.Fatalf("%s: %d %s", path, x.status, x.body)
		}
		if !bytes.Equal(x.body, y.body) {
			t.Errorf("%s: same seed, different bodies:\n%s\n%s", path, x.body, y.body)
		}
		if path == "/items" && bytes.Equal(x.body, z.body) {
			t.Errorf("%s: seeds 7 and 8 gave the same body %s", path, x.body)
		}
	}
	post := do(t, "POST", a.URL+"/items", `{"name":"lamp","price":12}`)
	if post.status != 201 {
		t.Fatalf("create: %d %s", post.status, post.body)
	}
}

// An invalid request is a 400 problem listing each violation with a JSON
// pointer into the body, or the parameter at fault.
func TestValidationProblem(t *testing.T) {
	m, srv := start(t, Options{}, shop)
	a := do(t, "POST", srv.URL+"/items", `{"price":0,"owner_email":"`+strings.Repeat("x", 3)+`"}`)
	if a.status != 400 || a.header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("%d %s", a.status, a.body)
	}
	var p struct {
		Status int         `json:"status"`
		Errors []Violation `json:"errors"`
	}
	if err := json.Unmarshal(a.body, &p); err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, v := range p.Errors {
		got[v.Pointer] = true
	}
	for _, want := range []string{"#/name", "#/price", "#/owner_email"} {
		if !got[want] {
			t.Errorf("no violation at %s in %s", want, a.body)
		}
	}
	a = do(t, "GET", srv.URL+"/items/not-an-id", "")
	if a.status != 400 || !strings.Contains(string(a.body), `"parameter":"item_id"`) {
		t.Fatalf("bad path parameter: %d %s", a.status, a.body)
	}
	a = do(t, "GET", srv.URL+"/items?limit=1000", "")
	if a.status != 400 || !strings.Contains(string(a.body), `"parameter":"limit"`) {
		t.Fatalf("bad query parameter: %d %s", a.status, a.body)
	}
	if log := m.Requests(); len(log) != 3 || len(log[0].Violations) < 3 {
		t.Fatalf("log %+v", log)
	}
}

// Credentials: a missing API key is 401; a configured one must match.
func TestAuthentication(t *testing.T) {
	_, srv := start(t, Options{Credentials: map[string]string{"apiKey": "secret-key"}}, shop)
	if a := do(t, "GET", srv.URL+"/items", ""); a.status != 401 {
		t.Fatalf("wrong key: %d", a.status)
	}
	if a := do(t, "GET", srv.URL+"/items", "", "X-Api-Key", "secret-key"); a.status != 200 {
		t.Fatalf("right key: %d %s", a.status, a.body)
	}
	// security: [] on the operation turns authentication off.
	req, _ := http.NewRequest("GET", srv.URL+"/files/x.json", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("unsecured operation: %d", resp.StatusCode)
	}
}

// A repeated Idempotency-Key replays the stored answer; another body under
// the same key is refused with 422.
func TestIdempotentReplay(t *testing.T) {
	m, srv := start(t, Options{Stateful: true}, shop)
	first := do(t, "POST", srv.URL+"/items", `{"name":"lamp","price":12}`, "Idempotency-Key", "k1")
	again := do(t, "POST", srv.URL+"/items", `{"name":"lamp","price":12}`, "Idempotency-Key", "k1")
	if first.status != 201 || again.status != 201 || !bytes.Equal(first.body, again.body) {
		t.Fatalf("replay: %d %s / %d %s", first.status, first.body, again.status, again.body)
	}
	if first.header.Get("Idempotent-Replayed") != "" || again.header.Get("Idempotent-Replayed") != "true" {
		t.Fatalf("Idempotent-Replayed: %q then %q", first.header.Get("Idempotent-Replayed"), again.header.Get("Idempotent-Replayed"))
	}
	if other := do(t, "POST", srv.URL+"/items", `{"name":"desk","price":12}`, "Idempotency-Key", "k1"); other.status != 422 {
		t.Fatalf("other body: %d %s", other.status, other.body)
	}
	list := do(t, "GET", srv.URL+"/items", "").json(t)
	if n := len(list["data"].([]any)); n != 1 {
		t.Fatalf("%d items after a replayed create", n)
	}
	if log := m.Requests(); !log[1].Replayed || log[1].IdempotencyKey != "k1" {
		t.Fatalf("log %+v", log[1])
	}
}

// Stateful mode: create, read, update, delete and a paginated list.
func TestStatefulFlow(t *testing.T) {
	_, srv := start(t, Options{Stateful: true, Seed: 1, ValidateResponses: true}, shop)
	var ids []string
	for i := range 5 {
		a := do(t, "POST", srv.URL+"/items", `{"name":"n`+string(rune('a'+i))+`","price":5}`)
		if a.status != 201 {
			t.Fatalf("create: %d %s", a.status, a.body)
		}
		ids = append(ids, a.json(t)["id"].(string))
	}
	if !regexp.MustCompile(`^itm_[a-z0-9]{10}$`).MatchString(ids[0]) {
		t.Fatalf("id %q does not fit the item path's pattern", ids[0])
	}
	got := do(t, "GET", srv.URL+"/items/"+ids[2], "").json(t)
	if got["name"] != "nc" || got["price"] != 5.0 {
		t.Fatalf("get: %v", got)
	}
	if a := do(t, "PATCH", srv.URL+"/items/"+ids[2], `{"price":7}`); a.status != 200 || a.json(t)["price"] != 7.0 || a.json(t)["name"] != "nc" {
		t.Fatalf("patch: %d %s", a.status, a.body)
	}
	if a := do(t, "DELETE", srv.URL+"/items/"+ids[0], ""); a.status != 204 {
		t.Fatalf("delete: %d", a.status)
	}
	if a := do(t, "GET", srv.URL+"/items/"+ids[0], ""); a.status != 404 {
		t.Fatalf("get deleted: %d", a.status)
	}
	page := do(t, "GET", srv.URL+"/items?limit=2", "").json(t)
	data := page["data"].([]any)
	if len(data) != 2 || page["has_more"] != true || data[0].(map[string]any)["id"] != ids[1] {
		t.Fatalf("page 1: %v", page)
	}
	next := do(t, "GET", srv.URL+"/items?limit=2&starting_after="+ids[2], "").json(t)
	data = next["data"].([]any)
	if len(data) != 2 || next["has_more"] != false || data[1].(map[string]any)["id"] != ids[4] {
		t.Fatalf("page 2: %v", next)
	}
}

// Routing: a mixed segment (/files/{name}.json) matches, a known path with
// another method is 405, an unknown path 404.
func TestRouting(t *testing.T) {
	_, srv := start(t, Options{}, shop)
	if a := do(t, "GET", srv.URL+"/files/readme.json", ""); a.status != 200 {
		t.Fatalf("mixed segment: %d %s", a.status, a.body)
	}
	if a := do(t, "GET", srv.URL+"/files/readme.txt", ""); a.status != 404 {
		t.Fatalf("mixed segment mismatch: %d", a.status)
	}
	if a := do(t, "PUT", srv.URL+"/items", "{}"); a.status != 405 || a.header.Get("Allow") == "" {
		t.Fatalf("405: %d %v", a.status, a.header)
	}
	if a := do(t, "GET", srv.URL+"/nowhere", ""); a.status != 404 {
		t.Fatalf("404: %d", a.status)
	}
}

// Paths that differ only in parameter names, and patterns the mux finds
// ambiguous, are served without a panic.
func TestConflictingTemplates(t *testing.T) {
	const contract = `openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /a/{x}/b:
    get: {operationId: one, responses: {"200": {description: ok, content: {application/json: {schema: {const: one}}}}}}
  /{y}/c/b:
    get: {operationId: two, responses: {"200": {description: ok, content: {application/json: {schema: {const: two}}}}}}
  /a/{z}/d:
    get: {operationId: three, responses: {"200": {description: ok, content: {application/json: {schema: {const: three}}}}}}
  /a/{w}/d/:
    get: {operationId: four, responses: {"200": {description: ok, content: {application/json: {schema: {const: four}}}}}}
  /t/{a}:
    get: {operationId: five, responses: {"200": {description: ok, content: {application/json: {schema: {const: five}}}}}}
  /t/{b}:
    get: {operationId: six, responses: {"200": {description: ok, content: {application/json: {schema: {const: six}}}}}}
    put: {operationId: seven, responses: {"200": {description: ok, content: {application/json: {schema: {const: seven}}}}}}
`
	doc, err := contracts.LoadBytes(context.Background(), "t.yaml", []byte(contract), contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := New([]*contracts.Document{doc}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m)
	defer srv.Close()
	if a := do(t, "PUT", srv.URL+"/t/1", ""); a.status != 200 || string(a.body) != `"seven"` {
		t.Errorf("PUT /t/1: %d %s", a.status, a.body)
	}
	for path, want := range map[string]string{"/a/1/b": `"one"`, "/q/c/b": `"two"`, "/a/c/b": "", "/a/1/d": `"three"`, "/a/1/d/": `"four"`, "/t/1": `"five"`} {
		a := do(t, "GET", srv.URL+path, "")
		if want != "" && (a.status != 200 || string(a.body) != want) {
			t.Errorf("%s: %d %s, want %s", path, a.status, a.body, want)
		}
	}
}

// A 3.1 document is validated with JSON Schema 2020-12, formats included;
// several violations, which kin-openapi reports as one error, are listed one
// by one with their pointers.
func TestValidation31ListsEachViolation(t *testing.T) {
	const contract = `openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /x:
    post:
      operationId: x
      requestBody: {required: true, content: {application/json: {schema: {type: object, properties: {e: {type: string, format: email}, d: {type: string, format: date-time}, u: {type: string, format: uuid}}}}}}
      responses: {"204": {description: ok}}
`
	doc, err := contracts.LoadBytes(context.Background(), "t.yaml", []byte(contract), contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := New([]*contracts.Document{doc}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(m)
	defer srv.Close()
	a := do(t, "POST", srv.URL+"/x", `{"e":"nope","d":"yesterday","u":"zzz"}`)
	var p struct {
		Errors []Violation `json:"errors"`
	}
	if err := json.Unmarshal(a.body, &p); err != nil || a.status != 400 {
		t.Fatalf("%d %s", a.status, a.body)
	}
	at := map[string]bool{}
	for _, v := range p.Errors {
		at[v.Pointer] = true
	}
	if len(p.Errors) != 3 || !at["#/e"] || !at["#/d"] || !at["#/u"] {
		t.Fatalf("violations %+v", p.Errors)
	}
	if a := do(t, "POST", srv.URL+"/x", `{"e":"a@example.com","d":"2026-01-01T00:00:00Z","u":"0925e43d-90b4-4848-917b-c1b3ee4b9ef2"}`); a.status != 204 {
		t.Fatalf("valid body: %d %s", a.status, a.body)
	}
}
