package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	openapi_types "github.com/oapi-codegen/runtime/types"

	"github.com/accord-dev/accord/examples/crm/crmapi"
)

// catalog is an in-memory customer catalog behind the generated CRM server.
type catalog struct {
	mu        sync.Mutex
	customers []crmapi.Customer // newest first, as the contract lists them
	creates   atomic.Int64
	// failCreates, when set, answers createCustomer with it instead.
	failCreates crmapi.CreateCustomerResponseObject
}

var _ crmapi.StrictServerInterface = (*catalog)(nil)

func (s *catalog) CreateCustomer(_ context.Context, req crmapi.CreateCustomerRequestObject) (crmapi.CreateCustomerResponseObject, error) {
	n := s.creates.Add(1)
	if s.failCreates != nil {
		return s.failCreates, nil
	}
	now := time.Now().UTC().Truncate(time.Second)
	c := crmapi.Customer{Id: fmt.Sprintf("cus_%d", n), Email: req.Body.Email, Name: req.Body.Name, Company: req.Body.Company,
		CreatedAt: now, UpdatedAt: now}
	s.mu.Lock()
	s.customers = slices.Insert(s.customers, 0, c)
	s.mu.Unlock()
	loc := "/customers/" + c.Id
	return crmapi.CreateCustomer201JSONResponse{Body: c, Headers: crmapi.CreateCustomer201ResponseHeaders{Location: &loc}}, nil
}

// ListCustomers pages newest first; the cursor is the offset of the next page.
func (s *catalog) ListCustomers(_ context.Context, req crmapi.ListCustomersRequestObject) (crmapi.ListCustomersResponseObject, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	from, limit := 0, 20
	if c := req.Params.Cursor; c != nil {
		var err error
		if from, err = strconv.Atoi(*c); err != nil || from < 0 {
			detail := "cursor is not one this server issued"
			return crmapi.ListCustomers400ApplicationProblemPlusJSONResponse{ProblemApplicationProblemPlusJSONResponse: crmapi.ProblemApplicationProblemPlusJSONResponse{Detail: &detail}}, nil
		}
	}
	if l := req.Params.Limit; l != nil {
		limit = *l
	}
	page := crmapi.CustomerPage{Data: []crmapi.Customer{}}
	end := min(from+limit, len(s.customers))
	if from < end {
		page.Data = append(page.Data, s.customers[from:end]...)
	}
	if end < len(s.customers) {
		next := strconv.Itoa(end)
		page.NextCursor = &next
	}
	return crmapi.ListCustomers200JSONResponse(page), nil
}

func (s *catalog) GetCustomer(_ context.Context, req crmapi.GetCustomerRequestObject) (crmapi.GetCustomerResponseObject, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.customers {
		if c.Id == req.CustomerId {
			return crmapi.GetCustomer200JSONResponse(c), nil
		}
	}
	return crmapi.GetCustomer404ApplicationProblemPlusJSONResponse{}, nil
}

func (s *catalog) UpdateCustomer(context.Context, crmapi.UpdateCustomerRequestObject) (crmapi.UpdateCustomerResponseObject, error) {
	return crmapi.UpdateCustomer404ApplicationProblemPlusJSONResponse{}, nil
}

func (s *catalog) ReplaceCustomer(context.Context, crmapi.ReplaceCustomerRequestObject) (crmapi.ReplaceCustomerResponseObject, error) {
	return crmapi.ReplaceCustomer404ApplicationProblemPlusJSONResponse{}, nil
}

func (s *catalog) DeleteCustomer(context.Context, crmapi.DeleteCustomerRequestObject) (crmapi.DeleteCustomerResponseObject, error) {
	return crmapi.DeleteCustomer204Response{}, nil
}

func (p problemAnswer) VisitCreateCustomerResponse(w http.ResponseWriter) error { return p.write(w) }

func startCRM(t *testing.T, impl crmapi.StrictServerInterface, opts ...crmapi.ServerOption) *httptest.Server {
	t.Helper()
	base := []crmapi.ServerOption{crmapi.WithLogger(quietLogger()), crmapi.WithAuthenticator(crmAuth{})}
	return serve(t, crmapi.NewServer(impl, append(base, opts...)...))
}

func newCRMClient(t *testing.T, url string, opts ...crmapi.ClientOption) *crmapi.Client {
	t.Helper()
	base := []crmapi.ClientOption{crmapi.WithApiKey(crmapi.StaticToken(testAPIKey))}
	c, err := crmapi.NewClient(url, append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func customerInput(name string) crmapi.CreateCustomerJSONRequestBody {
	return crmapi.CreateCustomerJSONRequestBody{Email: openapi_types.Email(name + "@example.com"), Name: name}
}
