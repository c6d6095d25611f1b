package generator

import (
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
