package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/accord-dev/accord/examples/crm/crmapi"
	"github.com/accord-dev/accord/examples/payments/paymentsapi"
)

// The caller's trace id travels in traceparent, reaches the handler's
// context and comes back in Trace-Id, on success and in errors.
func TestTraceIDComesBack(t *testing.T) {
	t.Parallel()
	const traceID = "4bf92f3577b34da6a3ce929d0e0e4736"
	var mu sync.Mutex
	var inHandler []string
	f := &faults{StrictServerInterface: newProvider(), get: func(ctx context.Context, _ int64) paymentsapi.GetPaymentResponseObject {
		mu.Lock()
		inHandler = append(inHandler, paymentsapi.TraceIDFromContext(ctx))
		mu.Unlock()
		return nil
	}}
	var rec calls
	c := newClient(t, startPayments(t, f).URL, rec.option())
	ctx := paymentsapi.ContextWithTraceID(context.Background(), traceID)

	var raw *http.Response
	_, err := c.CreatePayment(ctx, nil, paymentRequest(10), paymentsapi.WithResponse(&raw))
	if err != nil {
		t.Fatal(err)
	}
	if got := raw.Header.Get("Trace-Id"); got != traceID {
		t.Fatalf("Trace-Id %q", got)
	}
	_, err = c.GetPayment(ctx, "pay_99999999")
	re := asResponseError(t, err)
	if re.StatusCode != http.StatusNotFound || re.TraceID != traceID || !strings.Contains(err.Error(), traceID) {
		t.Fatalf("error %v carries trace %q", err, re.TraceID)
	}
	if rec.last(t).TraceID != traceID {
		t.Fatalf("hook saw trace %q", rec.last(t).TraceID)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(inHandler) != 1 || inHandler[0] != traceID {
		t.Fatalf("handler saw %q", inHandler)
	}
}

// failing answers getCustomer with the error a handler returned.
type failing struct {
	*catalog
	err error
}

func (f failing) GetCustomer(context.Context, crmapi.GetCustomerRequestObject) (crmapi.GetCustomerResponseObject, error) {
	return nil, f.err
}

// conflictError chooses its own problem.
type conflictError struct{}

func (conflictError) Error() string { return "customer is locked by an import" }
func (conflictError) Problem() crmapi.AccordProblemDetails {
	return crmapi.AccordProblemDetails{Status: http.StatusConflict, Detail: "the customer is being imported; try again later"}
}

// problemOf sends a raw request and decodes the problem+json answer.
func problemOf(t *testing.T, req *http.Request) (*http.Response, crmapi.AccordProblemDetails) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
		body, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s %s: %d with %q: %s", req.Method, req.URL.Path, resp.StatusCode, ct, body)
	}
	var p crmapi.AccordProblemDetails
	if err := json.NewDecoder(resp.Body).Decode(&p); err != nil {
		t.Fatal(err)
	}
	if p.Status != resp.StatusCode {
		t.Fatalf("problem status %d on a %d", p.Status, resp.StatusCode)
	}
	return resp, p
}

// Every error the server answers is application/problem+json: unknown
// routes, wrong methods, undecodable parameters and bodies, oversized
// bodies, handler errors (without their text), chosen problems.
func TestErrorsAreProblemJSON(t *testing.T) {
	t.Parallel()
	var hookMu sync.Mutex
	var hooked []error
	hook := crmapi.WithErrorHandler(func(_ *http.Request, err error, p *crmapi.AccordProblemDetails) {
		hookMu.Lock()
		hooked = append(hooked, err)
		hookMu.Unlock()
		if p.Status == http.StatusInternalServerError {
			p.Type = "https://crm.example.com/problems/internal"
		}
	})
	internal := errors.New("pq: connection refused to 10.0.0.7")
	// Reading 10 MiB before refusing takes longer than createCustomer's
	// 800ms under the race detector; the limit is not what is tested.
	slowBodies := crmapi.WithServerPolicy(func(id string, p *crmapi.Policy) {
		if id == "createCustomer" {
			p.Timeout = 0
		}
	})
	srv := startCRM(t, failing{&catalog{}, internal}, hook, slowBodies)
	locked := startCRM(t, failing{&catalog{}, conflictError{}})
	get := func(url string) *http.Request {
		r, _ := http.NewRequest(http.MethodGet, url, nil)
		r.Header.Set("X-API-Key", testAPIKey)
		return r
	}
	post := func(url string, body []byte) *http.Request {
		r, _ := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
		r.Header.Set("Content-Type", "application/json")
		r.Header.Set("X-API-Key", testAPIKey)
		return r
	}

	if resp, p := problemOf(t, get(srv.URL+"/nowhere")); resp.StatusCode != 404 || !strings.Contains(p.Detail, "/nowhere") {
		t.Fatalf("unknown route: %d %+v", resp.StatusCode, p)
	}
	if resp, _ := problemOf(t, post(srv.URL+"/customers/cus_1", []byte(`{}`))); resp.StatusCode != 405 || resp.Header.Get("Allow") == "" {
		t.Fatalf("wrong method: %d, Allow %q", resp.StatusCode, resp.Header.Get("Allow"))
	}
	if resp, p := problemOf(t, get(srv.URL+"/customers?limit=many")); resp.StatusCode != 400 || !strings.Contains(p.Detail, "limit") {
		t.Fatalf("bad query parameter: %d %+v", resp.StatusCode, p)
	}
	if resp, p := problemOf(t, post(srv.URL+"/customers", []byte(`{"email": 42`))); resp.StatusCode != 400 || !strings.Contains(p.Detail, "JSON") {
		t.Fatalf("bad body: %d %+v", resp.StatusCode, p)
	}
	huge := append([]byte(`{"name":"`), bytes.Repeat([]byte("x"), 11<<20)...)
	if resp, _ := problemOf(t, post(srv.URL+"/customers", append(huge, `"}`...))); resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized body: %d", resp.StatusCode)
	}
	resp, p := problemOf(t, get(srv.URL+"/customers/cus_1"))
	if resp.StatusCode != 500 || strings.Contains(p.Detail, "10.0.0.7") || p.Type != "https://crm.example.com/problems/internal" || p.TraceID == "" {
		t.Fatalf("handler error: %d %+v", resp.StatusCode, p)
	}
	if resp, p := problemOf(t, get(locked.URL+"/customers/cus_1")); resp.StatusCode != 409 || !strings.Contains(p.Detail, "imported") {
		t.Fatalf("chosen problem: %d %+v", resp.StatusCode, p)
	}
	hookMu.Lock()
	defer hookMu.Unlock()
	if len(hooked) != 4 || !errors.Is(hooked[3], internal) {
		t.Fatalf("the error hook saw %v", hooked)
	}
}

