package e2e

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/accord-dev/accord/examples/validation/responsesapi"
)

// orderAnswers answers what the test tells it to, whatever the contract
// says: the handler whose answers response validation checks.
type orderAnswers struct {
	create responsesapi.CreateOrderResponseObject
	err    error
	calls  atomic.Int32
}

func (h *orderAnswers) CreateOrder(context.Context, responsesapi.CreateOrderRequestObject) (responsesapi.CreateOrderResponseObject, error) {
	h.calls.Add(1)
	return h.create, h.err
}

func (h *orderAnswers) GetOrder(_ context.Context, req responsesapi.GetOrderRequestObject) (responsesapi.GetOrderResponseObject, error) {
	h.calls.Add(1)
	return responsesapi.GetOrder200JSONResponse{Id: responsesapi.Ptr(req.OrderId), Sku: "ABC-1", Quantity: 1}, nil
}

// badOrder breaks Order as an answer four ways: sku against its pattern,
// quantity under its minimum, the readOnly id missing, the writeOnly card
// sent back.
func badOrder() responsesapi.Order {
	return responsesapi.Order{Sku: "abc", Quantity: 0, Card: responsesapi.Ptr("4242")}
}

var badOrderViolations = []string{
	"body /card: no value is allowed here",
	"body /id: is required",
	"body /quantity: must be >= 1",
	"body /sku: must match the pattern ^[A-Z]{3}-[0-9]+$",
}

// goodOrder is a valid answer: its readOnly members (id, a line's note),
// which a request must not send, are what an answer carries.
func goodOrder() responsesapi.Order {
	return responsesapi.Order{Id: responsesapi.Ptr("ord_1"), Sku: "ABC-1", Quantity: 2,
		Lines: &[]responsesapi.Line{{Sku: "ABC-1", Note: responsesapi.Ptr("gift")}}}
}

// countRequests counts the requests that reach h.
func countRequests(h http.Handler, n *atomic.Int32) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h.ServeHTTP(w, r)
	})
}

