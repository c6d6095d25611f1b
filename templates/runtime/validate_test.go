package runtime

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// Violations' pointers are found from the value's place in the body and
// escaped as RFC 6901 says.
func TestValidatePointerEscapes(t *testing.T) {
	var d JSONDoc
	x, _ := rtParseJSON(&d, []byte(`{"a/b":[0,1,2,{"c~d":true}],"":1}`))
	var v Violations
	arr := x.Member("a/b")
	it := arr.Items()
	for it.Next() {
	}
	v.Add(it.Value().Member("c~d"), "x")
	v.AddMember(it.Value(), "e/f", "x")
	v.Add(x.Member(""), "x")
	v.Add(x, "x")
	v.Fail("x")
	var got []string
	for _, e := range v.list {
		got = append(got, e.Pointer)
	}
	if strings.Join(got, " ") != "/a~1b/3/c~0d /a~1b/3/e~1f /  " {
		t.Fatalf("pointers %q", got)
	}
}

func TestValidateFormats(t *testing.T) {
	for _, c := range []struct {
		format, s string
		ok        bool
	}{
		{"date-time", "2024-01-02T03:04:05.5+01:00", true}, {"date-time", "2024-01-02 03:04:05", false},
		{"date-time", "2024-01-02T03:04:05Z", true}, {"date-time", "2024-01-02T03:04:05", false},
		{"date-time", "2024-02-30T03:04:05Z", false}, {"date-time", "2024-01-02T24:00:00Z", false},
		{"date-time", "2024-01-02T03:04:05.Z", false}, {"date-time", "2024-01-02T03:04:05+1:00", false},
		{"date-time", "2024-01-02T03:04:05.123456789123-00:30", true}, {"date-time", "2024-01-02T03:04:60Z", false},
		{"date", "2024-02-29", true}, {"date", "2023-02-29", false}, {"date", "2023-13-01", false},
		{"date", "2023-00-10", false}, {"date", "2023-04-31", false}, {"date", "2023-4-30", false},
		{"uuid", "123e4567-e89b-12d3-a456-426614174000", true}, {"uuid", "123e4567e89b12d3a456426614174000", false},
		{"email", "a@example.com", true}, {"email", "A <a@example.com>", false},
		{"uri", "urn:isbn:1", true}, {"uri", "/relative", false},
		{"ipv4", "192.0.2.1", true}, {"ipv4", "::1", false},
		{"ipv6", "::1", true}, {"ipv6", "fe80::1%eth0", false},
		{"byte", "aGk=", true}, {"byte", "aGk", false},
		{"unknown", "anything", true},
	} {
		if got := FormatValid(c.format, []byte(c.s)); got != c.ok {
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
		v.Fail("x")
	}
	if len(v.list) != rtMaxViolations || !v.truncated || !v.Full() {
		t.Fatalf("%d violations, truncated %v", len(v.list), v.truncated)
	}
	fails := func(x JSON, v *Violations) {
		if !x.StringIs("ok") {
			v.Add(x, "no")
			v.Add(x, "no")
		}
	}
	var w Violations
	w.Fail("kept")
	ok, _ := ParamValue(&w, "", "ok")
	if !Matches(fails, ok, &w) {
		t.Fatal(`"ok" does not match`)
	}
	one, _ := ParamValue(&w, "integer", "1")
	if Matches(fails, one, &w) || len(w.list) != 1 || w.count || w.n != 0 {
		t.Fatalf("Matches: %+v", w)
	}
}

func TestValidateParams(t *testing.T) {
	var v Violations
	if x, ok := ParamValue(&v, "integer", "12"); !ok || x.Kind() != JSONNumber || x.Num() != 12 {
		t.Fatal("integer")
	}
	if _, ok := ParamValue(&v, "integer", "1.5"); ok {
		t.Fatal("1.5 as integer")
	}
	if _, ok := ParamValue(&v, "number", "NaN"); ok {
		t.Fatal("NaN as number")
	}
	if _, ok := ParamValue(&v, "boolean", "yes"); ok {
		t.Fatal("yes as boolean")
	}
	if x, ok := ParamValue(&v, "boolean", "false"); !ok || x.Kind() != JSONBool || x.Bool() {
		t.Fatal("false")
	}
	if x, ok := ParamItems(&v, []string{"a|b"}, "|", "", "must be a string"); !ok || !x.Equal([]any{"a", "b"}) {
		t.Fatalf("pipe: %v", x.Any())
	}
	if x, ok := ParamItems(&v, []string{"1", "2"}, "", "integer", "must be an integer"); !ok || !x.Equal([]any{1.0, 2.0}) {
		t.Fatalf("exploded: %v", x.Any())
	}
	if x, ok := ParamItems(&v, []string{""}, ",", "integer", "must be an integer"); !ok || x.Len() != 0 {
		t.Fatalf("empty: %v", x.Any())
	}
	if !v.ok() {
		t.Fatalf("violations from good values: %v", v.list)
	}
	if _, ok := ParamItems(&v, []string{"1,x,3,y"}, ",", "integer", "must be an integer"); ok || len(v.list) != 2 || v.list[1].Pointer != "/3" {
		t.Fatalf("bad items: %v", v.list)
	}
}

// QueryValues and CookieValues read what url.ParseQuery and
// http.Request.Cookie read, without their maps and structs.
func TestValidateParamSources(t *testing.T) {
	for _, q := range []string{"a=1&b=2&a=3", "a", "a=", "a=%zz&a=2", "a=1;b&a=2", "%61=x+y&b", "a=%2B&&a==", "", "b=1"} {
		want := url.Values{}
		if parsed, err := url.ParseQuery(q); err == nil || parsed != nil {
			want = parsed
		}
		var buf [1]string
		got := QueryValues(&Violations{}, q, "a", buf[:0])
		if strings.Join(got, "|") != strings.Join(want["a"], "|") || len(got) != len(want["a"]) {
			t.Errorf("query %q: %q, url.ParseQuery %q", q, got, want["a"])
		}
	}
	for _, c := range []string{"s=1", "t=2; s=3", `s="4"`, "s=a b; s=5", "s=x\\y; s=6", "x=1", "s=", "s"} {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Cookie", c)
		var want []string
		if ck, err := r.Cookie("s"); err == nil {
			want = []string{ck.Value}
		}
		if got := CookieValues(r, "s", nil); strings.Join(got, "|") != strings.Join(want, "|") || len(got) != len(want) {
			t.Errorf("cookie %q: %q, net/http %q", c, got, want)
		}
	}
	r := httptest.NewRequest("GET", "/", nil)
	r.SetPathValue("id", "7")
	if got := PathValues(r, "id", nil); len(got) != 1 || got[0] != "7" || PathValues(r, "none", nil) != nil {
		t.Fatalf("path: %q", got)
	}
}

func TestValidateStepAnswersProblem(t *testing.T) {
	rv := &RequestValidator{Status: 422, BodyRequired: true, Body: func(x JSON, v *Violations) {
		if x.Member("a").Kind() == 0 {
			v.AddMember(x, "a", "is required")
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
	h.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader(`{"b":{"a":1,"c":[{"d":1,"d":2}]},"a":1}`)))
	if w.Code != 422 || handled || !strings.Contains(w.Body.String(), `"pointer":"/b/c/0","detail":"has the member \"d\" twice"`) {
		t.Fatalf("duplicate member: %d %s", w.Code, w.Body)
	}
	w = httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("POST", "/", strings.NewReader(`{"a":1}`)))
	if !handled {
		t.Fatalf("valid request not handled: %d %s", w.Code, w.Body)
	}
}
