package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/accord-dev/accord/examples/payments/paymentsapi"
	"github.com/accord-dev/accord/examples/validation/validationapi"
)

// validationHandler accepts every request that reaches it and counts them:
// a request the contract refuses must never get here.
type validationHandler struct{ calls atomic.Int32 }

func (h *validationHandler) FuzzBody(context.Context, validationapi.FuzzBodyRequestObject) (validationapi.FuzzBodyResponseObject, error) {
	h.calls.Add(1)
	return validationapi.FuzzBody204Response{}, nil
}

func (h *validationHandler) CreateItem(context.Context, validationapi.CreateItemRequestObject) (validationapi.CreateItemResponseObject, error) {
	h.calls.Add(1)
	return validationapi.CreateItem201Response{}, nil
}

func (h *validationHandler) PutThing(context.Context, validationapi.PutThingRequestObject) (validationapi.PutThingResponseObject, error) {
	h.calls.Add(1)
	return validationapi.PutThing204Response{}, nil
}

// problemViolations decodes a validation problem's "errors" member as
// "in[ parameter][pointer]: detail" lines.
func problemViolations(t *testing.T, body []byte) []string {
	t.Helper()
	var p struct {
		Errors []struct {
			In, Parameter, Pointer, Detail string
		} `json:"errors"`
	}
	if err := json.Unmarshal(body, &p); err != nil {
		t.Fatalf("problem body %q: %v", body, err)
	}
	out := make([]string, 0, len(p.Errors))
	for _, e := range p.Errors {
		if e.In == "body" {
			out = append(out, "body "+e.Pointer+": "+e.Detail)
		} else {
			out = append(out, e.In+" "+e.Parameter+e.Pointer+": "+e.Detail)
		}
	}
	return out
}

// The attack: amount below minimum, currency against its pattern
// and customer_id missing got 201. Signed and authenticated as a partner
// would be, it now answers 400 with the three violations and the handler
// never runs.
func TestValidationAttackAnswers400(t *testing.T) {
	t.Parallel()
	var handled atomic.Int32
	p := newProvider()
	srv := startPayments(t, &countingProvider{provider: p, n: &handled})
	attack := `{"amount_minor": -5, "currency": "euro"}`
	c := newClient(t, srv.URL, paymentsapi.WithRequestEditor(func(_ context.Context, r *http.Request) error {
		r.Body = io.NopCloser(strings.NewReader(attack))
		r.ContentLength = int64(len(attack))
		r.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader(attack)), nil }
		return nil
	}))
	_, err := c.CreatePayment(context.Background(), nil, paymentRequest(100))
	re := asResponseError(t, err)
	if re.StatusCode != http.StatusBadRequest {
		t.Fatalf("status %d, want 400: %s", re.StatusCode, re.Body)
	}
	got := problemViolations(t, re.Body)
	want := []string{
		"body /amount_minor: must be >= 0",
		"body /currency: must match the pattern ^[A-Z]{3}$",
		"body /customer_id: is required",
	}
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("violations %q, want %q", got, want)
	}
	if n := handled.Load(); n != 0 {
		t.Fatalf("the handler ran %d times for an invalid request", n)
	}
}

type countingProvider struct {
	*provider
	n *atomic.Int32
}

func (c *countingProvider) CreatePayment(ctx context.Context, req paymentsapi.CreatePaymentRequestObject) (paymentsapi.CreatePaymentResponseObject, error) {
	c.n.Add(1)
	return c.provider.CreatePayment(ctx, req)
}

const validItem = `{"name":"ab","price":1,"kind":"book"}`

// itemWith is the valid item with one property added or replaced. It
// replaces in place: a body naming a member twice is refused as such.
func itemWith(key, value string) string {
	fields := [][2]string{{"name", `"ab"`}, {"price", "1"}, {"kind", `"book"`}}
	replaced := false
	for i := range fields {
		if fields[i][0] == key {
			fields[i][1], replaced = value, true
		}
	}
	if !replaced {
		fields = append(fields, [2]string{key, value})
	}
	parts := make([]string, len(fields))
	for i, f := range fields {
		parts[i] = strconv.Quote(f[0]) + ":" + f[1]
	}
	return "{" + strings.Join(parts, ",") + "}"
}

type vcase struct {
	name    string
	method  string // default POST
	target  string // default /items/7?limit=10
	header  map[string]string
	cookie  string // default session=abcd; "-" for none
	body    string // default validItem; "-" for none
	status  int    // default 400 when want is set, else 201
	want    []string
	wantLen int // when want is nil: the number of violations
}

