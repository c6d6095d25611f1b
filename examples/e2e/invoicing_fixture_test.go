package e2e

import (
	"context"
	"fmt"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/accord-dev/accord/examples/invoicing/invoicingapi"
)

// invoicer is an in-memory invoicing system behind the generated server.
// Its createInvoice requires an Idempotency-Key and is not signed, which
// makes it the operation the duplicate-request tests use: byte-identical
// signed requests within one second are replays to the signature check
// before the idempotency layer sees them.
type invoicer struct {
	mu       sync.Mutex
	invoices []invoicingapi.Invoice
	runs     atomic.Int64
	hold     chan struct{} // when set, CreateInvoice waits for it to close
}

var _ invoicingapi.StrictServerInterface = (*invoicer)(nil)

func (s *invoicer) CreateInvoice(ctx context.Context, req invoicingapi.CreateInvoiceRequestObject) (invoicingapi.CreateInvoiceResponseObject, error) {
	n := s.runs.Add(1)
	if s.hold != nil {
		select {
		case <-s.hold:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	var total int64
	for _, l := range req.Body.Lines {
		total += int64(l.Quantity) * l.UnitAmountMinor
	}
	inv := invoicingapi.Invoice{
		Id: fmt.Sprintf("in_%04d", n), Number: fmt.Sprintf("2026-%04d", n), CustomerId: req.Body.CustomerId,
		Currency: req.Body.Currency, Lines: req.Body.Lines, TotalMinor: total, Status: invoicingapi.InvoiceStatusDraft,
		CreatedAt: time.Now().UTC().Truncate(time.Second),
	}
	s.mu.Lock()
	s.invoices = append(s.invoices, inv)
	s.mu.Unlock()
	return invoicingapi.CreateInvoice201JSONResponse(inv), nil
}

// ListInvoices pages through invoices oldest first; the cursor is the
// index of the next one.
func (s *invoicer) ListInvoices(_ context.Context, req invoicingapi.ListInvoicesRequestObject) (invoicingapi.ListInvoicesResponseObject, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	from, limit := 0, 25
	if c := req.Params.Cursor; c != nil {
		from, _ = strconv.Atoi(*c)
	}
	if l := req.Params.Limit; l != nil {
		limit = *l
	}
	page := invoicingapi.InvoicePage{Data: []invoicingapi.Invoice{}}
	for i := from; i < len(s.invoices) && len(page.Data) < limit; i++ {
		page.Data = append(page.Data, s.invoices[i])
		if i+1 < len(s.invoices) && len(page.Data) == limit {
			next := strconv.Itoa(i + 1)
			page.NextCursor = &next
		}
	}
	return invoicingapi.ListInvoices200JSONResponse(page), nil
}

func (s *invoicer) find(id string) int {
	return slices.IndexFunc(s.invoices, func(in invoicingapi.Invoice) bool { return in.Id == id })
}

func (s *invoicer) GetInvoice(_ context.Context, req invoicingapi.GetInvoiceRequestObject) (invoicingapi.GetInvoiceResponseObject, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.find(req.InvoiceId); i >= 0 {
		return invoicingapi.GetInvoice200JSONResponse(s.invoices[i]), nil
	}
	return invoicingapi.GetInvoice404ApplicationProblemPlusJSONResponse{}, nil
}

func (s *invoicer) UpdateInvoice(_ context.Context, req invoicingapi.UpdateInvoiceRequestObject) (invoicingapi.UpdateInvoiceResponseObject, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.find(req.InvoiceId)
	if i < 0 {
		return invoicingapi.UpdateInvoice404ApplicationProblemPlusJSONResponse{}, nil
	}
	if req.Body.DueDate != nil {
		s.invoices[i].DueDate = req.Body.DueDate
	}
	return invoicingapi.UpdateInvoice200JSONResponse(s.invoices[i]), nil
}

func (s *invoicer) DeleteInvoice(_ context.Context, req invoicingapi.DeleteInvoiceRequestObject) (invoicingapi.DeleteInvoiceResponseObject, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i := s.find(req.InvoiceId); i >= 0 {
		s.invoices = slices.Delete(s.invoices, i, i+1)
	}
	return invoicingapi.DeleteInvoice204Response{}, nil
}

func (s *invoicer) TransitionInvoice(_ context.Context, req invoicingapi.TransitionInvoiceRequestObject) (invoicingapi.TransitionInvoiceResponseObject, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := s.find(req.InvoiceId)
	if i < 0 {
		return invoicingapi.TransitionInvoice409ApplicationProblemPlusJSONResponse{}, nil
	}
	s.invoices[i].Status = req.Body.Status
	s.invoices[i].PaymentId = req.Body.PaymentId
	return invoicingapi.TransitionInvoice200JSONResponse(s.invoices[i]), nil
}

func startInvoicing(t *testing.T, impl invoicingapi.StrictServerInterface, opts ...invoicingapi.ServerOption) *httptest.Server {
	t.Helper()
	base := []invoicingapi.ServerOption{invoicingapi.WithLogger(quietLogger()), invoicingapi.WithAuthenticator(invoicingAuth{})}
	return serve(t, invoicingapi.NewServer(impl, append(base, opts...)...))
}

func newInvoicingClient(t *testing.T, url string, opts ...invoicingapi.ClientOption) *invoicingapi.Client {
	t.Helper()
	base := []invoicingapi.ClientOption{invoicingapi.WithBearerAuthBearer(invoicingapi.StaticToken(testBearerToken))}
	c, err := invoicingapi.NewClient(url, append(base, opts...)...)
	if err != nil {
		t.Fatalf("NewClient: %v", err)
	}
	return c
}

func invoiceInput(customer string, amount int64) invoicingapi.CreateInvoiceJSONRequestBody {
	return invoicingapi.CreateInvoiceJSONRequestBody{CustomerId: customer, Currency: "EUR",
		Lines: []invoicingapi.InvoiceLine{{Description: "Consulting", Quantity: 1, UnitAmountMinor: amount}}}
}

// noLimits lifts createInvoice's client bulkhead and server concurrency
// limit so that every duplicate reaches the idempotency layer.
func noLimits() (invoicingapi.ClientOption, invoicingapi.ServerOption) {
	lift := func(id string, p *invoicingapi.Policy) {
		if id == "createInvoice" {
			p.Concurrency = 0
		}
	}
	// Duplicates waiting on an in-flight claim retry their 409s: the
	// tests that race many of them must not run into the retry budget.
	policy, budget := invoicingapi.WithPolicy(lift), invoicingapi.WithSharedRetryBudget(nil)
	client := func(s *invoicingapi.ClientSettings) { policy(s); budget(s) }
	return client, invoicingapi.WithServerPolicy(lift)
}

// countInvoiceResponses closes done once n createInvoice responses were sent.
func countInvoiceResponses(n int64, done chan struct{}) invoicingapi.ServerOption {
	var count atomic.Int64
	return invoicingapi.WithServerHooks(invoicingapi.ServerHooks{OnRequest: func(ri invoicingapi.ServerRequestInfo) {
		if ri.Operation == "createInvoice" && count.Add(1) == n {
			close(done)
		}
	}})
}
