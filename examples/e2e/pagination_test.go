package e2e

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/examples/crm/crmapi"
)

func seededCatalog(n int) *catalog {
	c := &catalog{}
	for i := range n {
		c.customers = append(c.customers, crmapi.Customer{Id: fmt.Sprintf("cus_%03d", i), Name: fmt.Sprintf("Customer %d", i),
			Email: "c@example.com", CreatedAt: time.Unix(0, 0).UTC(), UpdatedAt: time.Unix(0, 0).UTC()})
	}
	return c
}

// TestIteratorWalksEveryPage: ListCustomersAll follows next_cursor over
// the generated server, one call per page, and yields every customer once,
// in order; breaking out of the loop sends no further request.
func TestIteratorWalksEveryPage(t *testing.T) {
	t.Parallel()
	var pages atomic.Int64
	counted := crmapi.WithServerHooks(crmapi.ServerHooks{OnRequest: func(ri crmapi.ServerRequestInfo) {
		if ri.Operation == "listCustomers" {
			pages.Add(1)
		}
	}})
	srv := startCRM(t, seededCatalog(23), counted)
	c := newCRMClient(t, srv.URL)
	limit := 5
	var got []string
	for cust, err := range c.ListCustomersAll(context.Background(), &crmapi.ListCustomersParams{Limit: &limit}) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, cust.Id)
	}
	if len(got) != 23 || got[0] != "cus_000" || got[22] != "cus_022" {
		t.Fatalf("iterated %d customers: %v", len(got), got)
	}
	if pages.Load() != 5 {
		t.Fatalf("%d page requests for 23 customers by 5", pages.Load())
	}

	pages.Store(0)
	n := 0
	for _, err := range c.ListCustomersAll(context.Background(), &crmapi.ListCustomersParams{Limit: &limit}) {
		if err != nil {
			t.Fatal(err)
		}
		if n++; n == 7 {
			break
		}
	}
	if pages.Load() != 2 {
		t.Fatalf("breaking after 7 items made %d page requests, want 2", pages.Load())
	}
}

// TestIteratorStops: a cancelled context ends the iteration with its
// error before any request; an error page ends it with the typed error;
// a server that hands back the cursor it was asked with cannot loop it.
func TestIteratorStops(t *testing.T) {
	t.Parallel()
	srv := startCRM(t, seededCatalog(3))
	c := newCRMClient(t, srv.URL)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, err := range c.ListCustomersAll(ctx, nil) {
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled: %v", err)
		}
	}

	// A server whose next_cursor never moves.
	stuck := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"data":[{"id":"cus_x","name":"x","email":"x@example.com","created_at":"2026-01-01T00:00:00Z","updated_at":"2026-01-01T00:00:00Z"}],"next_cursor":"same"}`)
	}))
	seen, errs := 0, 0
	for _, err := range newCRMClient(t, stuck.URL).ListCustomersAll(context.Background(), nil) {
		if err != nil {
			errs++
			continue
		}
		if seen++; seen > 10 {
			t.Fatal("the iterator follows a cursor that never moves")
		}
	}
	if seen != 2 || errs != 1 {
		t.Fatalf("stuck cursor: %d items, %d errors", seen, errs)
	}

	// An error answer is yielded as the client's typed error.
	failing := serve(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		crmapi.WriteProblem(w, r, crmapi.AccordProblemDetails{Status: http.StatusBadRequest, Detail: "bad cursor"})
	}))
	for _, err := range newCRMClient(t, failing.URL).ListCustomersAll(context.Background(), nil) {
		if re := asResponseError(t, err); re.StatusCode != http.StatusBadRequest {
			t.Fatalf("error page: %v", err)
		}
	}
}