func validationCases() []vcase {
	many := strings.TrimSuffix(validItem, "}")
	for i := range 60 {
		many += `,"x` + strconv.Itoa(i) + `":1`
	}
	many += "}"
	return []vcase{
		{name: "valid"},
		{name: "valid with every optional keyword", target: "/items/7?limit=10&tags=a,b&mode=fast", header: map[string]string{"X-Level": "5", "X-Ids": "1,2"},
			body: `{"name":"ééééé","price":999.5,"kind":"game","qty":4,"code":"ABC","note":null,"when":"2024-01-02T03:04:05Z","day":"2024-02-29",` +
				`"uid":"123e4567-e89b-12d3-a456-426614174000","email":"a@example.com","site":"https://example.com/x","ip4":"192.0.2.1","ip6":"2001:db8::1",` +
				`"blob":"aGk=","labels":["a","b"],"dims":{"w":1},"shape":{"type":"circle","radius":1},"pet":{"meow":true},"either":"ab","sized":{"label":"x","size":1},` +
				`"tree":{"value":1,"children":[{"value":2}]},"notText":5}`},
		// parameters
		{name: "path minimum", target: "/items/0?limit=10", want: []string{"path item_id: must be >= 1"}},
		{name: "path type", target: "/items/abc?limit=10", want: []string{"path item_id: must be an integer"}},
		{name: "query required", target: "/items/7", want: []string{"query limit: is required"}},
		{name: "query maximum", target: "/items/7?limit=101", want: []string{"query limit: must be <= 100"}},
		{name: "query array item enum", target: "/items/7?limit=10&tags=a,d", want: []string{`query tags/1: must be one of ["a","b","c"]`}},
		{name: "query array maxItems", target: "/items/7?limit=10&tags=a,b,c", want: []string{"query tags: must have at most 2 items"}},
		{name: "query enum", target: "/items/7?limit=10&mode=medium", want: []string{`query mode: must be one of ["fast","slow"]`}},
		{name: "header maximum", header: map[string]string{"X-Level": "6"}, want: []string{"header X-Level: must be <= 5"}},
		{name: "header type", header: map[string]string{"X-Level": "high"}, want: []string{"header X-Level: must be an integer"}},
		{name: "header array item type", header: map[string]string{"X-Ids": "1,x"}, want: []string{"header X-Ids/1: must be an integer"}},
		{name: "cookie required", cookie: "-", want: []string{"cookie session: is required"}},
		{name: "cookie minLength", cookie: "session=abc", want: []string{"cookie session: must be at least 4 characters long"}},
		// body
		{name: "body required", body: "-", want: []string{"body : a request body is required"}},
		{name: "body not JSON", body: "{", want: []string{"body : is not valid JSON"}},
		{name: "body type", body: `[1]`, want: []string{"body : must be an object"}},
		{name: "required", body: `{"price":1,"kind":"book"}`, want: []string{"body /name: is required"}},
		{name: "type", body: itemWith("name", "5"), want: []string{"body /name: must be a string"}},
		// The handler's decoder keeps the last of a duplicated name: a
		// validator that checked the first would pass "ab" and hand it 5.
		{name: "duplicate member", body: `{"name":"ab","price":1,"kind":"book","name":5}`,
			want: []string{`body : has the member "name" twice`}},
		{name: "duplicate nested member", body: `{"name":"ab","price":1,"kind":"book","dims":{"w":1,"h":1,"w":2}}`,
			want: []string{`body /dims: has the member "w" twice`}},
		{name: "not nullable", body: itemWith("name", "null"), want: []string{"body /name: must be a string, not null"}},
		{name: "minLength", body: `{"name":"é","price":1,"kind":"book"}`, want: []string{"body /name: must be at least 2 characters long"}},
		{name: "maxLength", body: itemWith("name", `"abcdef"`), want: []string{"body /name: must be at most 5 characters long"}},
		{name: "minimum", body: itemWith("price", "-1"), want: []string{"body /price: must be >= 0"}},
		{name: "exclusiveMaximum", body: itemWith("price", "1000"), want: []string{"body /price: must be < 1000"}},
		{name: "multipleOf", body: itemWith("qty", "3"), want: []string{"body /qty: must be a multiple of 2"}},
		{name: "integer", body: itemWith("qty", "1.5"), want: []string{"body /qty: must be an integer"}},
		{name: "enum", body: itemWith("kind", `"car"`), want: []string{`body /kind: must be one of ["book","game"]`}},
		{name: "pattern", body: itemWith("code", `"abc"`), want: []string{"body /code: must match the pattern ^[A-Z]{3}$"}},
		{name: "date-time", body: itemWith("when", `"yesterday"`), want: []string{"body /when: must be a valid date-time"}},
		{name: "date", body: itemWith("day", `"2024-02-30"`), want: []string{"body /day: must be a valid date"}},
		{name: "uuid", body: itemWith("uid", `"123e4567"`), want: []string{"body /uid: must be a valid uuid"}},
		{name: "email", body: itemWith("email", `"not an email"`), want: []string{"body /email: must be a valid email"}},
		{name: "uri", body: itemWith("site", `"relative/path"`), want: []string{"body /site: must be a valid uri"}},
		{name: "ipv4", body: itemWith("ip4", `"2001:db8::1"`), want: []string{"body /ip4: must be a valid ipv4"}},
		{name: "ipv6", body: itemWith("ip6", `"192.0.2.1"`), want: []string{"body /ip6: must be a valid ipv6"}},
		{name: "byte", body: itemWith("blob", `"a!"`), want: []string{"body /blob: must be a valid byte"}},
		{name: "minItems", body: itemWith("labels", `[]`), want: []string{"body /labels: must have at least 1 items"}},
		{name: "maxItems", body: itemWith("labels", `["a","b","c","d"]`), want: []string{"body /labels: must have at most 3 items"}},
		{name: "uniqueItems", body: itemWith("labels", `["a","a"]`), want: []string{"body /labels: must not have duplicate items"}},
		{name: "minProperties", body: itemWith("dims", `{}`), want: []string{"body /dims: must have at least 1 properties"}},
		{name: "maxProperties", body: itemWith("dims", `{"a":1,"b":2,"c":3}`), want: []string{"body /dims: must have at most 2 properties"}},
		{name: "additionalProperties schema and pointer escaping", body: itemWith("dims", `{"a/b~c":"x"}`), want: []string{"body /dims/a~1b~0c: must be an integer"}},
		{name: "additionalProperties false", body: itemWith("extra", "1"), want: []string{"body /extra: is not allowed (additionalProperties is false)"}},
		{name: "readOnly sent", body: itemWith("id", `"x"`), want: []string{"body /id: is read-only and must not be sent"}},
		{name: "discriminator picks the schema", body: itemWith("shape", `{"type":"square","side":-1}`), want: []string{"body /shape/side: must be >= 0"}},
		{name: "discriminator unknown", body: itemWith("shape", `{"type":"hex"}`), want: []string{`body /shape/type: must be one of "circle", "square"`}},
		{name: "anyOf", body: itemWith("pet", `{"purr":true}`), want: []string{"body /pet: must match at least one of the anyOf schemas"}},
		{name: "anyOf second", body: itemWith("pet", `{"bark":false}`)},
		{name: "oneOf none", body: itemWith("either", `"abcd"`), want: []string{"body /either: must match exactly one of the oneOf schemas, matches 0"}},
		{name: "oneOf integer", body: itemWith("either", `12`)},
		{name: "allOf", body: itemWith("sized", `{"size":1}`), want: []string{"body /sized/label: is required"}},
		{name: "recursive schema", body: itemWith("tree", `{"value":1,"children":[{"value":2,"children":[{"value":"x"}]}]}`),
			want: []string{"body /tree/children/0/children/0/value: must be an integer"}},
		{name: "not", body: itemWith("notText", `"s"`), want: []string{"body /notText: must not match the not schema"}},
		{name: "every violation at once", target: "/items/0", cookie: "-", body: `{"name":1,"price":-1,"kind":"car","extra":true}`, want: []string{
			"body /extra: is not allowed (additionalProperties is false)", "body /kind: must be one of [\"book\",\"game\"]",
			"body /name: must be a string", "body /price: must be >= 0",
			"cookie session: is required", "path item_id: must be >= 1", "query limit: is required",
		}},
		{name: "capped at 50", body: many, wantLen: 50},
		{name: "422 where the contract says so", method: http.MethodPut, target: "/things", cookie: "-", body: `{}`, status: http.StatusUnprocessableEntity,
			want: []string{"body /name: is required"}},
	}
}

