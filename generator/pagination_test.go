package generator

import (
	"os"
	"path/filepath"
	"testing"
)

// TestPaginationConventions: each convention is recognised on its own
// shape, and a list without one gets no iterator.
func TestPaginationConventions(t *testing.T) {
	res := genCase(t, filepath.Join(casesDir, "pagination"))
	got := map[string]Paged{}
	for _, p := range res.Model.Pagination {
		got[p.ID] = p
	}
	for id, want := range map[string]struct{ style, param, items string }{
		"listOrders": {"offset", "Offset", "(*page)"},
		"listEvents": {"page", "Page", "page.Items"},
		"listTokens": {"cursor", "PageToken", "page.Tokens"},
		"listRepos":  {"link", "", "(*page)"},
	} {
		p, ok := got[id]
		if !ok {
			t.Errorf("%s: no iterator", id)
			continue
		}
		if p.Style != want.style || p.Param != want.param || p.Items != want.items {
			t.Errorf("%s: %s over %s by %s, want %s over %s by %s", id, p.Style, p.Items, p.Param, want.style, want.items, want.param)
		}
	}
	if got["listOrders"].Limit != "Limit" {
		t.Error("listOrders: the page size is not used to stop early")
	}
	if _, ok := got["listUnpaged"]; ok {
		t.Error("a list without a convention got an iterator")
	}
}

// iteratorTestSource runs the generated link and offset iterators of the
// pagination case against a loopback server.
const iteratorTestSource = `package api

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

func TestIterators(t *testing.T) {
	var evil string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/repos":
			page, _ := strconv.Atoi(r.URL.Query().Get("page"))
			switch page {
			case 0:
				w.Header().Set("Link", "</repos?page=1>; rel=\"next\", </repos?page=2>; rel=\"last\"")
				json.NewEncoder(w).Encode([]string{"a", "b"})
			case 1:
				w.Header().Set("Link", "<" + evil + "/repos?page=2>; rel=\"next\"")
				json.NewEncoder(w).Encode([]string{"c"})
			}
		case "/orders":
			off, _ := strconv.Atoi(r.URL.Query().Get("offset"))
			var page []map[string]string
			for i := off; i < min(off+2, 5); i++ {
				page = append(page, map[string]string{"id": "o" + strconv.Itoa(i)})
			}
			json.NewEncoder(w).Encode(page)
		}
	}))
	defer srv.Close()
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the iterator followed a Link to another origin")
	}))
	defer other.Close()
	evil = other.URL
	c, err := NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	var refused error
	for it, err := range c.ListReposAll(context.Background()) {
		if err != nil {
			refused = err
			continue
		}
		got = append(got, it)
	}
	if strings.Join(got, ",") != "a,b,c" || refused == nil || !strings.Contains(refused.Error(), "another origin") {
		t.Fatalf("link pages: %v, then %v", got, refused)
	}
	limit := 2
	got = nil
	for o, err := range c.ListOrdersAll(context.Background(), &ListOrdersParams{Limit: &limit}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, o.Id)
	}
	if strings.Join(got, ",") != "o0,o1,o2,o3,o4" {
		t.Fatalf("offset pages: %v", got)
	}
}
`

// TestIteratorsExercised builds the pagination case's client in a module
// of its own and runs its link and offset iterators over loopback.
func TestIteratorsExercised(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs generated code")
	}
	mod := t.TempDir()
	writeTestModule(t, mod)
	writeGenerated(t, mod, "api", genCase(t, filepath.Join(casesDir, "pagination")), nil)
	if err := os.WriteFile(filepath.Join(mod, "api", "iter_test.go"), []byte(iteratorTestSource), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := goCmd(t, mod, "test", "./api/"); err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
}
