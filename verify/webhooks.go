package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/contracts"
	rt "github.com/accord-dev/accord/templates/runtime"
)

// Kinds of webhook findings.
const (
	KindUnsignedWebhook     = "unsigned-webhook"
	KindBadWebhookSignature = "bad-webhook-signature"
	KindInvalidWebhookBody  = "invalid-webhook-body"
	KindUnknownWebhook      = "unknown-webhook"
	KindNoWebhook           = "no-webhook"
	defaultWebhookWait      = 2 * time.Second
	defaultCallbackPath     = "/__accord/callback"
	maxWebhookBody          = 1 << 20
	maxDeliveries           = 1000
)

// hookOp is a webhook the contract declares.
type hookOp struct {
	name, id, method, pointer string
	op                        *openapi3.Operation
	policy                    contracts.Policy
}

// delivered is one request the listener received.
type delivered struct {
	at     time.Time
	method string
	path   string
	url    *url.URL
	host   string
	header http.Header
	body   []byte
}

// hookListener is the loopback endpoint webhooks are delivered to during a
// run. It answers every delivery 204: verify inspects, it does not judge in
// band, and a refusal would only make the provider retry into the budget.
type hookListener struct {
	srv  *http.Server
	ln   net.Listener
	done chan struct{}
	mu   sync.Mutex
	got  []delivered
	last time.Time
}

func startHookListener(addr string) (*hookListener, error) {
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("webhook listener on %s: %w", addr, err)
	}
	l := &hookListener{ln: ln, done: make(chan struct{})}
	l.srv = &http.Server{Handler: l, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		defer close(l.done)
		_ = l.srv.Serve(ln)
	}()
	return l, nil
}

func (l *hookListener) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxWebhookBody))
	if err != nil {
		http.Error(w, "reading the body", http.StatusBadRequest)
		return
	}
	l.mu.Lock()
	if len(l.got) < maxDeliveries {
		l.got = append(l.got, delivered{at: time.Now(), method: r.Method, path: r.URL.Path, url: r.URL, host: r.Host, header: r.Header.Clone(), body: body})
	}
	l.last = time.Now()
	l.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
}

// url is the callback URL with the mock's {webhook} placeholder, so each
// delivery's path names its webhook.
func (l *hookListener) url() string { return "http://" + l.ln.Addr().String() + "/{webhook}" }

// wait returns once quiet has passed since the later of start and the last
// delivery, and never later than four times quiet: deliveries are
// asynchronous and their number unknown, so silence is the only end.
func (l *hookListener) wait(ctx context.Context, quiet time.Duration) {
	start := time.Now()
	limit := start.Add(4 * quiet)
	for {
		l.mu.Lock()
		from := l.last
		l.mu.Unlock()
		if from.Before(start) {
			from = start
		}
		until := from.Add(quiet)
		if until.After(limit) {
			until = limit
		}
		d := time.Until(until)
		if d <= 0 {
			return
		}
		t := time.NewTimer(min(d, 50*time.Millisecond))
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

func (l *hookListener) close() []delivered {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = l.srv.Shutdown(ctx)
	<-l.done
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]delivered(nil), l.got...)
}