// The validation table: every keyword and every parameter location, valid
// and invalid, over loopback against the generated server; the problem body
// lists exactly the expected violations and the handler runs only for
// valid requests.
func TestValidationTable(t *testing.T) {
	t.Parallel()
	h := &validationHandler{}
	srv := httptest.NewServer(validationapi.NewServer(h, validationapi.WithLogger(quietLogger())))
	t.Cleanup(srv.Close)
	for _, c := range validationCases() {
		t.Run(c.name, func(t *testing.T) {
			method, target, body, cookie := c.method, c.target, c.body, c.cookie
			if method == "" {
				method = http.MethodPost
			}
			if target == "" {
				target = "/items/7?limit=10"
			}
			if body == "" {
				body = validItem
			}
			if cookie == "" {
				cookie = "session=abcd"
			}
			var rd io.Reader
			if body != "-" {
				rd = strings.NewReader(body)
			}
			req, err := http.NewRequest(method, srv.URL+target, rd)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			if cookie != "-" {
				req.Header.Set("Cookie", cookie)
			}
			for k, v := range c.header {
				req.Header.Set(k, v)
			}
			before := h.calls.Load()
			resp, err := srv.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			got, _ := io.ReadAll(resp.Body)
			status := c.status
			switch {
			case status != 0:
			case c.want != nil || c.wantLen > 0:
				status = http.StatusBadRequest
			case method == http.MethodPut:
				status = http.StatusNoContent
			default:
				status = http.StatusCreated
			}
			if resp.StatusCode != status {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, status, got)
			}
			ran := h.calls.Load() != before
			if status >= 400 {
				if ran {
					t.Fatal("the handler ran for an invalid request")
				}
				if ct := resp.Header.Get("Content-Type"); ct != "application/problem+json" {
					t.Fatalf("content type %q", ct)
				}
				v := problemViolations(t, got)
				if c.wantLen > 0 {
					if len(v) != c.wantLen {
						t.Fatalf("%d violations, want %d", len(v), c.wantLen)
					}
					return
				}
				slices.Sort(v)
				want := slices.Sorted(slices.Values(c.want))
				if !slices.Equal(v, want) {
					t.Fatalf("violations\n got %q\nwant %q", v, want)
				}
			} else if !ran {
				t.Fatal("the handler did not run for a valid request")
			}
		})
	}
}

