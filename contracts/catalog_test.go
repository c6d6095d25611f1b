package contracts

import (
	"context"
	"strings"
	"testing"
)

// TestCatalogProblems: the fixture's Customer is a complete entity; its
// Invoice lacks an id, metadata and an updated timestamp, writes created_at
// without a format and its money as floats (also inside its lines); an
// inline request body prices in floats too. A rate is not money.
func TestCatalogProblems(t *testing.T) {
	doc, err := Load(context.Background(), "../testdata/contracts/catalog/openapi.yaml", LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range CatalogProblems(doc) {
		got = append(got, p.Code+"@"+strings.TrimPrefix(p.Pos.String(), "../testdata/contracts/catalog/openapi.yaml:"))
		if p.Hint == "" {
			t.Errorf("%s has no fix", p.Code)
		}
	}
	want := []string{
		"catalog-float-money@35:17",                                                                                    // createQuote's unit_price
		"catalog-no-id@50:5", "catalog-no-metadata@50:5", "catalog-no-timestamp@50:5", "catalog-timestamp-format@50:5", // Invoice
		"catalog-float-money@55:9",  // Invoice.total
		"catalog-float-money@62:15", // Invoice.lines[].amount
	}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("got  %s\nwant %s", strings.Join(got, " "), strings.Join(want, " "))
	}
}
