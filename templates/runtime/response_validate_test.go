package runtime

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// positiveN is a hand-written schema method: an object whose n, when
// present, is a number >= 1.
func positiveN(x JSON, v *Violations) {
	if x.Kind() != JSONObject {
		v.Add(x, "must be an object")
		return
	}
	if n := x.Member("n"); n.Kind() == JSONNumber && n.Num() < 1 {
		v.Add(n, "must be >= 1")
	}
}

func testResponses() *ResponseValidator {
	return &ResponseValidator{Operation: "op", Responses: []ResponseCheck{
		{Status: "200", Body: positiveN, Media: "application/json"},
		{Status: "204"},
		{Status: "4XX", Body: positiveN, Media: "application/json"},
	}}
}

func TestResponseValidatorValidate(t *testing.T) {
	rv := testResponses()
	for _, tc := range []struct {
		status int
		ct     string
		body   string
		want   string // the violations joined, "" for none
	}{
		{200, "application/json", `{"n": 2}`, ""},
		{200, "application/json", `{"n": 0}`, "/n: must be >= 1"},
		{200, "application/json", ``, ": a response body is required (application/json)"},
		{200, "application/json", `{"n":`, ": is not valid JSON"},
		{200, "application/json", `{"n": 1, "n": 0}`, `: has the member "n" twice`},
		{200, "text/plain", `anything`, ""},
		{204, "", ``, ""},
		{404, "application/json; charset=utf-8", `{"n": -1}`, "/n: must be >= 1"},
		// The server's own problem at a status the operation's
		// contract does not name for problems passes.
		{404, "application/problem+json", `{"title": "Not Found"}`, ""},
		{500, "application/problem+json", `{"title": "x"}`, ""},
		{500, "application/json", `{}`, "the status 500 is not declared for op"},
	} {
		got := rtViolationsText(rv.Validate(tc.status, tc.ct, []byte(tc.body)))
		if got != tc.want {
			t.Errorf("%d %s %q: %q, want %q", tc.status, tc.ct, tc.body, got, tc.want)
		}
	}
	def := &ResponseValidator{Operation: "op", Responses: []ResponseCheck{{Status: "default", Body: positiveN, Media: "application/json"}, {Status: "2XX"}}}
	if got := def.lookup(201); got == nil || got.Status != "2XX" {
		t.Errorf("201: %+v, want the 2XX range before default", got)
	}
	if got := def.lookup(503); got == nil || got.Status != "default" {
		t.Errorf("503: %+v, want default", got)
	}
}

// The server step over loopback: an answer breaking the contract becomes a
// 500 problem through the hook, a valid one passes with its headers, and
// one without a body to check is written through as it comes (flushed).
func TestResponseStep(t *testing.T) {
	var answer func(w http.ResponseWriter)
	var hooked error
	h := Chain(Operation{ID: "op", Method: http.MethodGet, Pattern: "/"}, &ServerSettings{
		ResponseValidators: func(string) *ResponseValidator { return testResponses() },
		OnInvalid:          func(_ *http.Request, err error, _ *ProblemDetails) { hooked = err },
	}, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { answer(w) }))
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func() (*http.Response, string) {
		t.Helper()
		resp, err := http.Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp, string(b)
	}

	answer = func(w http.ResponseWriter) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Handler", "yes")
		w.WriteHeader(200)
		_, _ = io.WriteString(w, `{"n": 0}`)
	}
	resp, body := get()
	var ri *ResponseInvalidError
	if resp.StatusCode != 500 || resp.Header.Get("X-Handler") != "" || !strings.Contains(body, `"pointer":"/n"`) || !errors.As(hooked, &ri) || ri.StatusCode != 200 {
		t.Fatalf("invalid answer: %d %v %s (hook %v)", resp.StatusCode, resp.Header, body, hooked)
	}

	answer = func(w http.ResponseWriter) {
		w.Header().Set("X-Handler", "yes")
		_, _ = io.WriteString(w, `{"n": 3}`)
	}
	if resp, body := get(); resp.StatusCode != 200 || resp.Header.Get("X-Handler") != "yes" || body != `{"n": 3}` || resp.Header.Get("Trace-Id") == "" {
		t.Fatalf("valid answer: %d %v %s", resp.StatusCode, resp.Header, body)
	}

	answer = func(w http.ResponseWriter) {
		w.WriteHeader(204)
		w.(http.Flusher).Flush()
	}
	if resp, _ := get(); resp.StatusCode != 204 {
		t.Fatalf("204: %d", resp.StatusCode)
	}
}

func TestEngineCheckRequestBody(t *testing.T) {
	e := NewEngine()
	if err := e.CheckRequestBody("op", []byte(`{"n": 1}`), positiveN); err != nil {
		t.Fatal(err)
	}
	err := e.CheckRequestBody("op", []byte(`{"n": 0}`), positiveN)
	var ri *RequestInvalidError
	if !errors.As(err, &ri) || len(ri.Violations) != 1 || ri.Violations[0].Pointer != "/n" {
		t.Fatalf("%v, want the /n violation", err)
	}
	off := NewEngine(WithoutClientRequestValidation())
	if err := off.CheckRequestBody("op", []byte(`{"n": 0}`), positiveN); err != nil {
		t.Fatalf("turned off: %v", err)
	}
}

// BenchmarkCheckRequestBody is the client's pre-check of a small valid body
// (the cost WithoutClientRequestValidation saves).
func BenchmarkCheckRequestBody(b *testing.B) {
	e := NewEngine()
	body := []byte(`{"sku": "ABC-1", "quantity": 3, "status": "open", "lines": [{"sku": "ABC-1"}], "n": 4}`)
	b.ReportAllocs()
	for b.Loop() {
		_ = e.CheckRequestBody("op", body, positiveN)
	}
}