// webhooks lists the contract's webhooks.
func (r *runner) webhooks() []hookOp {
	policies, _ := r.doc.Policies()
	var out []hookOp
	for _, p := range policies {
		if !p.Webhook {
			continue
		}
		item := r.doc.OpenAPI.Webhooks[p.Path]
		if item == nil || item.GetOperation(p.Method) == nil {
			continue
		}
		out = append(out, hookOp{name: p.Path, id: p.ID, method: p.Method, op: item.GetOperation(p.Method), policy: p.Policy,
			pointer: contracts.Pointer("webhooks", p.Path, strings.ToLower(p.Method))})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out
}

// register asks the provider to deliver to the listener through accord's
// sandbox mechanism (PUT {"url": ...}); a provider without it is told the
// URL in a note, to configure it by hand.
func (r *runner) register(ctx context.Context, l *hookListener) error {
	path := r.o.CallbackPath
	if path == "" {
		path = defaultCallbackPath
	}
	if r.sent >= r.o.MaxRequests {
		return errBudget
	}
	if err := r.pace(ctx); err != nil {
		return err
	}
	r.sent++
	u := *r.o.Target
	u.Path = strings.TrimSuffix(u.Path, "/") + path
	u.RawPath, u.RawQuery = "", ""
	body, _ := json.Marshal(map[string]string{"url": l.url()})
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, u.String(), bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("building the callback registration: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := r.o.Client.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		r.rep.Notes = append(r.rep.Notes, fmt.Sprintf("webhooks: registering the callback at PUT %s failed (%v); deliveries to %s are still checked", path, err, l.url()))
		return nil
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		r.rep.Notes = append(r.rep.Notes, fmt.Sprintf("webhooks: PUT %s answered %d, so the provider learns no callback from verify; deliveries to %s are still checked", path, resp.StatusCode, l.url()))
	}
	return nil
}

// checkDeliveries attributes each delivery to a webhook (by the path the
// {webhook} placeholder produced, else the only webhook there is) and
// checks its signature and body. Findings repeat once per webhook and kind:
// a provider's retries of one bad delivery are one violation.
func (r *runner) checkDeliveries(hooks []hookOp, got []delivered, wait time.Duration) {
	if len(got) == 0 {
		msg := fmt.Sprintf("no webhook arrived within %s of the last operation", wait)
		if r.o.ExpectWebhooks {
			h := hooks[0]
			r.addHook(h, KindNoWebhook, SeverityError, msg+" (--expect-webhooks)")
		} else {
			r.rep.Notes = append(r.rep.Notes, "webhooks: "+msg+"; their signatures were not checked")
		}
		return
	}
	byName := map[string]hookOp{}
	for _, h := range hooks {
		byName[h.name] = h
	}
	seen := map[string]bool{}
	missingKey := map[string]bool{}
	add := func(h hookOp, kind, msg string) {
		if k := h.name + "\x00" + kind + "\x00" + msg; !seen[k] {
			seen[k] = true
			r.addHook(h, kind, SeverityError, msg)
		}
	}
	for _, d := range got {
		h, ok := byName[strings.TrimPrefix(d.path, "/")]
		if !ok && len(hooks) == 1 {
			h, ok = hooks[0], true
		}
		if !ok {
			add(hookOp{name: d.path, id: "(unknown)", method: d.method}, KindUnknownWebhook,
				fmt.Sprintf("a delivery to %s names no webhook of the contract (declared: %s)", d.path, hookNames(hooks)))
			continue
		}
		r.rep.Webhooks++
		if name := h.policy.Signature; name != "" {
			r.checkSignature(h, d, name, add, missingKey)
		}
		r.checkHookBody(h, d, add)
	}
	for _, h := range hooks {
		if missingKey[h.name] {
			r.rep.Notes = append(r.rep.Notes, fmt.Sprintf("webhooks: %s carries signature headers, but without --secret %s=KEY they were not verified", h.name, h.policy.Signature))
		}
	}
}

func (r *runner) checkSignature(h hookOp, d delivered, scheme string, add func(hookOp, string, string), missingKey map[string]bool) {
	sc := runtimeScheme(r.schemes[scheme])
	key, haveKey := r.o.Secrets[scheme]
	req := &http.Request{Method: d.method, URL: d.url, Header: d.header, Host: d.host}
	if !haveKey {
		// Without the key only the presence of the signature is checkable:
		// verifying against a throwaway key separates "missing" from the rest.
		_, err := rt.Verifier{Scheme: sc, Secrets: rt.StaticSecrets{[]byte("verify-has-no-key-for-this-scheme")}}.Verify(context.Background(), req, d.body)
		if errors.Is(err, rt.ErrSignatureMissing) {
			add(h, KindUnsignedWebhook, fmt.Sprintf("a %s delivery carries no %s signature: %v", h.name, scheme, err))
		} else {
			missingKey[h.name] = true
		}
		return
	}
	v := rt.Verifier{Scheme: sc, Secrets: rt.StaticSecrets{key}}
	_, err := v.Verify(context.Background(), req, d.body)
	switch {
	case err == nil:
	case errors.Is(err, rt.ErrSignatureMissing):
		add(h, KindUnsignedWebhook, fmt.Sprintf("a %s delivery carries no %s signature: %v", h.name, scheme, err))
	case errors.Is(err, rt.ErrSignatureInvalid), errors.Is(err, rt.ErrSignatureStale):
		add(h, KindBadWebhookSignature, fmt.Sprintf("a %s delivery's %s signature does not verify: %v", h.name, scheme, err))
	default:
		add(h, KindBadWebhookSignature, fmt.Sprintf("checking a %s delivery's %s signature: %v", h.name, scheme, err))
	}
}

func (r *runner) checkHookBody(h hookOp, d delivered, add func(hookOp, string, string)) {
	if d.method != h.method {
		add(h, KindUnknownWebhook, fmt.Sprintf("%s was delivered with %s; the contract declares %s", h.name, d.method, h.method))
	}
	rb := h.op.RequestBody
	if rb == nil || rb.Value == nil {
		return
	}
	ct := d.header.Get("Content-Type")
	mt := rb.Value.Content.Get(ct)
	if mt == nil {
		add(h, KindInvalidWebhookBody, fmt.Sprintf("Content-Type %q is not declared for %s (declared: %s)", ct, h.name, strings.Join(sortedKeys(rb.Value.Content), ", ")))
		return
	}
	if mt.Schema == nil || mt.Schema.Value == nil || !isJSONType(ct) {
		return
	}
	var v any
	if err := json.Unmarshal(d.body, &v); err != nil {
		add(h, KindInvalidWebhookBody, "the delivery is not JSON: "+err.Error())
		return
	}
	opts := []openapi3.SchemaValidationOption{openapi3.MultiErrors(), openapi3.VisitAsRequest()}
	if r.doc.OpenAPI.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	if err := mt.Schema.Value.VisitJSON(v, opts...); err != nil {
		add(h, KindInvalidWebhookBody, "the delivery does not match its schema: "+schemaErrors(err))
	}
}

func (r *runner) addHook(h hookOp, kind, sev, msg string) {
	f := Finding{Operation: h.id, Kind: kind, Severity: sev, Message: msg, Method: h.method, Path: h.name, Pointer: h.pointer}
	if h.pointer != "" {
		f.Pos = r.doc.Pos(h.pointer)
	}
	r.rep.Findings = append(r.rep.Findings, f)
}

func hookNames(hooks []hookOp) string {
	names := make([]string, len(hooks))
	for i, h := range hooks {
		names[i] = h.name
	}
	return strings.Join(names, ", ")
}