func postOrder(t *testing.T, url string) (int, string, []byte) {
	t.Helper()
	resp, err := http.Post(url+"/orders", "application/json", strings.NewReader(`{"sku": "ABC-1", "quantity": 1}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header.Get("Content-Type"), body
}

// A handler answering a body that breaks the contract: with
// WithResponseValidation the caller gets a 500 problem listing the
// violations and the error handler sees a *ResponseInvalidError; without
// it the answer passes as the handler wrote it.
func TestResponseValidationServer(t *testing.T) {
	t.Parallel()
	h := &orderAnswers{create: responsesapi.CreateOrder201JSONResponse(badOrder())}
	var hooked atomic.Pointer[responsesapi.ResponseInvalidError]
	checked := serve(t, responsesapi.NewServer(h, responsesapi.WithLogger(quietLogger()), responsesapi.WithResponseValidation(),
		responsesapi.WithErrorHandler(func(_ *http.Request, err error, _ *responsesapi.ProblemDetails) {
			if ri := (*responsesapi.ResponseInvalidError)(nil); errors.As(err, &ri) {
				hooked.Store(ri)
			}
		})))
	plain := serve(t, responsesapi.NewServer(h, responsesapi.WithLogger(quietLogger())))

	status, ct, body := postOrder(t, checked.URL)
	if status != http.StatusInternalServerError || ct != "application/problem+json" {
		t.Fatalf("with validation: %d %s %s, want a 500 problem", status, ct, body)
	}
	got := problemViolations(t, body)
	slices.Sort(got)
	if !slices.Equal(got, badOrderViolations) {
		t.Fatalf("violations %q, want %q", got, badOrderViolations)
	}
	if ri := hooked.Load(); ri == nil || ri.Operation != "createOrder" || ri.StatusCode != 201 || len(ri.Violations) != 4 {
		t.Fatalf("error handler saw %+v, want the createOrder 201's 4 violations", ri)
	}

	status, _, body = postOrder(t, plain.URL)
	if status != http.StatusCreated || !strings.Contains(string(body), `"sku":"abc"`) {
		t.Fatalf("without validation: %d %s, want the handler's 201 as it wrote it", status, body)
	}
	if n := h.calls.Load(); n != 2 {
		t.Fatalf("handler ran %d times, want 2", n)
	}
}

// Valid answers pass response validation unchanged, readOnly members
// included; an undeclared status is refused; the server's own problem for a
// handler's error passes (it is not the handler's answer to get right).
func TestResponseValidationServerCases(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		answer responsesapi.CreateOrderResponseObject
		err    error
		status int
		want   string
	}{
		{"valid", responsesapi.CreateOrder201JSONResponse(goodOrder()), nil, 201, `"note":"gift"`},
		{"declared range", responsesapi.CreateOrder4XXJSONResponse{StatusCode: 409, Body: responsesapi.Error{Code: "taken"}}, nil, 409, `"code":"taken"`},
		{"undeclared status", responsesapi.CreateOrder4XXJSONResponse{StatusCode: 200, Body: responsesapi.Error{Code: "x"}}, nil, 500, `the status 200 is not declared for createOrder`},
		{"handler error", nil, errors.New("boom"), 500, `the server failed to handle the request`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := &orderAnswers{create: tc.answer, err: tc.err}
			srv := serve(t, responsesapi.NewServer(h, responsesapi.WithLogger(quietLogger()), responsesapi.WithResponseValidation()))
			status, _, body := postOrder(t, srv.URL)
			if status != tc.status || !strings.Contains(string(body), tc.want) {
				t.Fatalf("%d %s, want %d with %s", status, body, tc.status, tc.want)
			}
		})
	}
}

// The client with WithClientResponseValidation refuses a success whose body
// breaks the contract, naming the violations; without it the body is
// decoded as it came.
func TestResponseValidationClient(t *testing.T) {
	t.Parallel()
	h := &orderAnswers{create: responsesapi.CreateOrder201JSONResponse(badOrder())}
	srv := serve(t, responsesapi.NewServer(h, responsesapi.WithLogger(quietLogger())))
	ctx := context.Background()
	order := responsesapi.Order{Sku: "ABC-1", Quantity: 1}

	strict, err := responsesapi.NewClient(srv.URL, responsesapi.WithClientResponseValidation())
	if err != nil {
		t.Fatal(err)
	}
	out, err := strict.CreateOrder(ctx, order)
	var ri *responsesapi.ResponseInvalidError
	if !errors.As(err, &ri) || out != nil {
		t.Fatalf("CreateOrder = %v, %v; want a *ResponseInvalidError", out, err)
	}
	got := make([]string, 0, len(ri.Violations))
	for _, v := range ri.Violations {
		got = append(got, v.In+" "+v.Pointer+": "+v.Detail)
	}
	slices.Sort(got)
	if ri.Operation != "createOrder" || ri.StatusCode != 201 || !slices.Equal(got, badOrderViolations) {
		t.Fatalf("%s %d %q, want createOrder 201 %q", ri.Operation, ri.StatusCode, got, badOrderViolations)
	}
	if !strings.Contains(err.Error(), "/quantity: must be >= 1") {
		t.Fatalf("error %q does not name the violations", err)
	}
	// A valid answer still decodes, readOnly members included.
	if got, err := strict.GetOrder(ctx, "ord_7"); err != nil || got.Id == nil || *got.Id != "ord_7" {
		t.Fatalf("GetOrder = %+v, %v", got, err)
	}

	lax, err := responsesapi.NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	out, err = lax.CreateOrder(ctx, order)
	if err != nil || out.Sku != "abc" || out.Quantity != 0 {
		t.Fatalf("without response validation: %+v, %v; want the body as it came", out, err)
	}
}

// The client checks the body it encoded before sending: a required member
// missing or a minimum broken returns a *RequestInvalidError and no
// request reaches the server. WithoutClientRequestValidation sends it, and
// the server's own validation answers 400.
func TestClientRefusesInvalidBody(t *testing.T) {
	t.Parallel()
	h := &orderAnswers{create: responsesapi.CreateOrder201JSONResponse(goodOrder())}
	var requests atomic.Int32
	srv := serve(t, countRequests(responsesapi.NewServer(h, responsesapi.WithLogger(quietLogger())), &requests))
	ctx := context.Background()
	c, err := responsesapi.NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		body responsesapi.Order
		want string
	}{
		{"required member missing", responsesapi.Order{Quantity: 1}, "/sku: is required"},
		{"minimum broken", responsesapi.Order{Sku: "ABC-1", Quantity: 0}, "/quantity: must be >= 1"},
		{"readOnly sent", responsesapi.Order{Id: responsesapi.Ptr("ord_1"), Sku: "ABC-1", Quantity: 1}, "/id: is read-only and must not be sent"},
	} {
		out, err := c.CreateOrder(ctx, tc.body)
		var ri *responsesapi.RequestInvalidError
		if !errors.As(err, &ri) || out != nil {
			t.Fatalf("%s: CreateOrder = %v, %v; want a *RequestInvalidError", tc.name, out, err)
		}
		if ri.Operation != "createOrder" || len(ri.Violations) != 1 || ri.Violations[0].String() != tc.want {
			t.Fatalf("%s: %s %v, want %q", tc.name, ri.Operation, ri.Violations, tc.want)
		}
	}
	if n := requests.Load(); n != 0 {
		t.Fatalf("%d requests reached the server, want none", n)
	}

	if _, err := c.CreateOrder(ctx, responsesapi.Order{Sku: "ABC-1", Quantity: 3}); err != nil {
		t.Fatalf("a valid body: %v", err)
	}
	if n := requests.Load(); n != 1 {
		t.Fatalf("%d requests reached the server, want 1", n)
	}

	unchecked, err := responsesapi.NewClient(srv.URL, responsesapi.WithoutClientRequestValidation())
	if err != nil {
		t.Fatal(err)
	}
	_, err = unchecked.CreateOrder(ctx, responsesapi.Order{Sku: "ABC-1", Quantity: 0})
	var oe *responsesapi.OperationError[responsesapi.CreateOrderResponse]
	if !errors.As(err, &oe) || oe.StatusCode != http.StatusBadRequest {
		t.Fatalf("unchecked: %v, want the server's 400", err)
	}
	if n := requests.Load(); n != 2 || h.calls.Load() != 1 {
		t.Fatalf("%d requests, %d handled; want 2 and 1 (the server refused the invalid one)", n, h.calls.Load())
	}
}
