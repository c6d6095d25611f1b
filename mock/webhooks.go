package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/contracts"
	rt "github.com/accord-dev/accord/templates/runtime"
)

// Delivery is one webhook delivery attempt as /__accord/webhooks lists it.
type Delivery struct {
	Seq       int64     `json:"seq"`
	Time      time.Time `json:"time"`
	Webhook   string    `json:"webhook"`
	URL       string    `json:"url"`
	WebhookID string    `json:"webhookId"`
	Attempt   int       `json:"attempt"`
	Status    int       `json:"status,omitempty"`
	Error     string    `json:"error,omitempty"`
	// Duplicate marks the extra copy a duplicate fault sends; Reordered a
	// delivery held back behind the next one.
	Duplicate bool `json:"duplicate,omitempty"`
	Reordered bool `json:"reordered,omitempty"`
}

// webhookOp is a webhook the contracts declare.
type webhookOp struct {
	name   string
	op     *openapi3.Operation
	policy contracts.Policy
}

type delivery struct {
	hook      *webhookOp
	body      []byte
	id        string
	duplicate bool
	reordered bool
}

// reorderWait bounds how long a reordered delivery waits for a successor;
// duplicateDelay separates a duplicate from its original by more than the
// one-second timestamp resolution, as a sender's redelivery would be.
const (
	reorderWait    = 2 * time.Second
	duplicateDelay = 1100 * time.Millisecond
)

// hooks sends webhooks from one goroutine, in order (unless a fault
// reorders them), so deliveries are as reproducible as the seed makes them.
type hooks struct {
	s        *Server
	ops      map[string]*webhookOp
	client   *http.Client
	mu       sync.Mutex
	callback string
	log      []Delivery
	seq      int64
	n        int64
	rng      *rand.Rand
	queue    chan delivery
	ctx      context.Context
	stop     context.CancelFunc
	done     chan struct{}
	once     sync.Once
}

func newHooks(s *Server, docs []*contracts.Document, callback string) *hooks {
	ctx, stop := context.WithCancel(context.Background())
	h := &hooks{s: s, ops: map[string]*webhookOp{}, client: &http.Client{Timeout: 10 * time.Second}, callback: callback,
		rng: rand.New(rand.NewPCG(s.seed, 0x77656268)), queue: make(chan delivery, 1024), ctx: ctx, stop: stop, done: make(chan struct{})}
	for _, doc := range docs {
		if doc.Kind != contracts.KindOpenAPI {
			continue
		}
		policies, _ := doc.Policies()
		for _, p := range policies {
			if !p.Webhook {
				continue
			}
			item := doc.OpenAPI.Webhooks[p.Path]
			if item == nil || item.GetOperation(p.Method) == nil {
				continue
			}
			h.ops[p.Path] = &webhookOp{name: p.Path, op: item.GetOperation(p.Method), policy: p.Policy}
		}
	}
	return h
}

// trigger queues the webhooks configured after an operation; resp is the
// operation's answer, which goes into the event's data when it fits.
func (h *hooks) trigger(opID string, resp []byte) {
	for _, name := range h.s.opts.After[opID] {
		hook := h.ops[name]
		if hook == nil {
			continue
		}
		h.mu.Lock()
		h.n++
		n := h.n
		h.mu.Unlock()
		body := h.body(hook, n, resp)
		h.start()
		select {
		case h.queue <- delivery{hook: hook, body: body, id: fmt.Sprintf("msg_%d_%d", h.s.seed, n)}:
		default:
			h.s.logger.Warn("webhook queue full; delivery dropped", "webhook", name)
		}
	}
}

func (h *hooks) body(hook *webhookOp, n int64, resp []byte) []byte {
	rb := hook.op.RequestBody
	if rb == nil || rb.Value == nil {
		return nil
	}
	_, mt := mediaType(rb.Value.Content)
	if mt == nil {
		return nil
	}
	v, ok := exampleValue(mt, "")
	if !ok {
		v = NewGenerator(h.s.seed, hook.name+"#"+strconv.FormatInt(n, 10), Request).Value(mt.Schema)
	}
	if obj, isObj := v.(map[string]any); isObj && mt.Schema != nil && mt.Schema.Value != nil {
		props, _ := properties(mt.Schema.Value)
		var data map[string]any
		if p := props["data"]; p != nil && json.Unmarshal(resp, &data) == nil {
			obj["data"] = data
		}
		if p := props["id"]; p != nil && p.Value != nil && typeOf(p.Value) == "string" {
			obj["id"] = fmt.Sprintf("evt_%d", n)
		}
	}
	body, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return body
}

func (h *hooks) start() {
	h.once.Do(func() { go h.run() })
}