// WithoutRequestValidation hands invalid requests to the handler.
func TestValidationCanBeTurnedOff(t *testing.T) {
	t.Parallel()
	h := &validationHandler{}
	s := validationapi.NewServer(h, validationapi.WithLogger(quietLogger()), validationapi.WithoutRequestValidation())
	req := httptest.NewRequest(http.MethodPost, "/items/7?limit=10", strings.NewReader(itemWith("kind", `"car"`)))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Cookie", "session=abcd")
	w := httptest.NewRecorder()
	s.ServeHTTP(w, req)
	if w.Code != http.StatusCreated || h.calls.Load() != 1 {
		t.Fatalf("status %d, handler calls %d", w.Code, h.calls.Load())
	}
}

// The client refuses a call whose required parameters are missing (a nil
// params struct) with a typed error and sends nothing.
func TestValidationClientPreCheck(t *testing.T) {
	t.Parallel()
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusCreated)
	}))
	t.Cleanup(srv.Close)
	c, err := validationapi.NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.CreateItem(context.Background(), 7, nil, validationapi.Item{Name: "ab", Kind: "book"})
	var inv *validationapi.RequestInvalidError
	if !errors.As(err, &inv) {
		t.Fatalf("want *RequestInvalidError, got %T: %v", err, err)
	}
	var got []string
	for _, v := range inv.Violations {
		got = append(got, fmt.Sprintf("%s %s: %s", v.In, v.Parameter, v.Detail))
	}
	if want := []string{"query limit: is required", "cookie session: is required"}; !slices.Equal(got, want) {
		t.Fatalf("violations %q, want %q", got, want)
	}
	if n := hits.Load(); n != 0 {
		t.Fatalf("the invalid call was sent (%d requests)", n)
	}
	if _, err := c.CreateItem(context.Background(), 7, &validationapi.CreateItemParams{Limit: 1, Session: "abcd"}, validationapi.Item{Name: "ab", Kind: "book"}); err != nil {
		t.Fatalf("valid call: %v", err)
	}
	if hits.Load() != 1 {
		t.Fatal("the valid call was not sent")
	}
}
