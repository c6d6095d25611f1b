// Package verify checks a live provider against its OpenAPI contract: it
// sends every operation requests built from the contract's examples and
// schemas and reports answers the contract does not allow, idempotency keys
// that do not replay, and invalid input the provider fails on.
package verify

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/contracts"
	rt "github.com/accord-dev/accord/templates/runtime"
)

// Kinds of findings.
const (
	KindUndeclaredStatus    = "undeclared-status"
	KindInvalidBody         = "invalid-body"
	KindMissingHeader       = "missing-header"
	KindInvalidHeader       = "invalid-header"
	KindNoIdempotentReplay  = "no-idempotent-replay"
	KindServerError         = "server-error"
	KindServerErrorInvalid  = "server-error-on-invalid-input"
	KindAcceptedInvalid     = "accepted-invalid-input"
	KindRequestFailed       = "request-failed"
	SeverityError           = "error"
	SeverityWarning         = "warning"
	defaultMaxRequests      = 500
	defaultRate             = 50
	defaultTimeout          = 10 * time.Second
	maxResponseBody         = 8 << 20
	idempotencyHeaderName   = "Idempotency-Key"
	idempotentReplayedHeadr = "Idempotent-Replayed"
)

// Options configure a run.
type Options struct {
	// Target is the provider's base URL; requests go to this host only.
	Target *url.URL
	// Client sends the requests (default: 10s timeout, no redirects off
	// the target host).
	Client *http.Client
	// MaxRequests bounds the run (default 500); Rate bounds requests per
	// second (default 50; negative = unlimited).
	MaxRequests int
	Rate        float64
	// Seed makes synthesised requests reproducible.
	Seed uint64
	// Credentials per securityScheme (bearer token, "user:password", API
	// key); Secrets are signing keys per signature scheme.
	Credentials map[string]string
	Secrets     map[string][]byte
	// Operations restricts the run to these operation ids (all when empty).
	Operations []string
	// Webhooks of the contract are received on a listener at WebhookAddr
	// (default 127.0.0.1:0), registered with the provider by PUT
	// {"url": ...} at CallbackPath (default /__accord/callback, accord
	// mock's mechanism), and checked once WebhookWait (default 2s) passed
	// without a delivery. ExpectWebhooks makes no delivery a violation;
	// SkipWebhooks turns the check off.
	WebhookAddr    string
	CallbackPath   string
	WebhookWait    time.Duration
	ExpectWebhooks bool
	SkipWebhooks   bool
}

// Finding is one way the provider breaks its contract.
type Finding struct {
	Operation string `json:"operation"`
	Kind      string `json:"kind"`
	Severity  string `json:"severity"`
	Message   string `json:"message"`
	Method    string `json:"method"`
	Path      string `json:"path"`
	Status    int    `json:"status,omitempty"`
	// Pointer locates the operation in the contract (JSON pointer).
	Pointer string             `json:"pointer"`
	Pos     contracts.Position `json:"-"`
}

// Report is the outcome of a run; its JSON form is part of the CLI contract.
type Report struct {
	Contract   string `json:"contract"`
	Target     string `json:"target"`
	Operations int    `json:"operations"`
	Requests   int    `json:"requests"`
	// Webhooks counts the deliveries checked.
	Webhooks int       `json:"webhooks,omitempty"`
	Checked  []string  `json:"checked"`
	Findings []Finding `json:"findings"`
	Notes    []string  `json:"notes,omitempty"`
}

// Failed says whether any finding is an error.
func (r *Report) Failed() bool {
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}

// errBudget ends a run when MaxRequests is spent.
var errBudget = errors.New("request budget spent")

type runner struct {
	o       Options
	doc     *contracts.Document
	rep     *Report
	sent    int
	next    time.Time
	created map[string]string // collection template → an id it created
	schemes map[string]contracts.SignatureScheme
}

// Run verifies the provider at o.Target against doc.
func Run(ctx context.Context, doc *contracts.Document, o Options) (*Report, error) {
	if doc.Kind != contracts.KindOpenAPI {
		return nil, fmt.Errorf("verify checks OpenAPI contracts; %s is %s", doc.Name, doc.Kind)
	}
	if o.Target == nil || o.Target.Host == "" || (o.Target.Scheme != "http" && o.Target.Scheme != "https") {
		return nil, fmt.Errorf("the target must be an http(s) URL with a host")
	}
	if o.MaxRequests <= 0 {
		o.MaxRequests = defaultMaxRequests
	}
	if o.Rate == 0 {
		o.Rate = defaultRate
	}
	if o.Client == nil {
		target := o.Target.Host
		o.Client = &http.Client{
			Timeout: defaultTimeout,
			CheckRedirect: func(req *http.Request, _ []*http.Request) error {
				if req.URL.Host != target {
					return http.ErrUseLastResponse // only the target host is ever contacted
				}
				return nil
			},
		}
	}
	r := &runner{o: o, doc: doc, rep: &Report{Contract: doc.Name, Target: o.Target.String(), Findings: []Finding{}, Checked: []string{}}, created: map[string]string{}}
	r.schemes, _ = doc.SignatureSchemes()
	ops := r.plan()
	r.rep.Operations = len(ops)
	err := r.withWebhooks(ctx, func() error { return r.all(ctx, ops) })
	r.rep.Requests = r.sent
	if errors.Is(err, errBudget) {
		r.rep.Notes = append(r.rep.Notes, fmt.Sprintf("stopped after %d requests (--max-requests); later checks were not run", r.sent))
		err = nil
	}
	return r.rep, err
}