// The generated client pages through a cursor-paginated list, and the
// server serves under a base path.
func TestCursorPaginationUnderBasePath(t *testing.T) {
	t.Parallel()
	cat := &catalog{}
	srv := startCRM(t, cat, crmapi.WithBasePath("/api"))
	c := newCRMClient(t, srv.URL+"/api")
	ctx := context.Background()
	for _, name := range []string{"ada", "grace", "edsger", "barbara", "ken"} {
		if _, err := c.CreateCustomer(ctx, customerInput(name)); err != nil {
			t.Fatal(err)
		}
	}
	var names []string
	limit := 2
	params := &crmapi.ListCustomersParams{Limit: &limit}
	for pages := 0; ; pages++ {
		if pages > 5 {
			t.Fatal("pagination does not end")
		}
		resp, err := c.ListCustomers(ctx, params)
		if err != nil {
			t.Fatal(err)
		}
		for _, cu := range resp.Data {
			names = append(names, cu.Name)
		}
		if resp.NextCursor == nil {
			break
		}
		params.Cursor = resp.NextCursor
	}
	if got := strings.Join(names, ","); got != "ken,barbara,edsger,grace,ada" {
		t.Fatalf("listed %s", got)
	}
	bad := "-1"
	resp, err := c.ListCustomers(ctx, &crmapi.ListCustomersParams{Cursor: &bad})
	var oe *crmapi.OperationError[crmapi.ListCustomersResponse]
	if !errors.As(err, &oe) || oe.StatusCode != 400 || resp != nil || oe.Response.ApplicationproblemJSON400 == nil || oe.Response.ApplicationproblemJSON400.Detail == nil {
		t.Fatalf("bad cursor: %v", err)
	}
}

// The access log has one structured line per request, with the operation,
// route, status and trace id, and neither bodies nor signatures.
func TestAccessLog(t *testing.T) {
	t.Parallel()
	var mu sync.Mutex
	var buf bytes.Buffer
	logger := slog.New(slog.NewJSONHandler(lockedWriter{&mu, &buf}, nil))
	srv := startPayments(t, newProvider(), paymentsapi.WithLogger(logger))
	c := newClient(t, srv.URL)
	if _, err := c.CreatePayment(context.Background(), nil, paymentRequest(31337)); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	var line struct {
		Msg, Op, Method, Route string
		TraceID                string `json:"trace_id"`
		Status                 int
	}
	if err := json.Unmarshal(bytes.TrimSpace(buf.Bytes()), &line); err != nil {
		t.Fatalf("want one JSON line: %v\n%s", err, buf.String())
	}
	if line.Msg != "request" || line.Op != "createPayment" || line.Route != "/v1/payments" || line.Status != 201 || len(line.TraceID) != 32 {
		t.Fatalf("access line %+v", line)
	}
	if s := buf.String(); strings.Contains(s, "31337") || strings.Contains(strings.ToLower(s), "signature") {
		t.Fatalf("the log holds a body or a signature: %s", s)
	}
}

type lockedWriter struct {
	mu *sync.Mutex
	w  io.Writer
}

func (l lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
