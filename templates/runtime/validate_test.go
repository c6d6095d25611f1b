package runtime

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestValidatePointerEscapes(t *testing.T) {
	root := &JSONPointer{Key: "a/b"}
	p := &JSONPointer{Up: &JSONPointer{Up: root, Index: 3, Array: true}, Key: "c~d"}
	if got := p.String(); got != "/a~1b/3/c~0d" {
		t.Fatalf("pointer %q", got)
	}
	if got := (&JSONPointer{Key: ""}).String(); got != "/" {
		t.Fatalf("empty key: %q", got)
	}
	if got := (*JSONPointer)(nil).String(); got != "" {
		t.Fatalf("root: %q", got)
	}
}

func TestValidateFormats(t *testing.T) {
	for _, c := range []struct {
		format, s string
		ok        bool
	}{
		{"date-time", "2024-01-02T03:04:05.5+01:00", true}, {"date-time", "2024-01-02 03:04:05", false},
		{"date", "2024-02-29", true}, {"date", "2023-02-29", false},
		{"uuid", "123e4567-e89b-12d3-a456-426614174000", true}, {"uuid", "123e4567e89b12d3a456426614174000", false},
		{"email", "a@example.com", true}, {"email", "A <a@example.com>", false},
		{"uri", "urn:isbn:1", true}, {"uri", "/relative", false},
		{"ipv4", "192.0.2.1", true}, {"ipv4", "::1", false},
		{"ipv6", "::1", true}, {"ipv6", "fe80::1%eth0", false},
		{"byte", "aGk=", true}, {"byte", "aGk", false},
		{"unknown", "anything", true},
	} {
		if got := FormatValid(c.format, c.s); got != c.ok {
			t.Errorf("%s %q: %v, want %v", c.format, c.s, got, c.ok)
		}
	}
}

func TestValidateNumbers(t *testing.T) {
	if !MultipleOf(0.3, 0.1) || MultipleOf(0.35, 0.1) || !MultipleOf(-4, 2) || MultipleOf(1e308, 1e-308) {
		t.Fatal("multipleOf")
	}
	if IsInteger(1.5) || !IsInteger(-3) {
		t.Fatal("integer")
	}
}

func TestValidateCapsAndCounts(t *testing.T) {
	var v Violations
	for range 70 {
		v.Add(nil, "x")
	}
	if len(v.list) != rtMaxViolations || !v.truncated || !v.Full() {
		t.Fatalf("%d violations, truncated %v", len(v.list), v.truncated)
	}
	fails := func(x any, p *JSONPointer, v *Violations) {
		if x != "ok" {
			v.Add(p, "no")
			v.Add(p, "no")
		}
	}
	var w Violations
	w.Add(nil, "kept")
	if !Matches(fails, "ok", &w) || Matches(fails, 1, &w) || len(w.list) != 1 || w.count || w.n != 0 {
		t.Fatalf("Matches: %+v", w)
	}
}

func TestValidateParams(t *testing.T) {
	if x, ok := ParamValue("integer", "12"); !ok || x != 12.0 {
		t.Fatal("integer")
	}
	if _, ok := ParamValue("integer", "1.5"); ok {
		t.Fatal("1.5 as integer")
	}
	if _, ok := ParamValue("number", "NaN"); ok {
		t.Fatal("NaN as number")
	}
	if _, ok := ParamValue("boolean", "yes"); ok {
		t.Fatal("yes as boolean")
	}
	if got := ParamArray([]string{"a|b"}, "|"); strings.Join(got, ",") != "a,b" {
		t.Fatalf("pipe: %q", got)
	}
	if got := ParamArray([]string{"a", "b"}, ""); len(got) != 2 {
		t.Fatalf("exploded: %q", got)
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.Header.Set("Cookie", "s=1")
	if got := CookieValues(r, "s"); len(got) != 1 || got[0] != "1" || CookieValues(r, "t") != nil {
		t.Fatalf("cookie: %q", got)
	}
}

func TestValidateStepAnswersProblem(t *testing.T) {
	rv := &RequestValidator{Status: 422, BodyRequired: true, Body: func(x any, v *Violations) {
		if m, ok := x.(map[string]any); !ok || m["a"] == nil {
			v.Add(&JSONPointer{Key: "a"}, "is required")
		}
	}}
	var handled bool
	h := Chain(Operation{ID: "op"}, &ServerSettings{Validators: func(string) *RequestValidator { return rv }},
		http.HandlerFunc(func(http.ResponseWriter, *http.Request) { handled = true }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader(`{"b":1}`)))
	if w.Code != 422 || handled || !strings.Contains(w.Body.String(), `"errors":[{"in":"body","pointer":"/a","detail":"is required"}]`) {
		t.Fatalf("%d %s (handled %v)", w.Code, w.Body, handled)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader(`{"a":`)))
	if w.Code != 400 || handled {
		t.Fatalf("malformed JSON: %d, want 400 even where the contract says 422", w.Code)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader(`{"a":1}`)))
	if !handled {
		t.Fatalf("valid request not handled: %d %s", w.Code, w.Body)
	}
}