// withWebhooks runs the checks with a webhook listener registered when
// the contract declares webhooks, then checks what was delivered.
func (r *runner) withWebhooks(ctx context.Context, checks func() error) error {
	hooks := r.webhooks()
	if r.o.SkipWebhooks || len(hooks) == 0 {
		return checks()
	}
	l, err := startHookListener(r.o.WebhookAddr)
	if err != nil {
		return err
	}
	if err := r.register(ctx, l); err != nil {
		l.close()
		return err
	}
	err = checks()
	wait := r.o.WebhookWait
	if wait <= 0 {
		wait = defaultWebhookWait
	}
	if err == nil || errors.Is(err, errBudget) {
		l.wait(ctx, wait)
	}
	got := l.close()
	if err == nil || errors.Is(err, errBudget) {
		r.checkDeliveries(hooks, got, wait)
	}
	return err
}

// all runs the valid probes of every operation, then the invalid ones: an
// invalid body a provider wrongly accepts must not spoil the other checks.
func (r *runner) all(ctx context.Context, ops []op) error {
	valid := make([]request, len(ops))
	for i, o := range ops {
		rq, err := r.check(ctx, o)
		if err != nil {
			return err
		}
		valid[i] = rq
		r.rep.Checked = append(r.rep.Checked, o.id)
	}
	for i, o := range ops {
		if err := r.negative(ctx, o, valid[i]); err != nil {
			return err
		}
	}
	return nil
}

// op is one operation to check.
type op struct {
	id, method, path, pointer string
	item                      *openapi3.PathItem
	op                        *openapi3.Operation
	policy                    contracts.Policy
	keyed                     bool
}

// plan orders the operations so that creations run before the operations
// that address what they created: POST on a collection, then reads and
// changes, DELETE last.
func (r *runner) plan() []op {
	policies, _ := r.doc.Policies()
	want := map[string]bool{}
	for _, id := range r.o.Operations {
		want[id] = true
	}
	var out []op
	for _, p := range policies {
		if p.Webhook {
			continue
		}
		if len(want) > 0 && !want[p.ID] {
			continue
		}
		item := r.doc.OpenAPI.Paths.Value(p.Path)
		if item == nil {
			continue
		}
		o := item.GetOperation(p.Method)
		if o == nil {
			continue
		}
		mode := p.Policy.Idempotency
		keyed := declaresKey(item, o) || (p.Policy.IdempotencyExplicit && (mode == contracts.IdempotencyRequired || mode == contracts.IdempotencyOptional))
		out = append(out, op{id: p.ID, method: p.Method, path: p.Path, item: item, op: o, policy: p.Policy, keyed: keyed,
			pointer: contracts.Pointer("paths", p.Path, strings.ToLower(p.Method))})
	}
	rank := map[string]int{"POST": 0, "GET": 1, "HEAD": 1, "PUT": 2, "PATCH": 2, "OPTIONS": 3, "TRACE": 3, "DELETE": 4}
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if rank[a.method] != rank[b.method] {
			return rank[a.method] < rank[b.method]
		}
		return strings.Count(a.path, "/") < strings.Count(b.path, "/")
	})
	return out
}

func declaresKey(item *openapi3.PathItem, o *openapi3.Operation) bool {
	for _, p := range params(item, o) {
		if p.In == openapi3.ParameterInHeader && http.CanonicalHeaderKey(p.Name) == idempotencyHeaderName {
			return true
		}
	}
	return false
}

func params(item *openapi3.PathItem, o *openapi3.Operation) []*openapi3.Parameter {
	byKey := map[string]*openapi3.Parameter{}
	var order []string
	for _, ps := range []openapi3.Parameters{item.Parameters, o.Parameters} {
		for _, p := range ps {
			if p.Value == nil {
				continue
			}
			k := p.Value.In + ":" + p.Value.Name
			if _, ok := byKey[k]; !ok {
				order = append(order, k)
			}
			byKey[k] = p.Value // operation parameters override the path's
		}
	}
	out := make([]*openapi3.Parameter, len(order))
	for i, k := range order {
		out[i] = byKey[k]
	}
	return out
}

