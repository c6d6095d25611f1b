package e2e

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"maps"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/accord-dev/accord/examples/crm/crmapi"
)

// crudCatalog is the CRM fixture with replace and delete that work, so the
// whole Collection can be driven against the generated server.
type crudCatalog struct{ *catalog }

func (s crudCatalog) ReplaceCustomer(_ context.Context, req crmapi.ReplaceCustomerRequestObject) (crmapi.ReplaceCustomerResponseObject, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range s.customers {
		if c.Id == req.CustomerId {
			c.Name, c.Email, c.Company = req.Body.Name, req.Body.Email, req.Body.Company
			s.customers[i] = c
			return crmapi.ReplaceCustomer200JSONResponse(c), nil
		}
	}
	return crmapi.ReplaceCustomer404ApplicationProblemPlusJSONResponse{}, nil
}

func (s crudCatalog) DeleteCustomer(_ context.Context, req crmapi.DeleteCustomerRequestObject) (crmapi.DeleteCustomerResponseObject, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, c := range s.customers {
		if c.Id == req.CustomerId {
			s.customers = slices.Delete(s.customers, i, i+1)
			return crmapi.DeleteCustomer204Response{}, nil
		}
	}
	return crmapi.DeleteCustomer404ApplicationProblemPlusJSONResponse{}, nil
}

// syncAll is what a local catalog does with any system's customers: it
// knows the interface, not the system.
func syncAll[T, C, U any](ctx context.Context, src crmapi.Collection[T, C, U], id func(T) string) (map[string]T, error) {
	out := map[string]T{}
	for v, err := range src.List(ctx) {
		if err != nil {
			return nil, err
		}
		out[id(v)] = v
	}
	return out, nil
}

// TestCollectionAdapter drives the CRM's five customer operations through
// the generated CustomersCollection: create, get, update, a paged list,
// delete, and a typed error for what is gone.
func TestCollectionAdapter(t *testing.T) {
	ctx := context.Background()
	store := crudCatalog{seededCatalog(23)} // two pages of 20
	c := newCRMClient(t, startCRM(t, store).URL)
	var customers crmapi.Collection[crmapi.Customer, crmapi.CreateCustomerJSONRequestBody, crmapi.ReplaceCustomerJSONRequestBody] = c.CustomersCollection()

	ada, err := customers.Create(ctx, customerInput("ada"))
	if err != nil || ada.Name != "ada" || ada.Id == "" {
		t.Fatalf("create: %+v %v", ada, err)
	}
	got, err := customers.Get(ctx, ada.Id)
	if err != nil || got.Email != "ada@example.com" {
		t.Fatalf("get: %+v %v", got, err)
	}
	renamed := customerInput("ada")
	renamed.Name = "Ada Lovelace"
	upd, err := customers.Update(ctx, ada.Id, renamed)
	if err != nil || upd.Name != "Ada Lovelace" {
		t.Fatalf("update: %+v %v", upd, err)
	}
	all, err := syncAll(ctx, customers, func(c crmapi.Customer) string { return c.Id })
	if err != nil || len(all) != 24 || all[ada.Id].Name != "Ada Lovelace" {
		t.Fatalf("list: %d customers, ada %+v, %v", len(all), all[ada.Id], err)
	}
	if err := customers.Delete(ctx, ada.Id); err != nil {
		t.Fatalf("delete: %v", err)
	}
	_, err = customers.Get(ctx, ada.Id)
	var re *crmapi.ResponseError
	if !errors.As(err, &re) || re.StatusCode != http.StatusNotFound {
		t.Fatalf("get after delete: %v, want a 404 ResponseError", err)
	}
	if err := customers.Delete(ctx, ada.Id); !errors.As(err, &re) || re.StatusCode != http.StatusNotFound {
		t.Fatalf("delete again: %v, want a 404 ResponseError", err)
	}
}

// mapCollection is a Collection a test writes in a few lines: the point of
// the one interface is that the catalog code cannot tell it from a CRM
// (the assertion below is what holds it to the interface; a test running
// the fake would only test the fake).
var _ crmapi.Collection[crmapi.Customer, crmapi.CustomerInput, crmapi.CustomerInput] = (*mapCollection)(nil)

type mapCollection struct {
	mu sync.Mutex
	m  map[string]crmapi.Customer
}

func (f *mapCollection) Create(_ context.Context, in crmapi.CustomerInput) (*crmapi.Customer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := crmapi.Customer{Id: fmt.Sprintf("fake_%d", len(f.m)), Name: in.Name, Email: in.Email}
	f.m[c.Id] = c
	return &c, nil
}

func (f *mapCollection) Get(_ context.Context, id string) (*crmapi.Customer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if c, ok := f.m[id]; ok {
		return &c, nil
	}
	return nil, errors.New("not found")
}

func (f *mapCollection) Update(ctx context.Context, id string, in crmapi.CustomerInput) (*crmapi.Customer, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c := f.m[id]
	c.Name = in.Name
	f.m[id] = c
	return &c, nil
}

func (f *mapCollection) Delete(_ context.Context, id string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, id)
	return nil
}

func (f *mapCollection) List(context.Context) iter.Seq2[crmapi.Customer, error] {
	return func(yield func(crmapi.Customer, error) bool) {
		f.mu.Lock()
		vals := slices.Collect(maps.Values(f.m))
		f.mu.Unlock()
		for _, v := range vals {
			if !yield(v, nil) {
				return
			}
		}
	}
}
