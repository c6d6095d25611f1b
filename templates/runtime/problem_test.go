package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestProblemJSONRoundTrip(t *testing.T) {
	p := ProblemDetails{
		Type: "https://example.com/probs/out-of-credit", Title: "Out of credit", Status: 403,
		Detail: "Balance is 30, cost is 50", Instance: "/account/12345", TraceID: "t1",
		Extensions: map[string]any{"balance": 30.0, "accounts": []any{"/a/1"}, "title": "shadow"},
	}
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	if m["title"] != "Out of credit" || m["balance"] != 30.0 || m["status"] != 403.0 || m["traceId"] != "t1" {
		t.Fatalf("flattened JSON wrong: %s", b)
	}
	var back ProblemDetails
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Title != p.Title || back.Status != 403 || back.Detail != p.Detail || back.Extensions["balance"] != 30.0 {
		t.Fatalf("round trip: %+v", back)
	}
	if _, ok := back.Extensions["title"]; ok {
		t.Fatal("standard member leaked into extensions")
	}
}

func TestProblemUnmarshalToleratesWrongTypes(t *testing.T) {
	var p ProblemDetails
	if err := json.Unmarshal([]byte(`{"status":"bad","title":"T","x":1}`), &p); err != nil {
		t.Fatal(err)
	}
	if p.Status != 0 || p.Title != "T" || p.Extensions["x"] != 1.0 {
		t.Fatalf("%+v", p)
	}
}

func TestParseProblem(t *testing.T) {
	body := []byte(`{"title":"Nope","detail":"card declined","status":402}`)
	if p := rtParseProblem("application/problem+json; charset=utf-8", body); p == nil || p.Detail != "card declined" {
		t.Fatalf("problem+json not parsed: %+v", p)
	}
	if p := rtParseProblem("application/json", body); p == nil || p.Title != "Nope" {
		t.Fatalf("json with problem fields not parsed: %+v", p)
	}
	if p := rtParseProblem("application/json", []byte(`{"id":1}`)); p != nil {
		t.Fatalf("plain JSON taken as problem: %+v", p)
	}
	if p := rtParseProblem("text/plain", body); p != nil {
		t.Fatal("text/plain parsed")
	}
	if p := rtParseProblem("application/problem+json", []byte("not json")); p != nil {
		t.Fatal("garbage parsed")
	}
}

func TestWriteProblem(t *testing.T) {
	r := httptest.NewRequest("GET", "/", nil)
	r = r.WithContext(ContextWithTraceID(context.Background(), "4bf92f3577b34da6a3ce929d0e0e4736"))
	w := httptest.NewRecorder()
	WriteProblem(w, r, ProblemDetails{Status: 409, Detail: "busy"})
	if w.Code != 409 || w.Header().Get("Content-Type") != "application/problem+json" {
		t.Fatalf("code %d ct %q", w.Code, w.Header().Get("Content-Type"))
	}
	var p ProblemDetails
	if err := json.Unmarshal(w.Body.Bytes(), &p); err != nil {
		t.Fatal(err)
	}
	if p.Title != "Conflict" || p.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" || p.Status != 409 {
		t.Fatalf("%+v", p)
	}
	w = httptest.NewRecorder()
	WriteProblem(w, nil, ProblemDetails{Extensions: map[string]any{"bad": func() {}}})
	if w.Code != 500 || !strings.Contains(w.Body.String(), `"title":"Internal Server Error"`) {
		t.Fatalf("unmarshalable extension: %d %s", w.Code, w.Body)
	}
}

func TestErrorMessages(t *testing.T) {
	re := &ResponseError{Operation: "createPayment", StatusCode: 503, Attempts: 3, TraceID: "4bf9",
		Problem: &ProblemDetails{Title: "Unavailable", Detail: "maintenance"}}
	want := "createPayment: 503 Service Unavailable after 3 attempts: Unavailable: maintenance (trace 4bf9)"
	if re.Error() != want {
		t.Fatalf("got %q\nwant %q", re.Error(), want)
	}
	ce := &CallError{Operation: "getPayment", Attempts: 1, TraceID: "ab", Err: ErrBudgetExhausted}
	if !errors.Is(ce, ErrBudgetExhausted) || ce.Error() != "getPayment: accord: call budget exhausted after 1 attempt (trace ab)" {
		t.Fatalf("%q", ce.Error())
	}
	_ = http.StatusOK
}