// run delivers in queue order; a reorder fault holds a delivery until the
// next one is sent (or reorderWait passes).
func (h *hooks) run() {
	defer close(h.done)
	var held *delivery
	var flush <-chan time.Time
	for {
		select {
		case <-h.ctx.Done():
			return
		case <-flush:
			h.deliver(*held)
			held, flush = nil, nil
		case d := <-h.queue:
			if !d.duplicate {
				dec := h.s.faults.decide(d.hook.name, http.MethodPost, d.hook.name)
				if dec.duplicate {
					dup := d
					dup.duplicate = true
					time.AfterFunc(duplicateDelay, func() {
						select {
						case h.queue <- dup:
						case <-h.ctx.Done():
						}
					})
				}
				if dec.reorder && held == nil {
					d.reordered = true
					held, flush = &d, time.After(reorderWait)
					continue
				}
			}
			h.deliver(d)
			if held != nil {
				h.deliver(*held)
				held, flush = nil, nil
			}
		}
	}
}

// deliver sends one webhook, signed afresh per attempt with the same
// webhook id, retried with full-jitter backoff as its policy says.
func (h *hooks) deliver(d delivery) {
	h.mu.Lock()
	target := strings.ReplaceAll(h.callback, "{webhook}", d.hook.name)
	h.mu.Unlock()
	if target == "" {
		return
	}
	attempts := 1 + min(d.hook.policy.Retries, 10)
	if d.duplicate {
		attempts = 1 // a duplicate is one stray copy, not a delivery to insist on
	}
	for i := range attempts {
		if i > 0 && !h.sleep(d.hook.policy, i) {
			return
		}
		status, err := h.send(d, target)
		e := Delivery{Time: time.Now(), Webhook: d.hook.name, URL: target, WebhookID: d.id, Attempt: i + 1, Status: status,
			Duplicate: d.duplicate, Reordered: d.reordered}
		if err != nil {
			e.Error = err.Error()
		}
		h.record(e)
		if err == nil && status >= 200 && status < 300 {
			return
		}
	}
}

func (h *hooks) sleep(p contracts.Policy, retry int) bool {
	base, ceiling := p.BackoffBase, p.BackoffCap
	if base <= 0 {
		base = 100 * time.Millisecond
	}
	if ceiling <= 0 {
		ceiling = 5 * time.Second
	}
	d := min(ceiling, base<<min(retry-1, 20))
	h.mu.Lock()
	wait := time.Duration(h.rng.Int64N(int64(d) + 1))
	h.mu.Unlock()
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-h.ctx.Done():
		return false
	}
}

func (h *hooks) send(d delivery, target string) (int, error) {
	req, err := http.NewRequestWithContext(h.ctx, http.MethodPost, target, bytes.NewReader(d.body))
	if err != nil {
		return 0, fmt.Errorf("building the delivery: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Webhook-Id", d.id)
	if name := d.hook.policy.Signature; name != "" {
		sg := rt.Signer{Scheme: runtimeScheme(h.s.schemes[name]), Secrets: rt.StaticSecrets{h.s.secrets[name]}}
		if err := sg.Sign(h.ctx, req, d.body); err != nil {
			return 0, fmt.Errorf("signing with %s: %w", name, err)
		}
	}
	resp, err := h.client.Do(req)
	if err != nil {
		return 0, err
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp.StatusCode, nil
}

func (h *hooks) record(e Delivery) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.seq++
	e.Seq = h.seq
	if len(h.log) >= 10000 {
		h.log = append(h.log[:0], h.log[1000:]...)
	}
	h.log = append(h.log, e)
}

// Deliveries returns the webhook delivery attempts, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.hooks.mu.Lock()
	defer s.hooks.mu.Unlock()
	return append([]Delivery(nil), s.hooks.log...)
}

// serveWebhooks answers GET /__accord/webhooks with the deliveries and
// PUT /__accord/callback {"url": "..."} by registering the callback.
func (s *Server) serveWebhooks(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodPut {
		var in struct {
			URL string `json:"url"`
		}
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<16)).Decode(&in); err != nil || !strings.HasPrefix(in.URL, "http") {
			rt.WriteProblem(w, r, rt.ProblemDetails{Status: http.StatusBadRequest, Detail: `want {"url": "http(s)://..."}`})
			return
		}
		s.hooks.mu.Lock()
		s.hooks.callback = in.URL
		s.hooks.mu.Unlock()
		w.WriteHeader(http.StatusNoContent)
		return
	}
	body, err := json.Marshal(s.Deliveries())
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

// Close stops webhook deliveries (those in flight end). Serve calls it.
func (s *Server) Close() {
	s.hooks.stop()
	s.hooks.once.Do(func() { close(s.hooks.done) }) // never started
	<-s.hooks.done
}
