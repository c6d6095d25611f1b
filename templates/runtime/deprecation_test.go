package runtime

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// TestDeprecationHeadersAndClientReport: a deprecated operation's server
// answers every response, errors included, with RFC 9745 Deprecation and
// RFC 8594 Sunset; a client hears of it once per operation, from the
// contract or from the headers of a server that says more than its
// contract.
func TestDeprecationHeadersAndClientReport(t *testing.T) {
	since := time.Date(2026, 6, 1, 0, 0, 0, 0, time.UTC)
	sunset := time.Date(2027, 3, 31, 0, 0, 0, 0, time.UTC)
	op := Operation{ID: "listOld", Method: http.MethodGet, Pattern: "/old",
		Policy: Policy{Retries: 0}, Deprecation: &Deprecation{Since: since, Sunset: sunset}}
	fail := false
	srv := httptest.NewServer(Chain(op, &ServerSettings{}, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if fail {
			WriteProblem(w, r, ProblemDetails{Status: http.StatusServiceUnavailable})
			return
		}
		w.WriteHeader(http.StatusOK)
	})))
	defer srv.Close()

	var reports []DeprecationInfo
	e := NewEngine(WithHooks(Hooks{OnDeprecated: func(d DeprecationInfo) { reports = append(reports, d) }}))
	for i := range 3 {
		fail = i == 2
		resp, err := e.Do(context.Background(), op, getReq(srv.URL))
		if i < 2 && err != nil {
			t.Fatal(err)
		}
		if resp == nil {
			t.Fatalf("call %d: no response (%v)", i, err)
		}
		h := resp.Header
		resp.Body.Close()
		if got, want := h.Get("Deprecation"), "@1780272000"; got != want {
			t.Errorf("call %d: Deprecation %q, want %q", i, got, want)
		}
		if got, want := h.Get("Sunset"), "Wed, 31 Mar 2027 00:00:00 GMT"; got != want {
			t.Errorf("call %d: Sunset %q, want %q", i, got, want)
		}
	}
	if len(reports) != 1 || reports[0].Operation != "listOld" || reports[0].Declared == nil || reports[0].Sunset == "" {
		t.Fatalf("reports %+v, want one for listOld with the contract's and the server's word", reports)
	}

	// A contract without the deprecation, a server that sends the header:
	// still reported, once; an operation nobody deprecates: never.
	plain := Operation{ID: "listNew", Method: http.MethodGet, Pattern: "/new"}
	hdr := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/new" {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		rtDeprecationHeaders(w.Header(), &Deprecation{})
		w.WriteHeader(http.StatusNoContent)
	}))
	defer hdr.Close()
	undeclared := Operation{ID: "listUndeclared", Method: http.MethodGet, Pattern: "/undeclared"}
	for range 2 {
		for _, c := range []struct {
			op   Operation
			path string
		}{{undeclared, "/undeclared"}, {plain, "/new"}} {
			resp, err := e.Do(context.Background(), c.op, getReq(hdr.URL+c.path))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
		}
	}
	if len(reports) != 2 || reports[1].Operation != "listUndeclared" || reports[1].Deprecation != "@0" || reports[1].Declared != nil {
		t.Fatalf("reports %+v", reports)
	}
}