// check sends an operation's valid request (and its replay) and returns
// it for the negative probes.
func (r *runner) check(ctx context.Context, o op) (request, error) {
	probe, skip := r.build(o)
	if skip != "" {
		r.rep.Notes = append(r.rep.Notes, o.id+": "+skip)
		return request{}, nil
	}
	first, err := r.send(ctx, o, probe)
	if err != nil || first == nil {
		return probe, err
	}
	r.checkResponse(o, first)
	if first.status >= 500 {
		r.add(o, KindServerError, SeverityError, first.status, fmt.Sprintf("a request built from the contract got %d", first.status))
	}
	if first.status >= 200 && first.status < 300 {
		r.remember(o, first)
		if o.keyed {
			again, err := r.send(ctx, o, probe)
			if err != nil {
				return probe, err
			}
			if again != nil {
				r.checkReplay(o, first, again)
			}
		}
	}
	return probe, nil
}

// remember keeps the id a collection POST returned, for the operations
// that address one resource of it.
func (r *runner) remember(o op, res *result) {
	if o.method != http.MethodPost {
		return
	}
	var v map[string]any
	if json.Unmarshal(res.body, &v) != nil {
		return
	}
	if id, ok := v["id"].(string); ok && id != "" {
		r.created[strings.TrimSuffix(o.path, "/")] = id
	}
}

func (r *runner) checkReplay(o op, first, again *result) {
	if again.status != first.status || !jsonEqual(first.body, again.body) {
		r.add(o, KindNoIdempotentReplay, SeverityError, again.status,
			fmt.Sprintf("a repeated Idempotency-Key got %d %s, the first request %d %s: the provider did not replay its answer",
				again.status, snippet(again.body), first.status, snippet(first.body)))
		return
	}
	if again.header.Get(idempotentReplayedHeadr) != "true" {
		r.add(o, KindNoIdempotentReplay, SeverityWarning, again.status, "the replayed answer lacks Idempotent-Replayed: true")
	}
}

func jsonEqual(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return bytes.Equal(a, b)
	}
	xa, _ := json.Marshal(x)
	ya, _ := json.Marshal(y)
	return bytes.Equal(xa, ya)
}

func snippet(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 120 {
		s = s[:120] + "…"
	}
	return s
}

func (r *runner) add(o op, kind, sev string, status int, msg string) {
	r.rep.Findings = append(r.rep.Findings, Finding{
		Operation: o.id, Kind: kind, Severity: sev, Message: msg, Method: o.method, Path: o.path,
		Status: status, Pointer: o.pointer, Pos: r.doc.Pos(o.pointer),
	})
}

// result is one answer, body read.
type result struct {
	status int
	header http.Header
	body   []byte
}

// send sends one request (fresh idempotency key unless the request sets
// one, fresh signature), within the budget and the rate. A nil result with
// a nil error means the transport failed and a finding says so.
func (r *runner) send(ctx context.Context, o op, rq request) (*result, error) {
	if r.sent >= r.o.MaxRequests {
		return nil, errBudget
	}
	if err := r.pace(ctx); err != nil {
		return nil, err
	}
	r.sent++
	u := *r.o.Target
	u.Path = strings.TrimSuffix(u.Path, "/") + rq.path
	u.RawPath = ""
	u.RawQuery = rq.query.Encode()
	req, err := http.NewRequestWithContext(ctx, o.method, u.String(), bytes.NewReader(rq.body))
	if err != nil {
		return nil, fmt.Errorf("%s: building the request: %w", o.id, err)
	}
	if rq.body == nil {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	for k, vs := range rq.header {
		req.Header[k] = vs
	}
	if name := o.policy.Signature; name != "" {
		if key, ok := r.o.Secrets[name]; ok {
			sg := rt.Signer{Scheme: runtimeScheme(r.schemes[name]), Secrets: rt.StaticSecrets{key}}
			if err := sg.Sign(ctx, req, rq.body); err != nil {
				return nil, fmt.Errorf("%s: signing with %s: %w", o.id, name, err)
			}
		}
	}
	resp, err := r.o.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		r.add(o, KindRequestFailed, SeverityError, 0, fmt.Sprintf("%s %s: %v", o.method, rq.path, err))
		return nil, nil
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBody))
	if err != nil {
		r.add(o, KindRequestFailed, SeverityError, resp.StatusCode, fmt.Sprintf("reading the answer: %v", err))
		return nil, nil
	}
	return &result{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

func (r *runner) pace(ctx context.Context) error {
	if r.o.Rate < 0 {
		return nil
	}
	now := time.Now()
	if wait := r.next.Sub(now); wait > 0 {
		t := time.NewTimer(wait)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
			return ctx.Err()
		}
		now = r.next
	}
	r.next = now.Add(time.Duration(float64(time.Second) / r.o.Rate))
	return nil
}

func runtimeScheme(sc contracts.SignatureScheme) rt.SignatureScheme {
	return rt.SignatureScheme{
		Name: sc.Name, Format: rt.SignatureFormat(sc.Format), SignatureHeader: sc.SignatureHeader,
		TimestampHeader: sc.TimestampHeader, NonceHeader: sc.NonceHeader, Tolerance: sc.Tolerance,
	}
}

func newKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "verify-" + hex.EncodeToString(b[:])
}
