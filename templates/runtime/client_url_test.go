package runtime

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/url"
	"testing"
)

// oapiStyleRequest builds the request the way oapi-codegen's builders do:
// parse the server, resolve "./path" against it, parse the joined string.
func oapiStyleRequest(t *testing.T, server, path string, body io.Reader) *http.Request {
	t.Helper()
	su, err := url.Parse(server)
	if err != nil {
		t.Fatal(err)
	}
	q, err := su.Parse("." + path)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, q.String(), body)
	if err != nil {
		t.Fatal(err)
	}
	return req
}

func TestBaseURLNewRequestMatchesOapiBuilder(t *testing.T) {
	bases := []string{
		"http://127.0.0.1:8080", "http://127.0.0.1:8080/", "https://api.example.com/v1", "https://api.example.com/v1/",
		"https://user:pw@api.example.com:443/a%2Fb/c", "http://[::1]:9000/base/../v2", "https://api.example.com:/x",
	}
	paths := []string{"/payments/pay_1", "/payments/" + url.PathEscape("a/b c%?#"), "/", "/items/" + url.PathEscape("ü€") + "/x", "/a,b;c=d"}
	for _, raw := range bases {
		server := raw
		if server[len(server)-1] != '/' {
			server += "/"
		}
		b, err := ParseBaseURL(server)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		for _, p := range paths {
			want := oapiStyleRequest(t, server, p, nil)
			got, err := b.NewRequest(context.Background(), http.MethodPost, p, nil, "")
			if err != nil {
				t.Fatalf("%s %s: %v", raw, p, err)
			}
			if got.URL.String() != want.URL.String() || got.URL.RequestURI() != want.URL.RequestURI() || got.Host != want.Host ||
				got.URL.Path != want.URL.Path || got.URL.User.String() != want.URL.User.String() {
				t.Errorf("%s + %s:\n got %s (path %q, host %q)\nwant %s (path %q, host %q)", raw, p,
					got.URL, got.URL.Path, got.Host, want.URL, want.URL.Path, want.Host)
			}
		}
	}
}

func TestBaseURLNewRequestBody(t *testing.T) {
	b, err := ParseBaseURL("http://127.0.0.1:1/v1/")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.WithValue(context.Background(), rtTraceKey{}, "x")
	req, err := b.NewRequest(ctx, http.MethodPut, "/x", bytes.NewReader([]byte(`{"a":1}`)), "application/json")
	if err != nil {
		t.Fatal(err)
	}
	if req.Context() != ctx || req.ContentLength != 7 || req.GetBody == nil || req.Header.Get("Content-Type") != "application/json" || req.Method != http.MethodPut {
		t.Fatalf("request: ctx %v, length %d, GetBody %v, header %v", req.Context() == ctx, req.ContentLength, req.GetBody != nil, req.Header)
	}
	if _, err := b.NewRequest(ctx, http.MethodGet, "/bad%zz", nil, ""); err == nil {
		t.Fatal("an invalid escape was accepted")
	}
	for _, bad := range []string{"ftp://h/", "http:///x", "http://h/?q=1", "http://h/#f", "mailto:x@y"} {
		if _, err := ParseBaseURL(bad); err == nil {
			t.Errorf("ParseBaseURL(%q) accepted", bad)
		}
	}
}

// The request the prepare step finishes must keep its two runtime headers
// apart although they share one backing array.
func TestPrepareHeadersIndependent(t *testing.T) {
	h := http.Header{}
	vv := []string{"tp", "ua"}
	h["Traceparent"], h["User-Agent"] = vv[0:1:1], vv[1:2:2]
	h.Add("Traceparent", "more")
	if got := h.Values("User-Agent"); len(got) != 1 || got[0] != "ua" {
		t.Fatalf("User-Agent became %q", got)
	}
}
