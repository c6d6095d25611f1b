package verify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/mock"
)

const (
	hooks   = "../testdata/mock/hooks.yaml"
	hookKey = "webhook-signing-key-for-verify-tests"
)

// tamper sits between a provider and the callback verify registers: the
// provider delivers to it, and it forwards each delivery changed by edit.
type tamper struct {
	mu     sync.Mutex
	target string // the callback verify registered, {webhook} kept
	edit   func(*http.Request, []byte) []byte
}

func (tp *tamper) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	tp.mu.Lock()
	target := tp.target
	tp.mu.Unlock()
	u := strings.ReplaceAll(target, "{webhook}", strings.TrimPrefix(r.URL.Path, "/"))
	out, err := http.NewRequestWithContext(r.Context(), r.Method, u, nil)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	out.Header = r.Header.Clone()
	body = tp.edit(out, body)
	out.Body, out.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	resp, err := http.DefaultClient.Do(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	resp.Body.Close()
	w.WriteHeader(resp.StatusCode)
}

// hookProvider is the mock of hooks.yaml sending order.created after
// createOrder; a non-nil edit routes its deliveries through a tamper.
func hookProvider(t *testing.T, doc *contracts.Document, after bool, edit func(*http.Request, []byte) []byte) *url.URL {
	t.Helper()
	o := mock.Options{Stateful: true, Secrets: map[string][]byte{"hook-sig": []byte(hookKey)}}
	if after {
		o.After = map[string][]string{"createOrder": {"order.created"}}
	}
	m, err := mock.New([]*contracts.Document{doc}, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	var h http.Handler = m
	if edit != nil {
		tp := &tamper{edit: edit}
		proxy := httptest.NewServer(tp)
		t.Cleanup(proxy.Close)
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodPut && r.URL.Path == "/__accord/callback" {
				var in struct{ URL string }
				_ = json.NewDecoder(r.Body).Decode(&in)
				tp.mu.Lock()
				tp.target = in.URL
				tp.mu.Unlock()
				b, _ := json.Marshal(map[string]string{"url": proxy.URL + "/{webhook}"})
				r.Body = io.NopCloser(bytes.NewReader(b))
			}
			m.ServeHTTP(w, r)
		})
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	return u
}

func runHooks(t *testing.T, doc *contracts.Document, target *url.URL, o Options) *Report {
	t.Helper()
	o.Target, o.Rate, o.MaxRequests, o.WebhookWait = target, -1, 50, 300*time.Millisecond
	rep, err := Run(context.Background(), doc, o)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func dump(rep *Report) string {
	var b bytes.Buffer
	_ = Write(&b, "text", rep)
	return b.String()
}

// accord mock signs its webhooks: verify registers its listener through
// the mock's callback endpoint, receives order.created and finds nothing.
func TestSignedWebhooksPass(t *testing.T) {
	t.Parallel()
	doc := load(t, hooks)
	rep := runHooks(t, doc, hookProvider(t, doc, true, nil), Options{
		Secrets: map[string][]byte{"hook-sig": []byte(hookKey)}, ExpectWebhooks: true})
	if len(rep.Findings) > 0 || rep.Webhooks == 0 {
		t.Fatalf("want a clean run with deliveries checked, got %d deliveries:\n%s", rep.Webhooks, dump(rep))
	}
}

// Each way a delivery can fail its signature is one finding of its kind,
// however often the provider retried.
func TestWebhookSignatureViolations(t *testing.T) {
	t.Parallel()
	doc := load(t, hooks)
	strip := func(r *http.Request, b []byte) []byte {
		r.Header.Del("Webhook-Signature")
		r.Header.Del("Webhook-Timestamp")
		return b
	}
	for _, c := range []struct {
		name, kind string
		edit       func(*http.Request, []byte) []byte
		key        bool
	}{
		{"unsigned", KindUnsignedWebhook, strip, true},
		{"unsigned, no key given", KindUnsignedWebhook, strip, false},
		{"body changed after signing", KindBadWebhookSignature, func(_ *http.Request, b []byte) []byte {
			return bytes.Replace(b, []byte(`"order.created"`), []byte(`"order.createx"`), 1)
		}, true},
		{"signed with another key", KindBadWebhookSignature, func(r *http.Request, b []byte) []byte {
			r.Header.Set("Webhook-Signature", "v1,AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")
			return b
		}, true},
		{"stale timestamp", KindBadWebhookSignature, func(r *http.Request, b []byte) []byte {
			r.Header.Set("Webhook-Timestamp", "1000000000")
			return b
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			o := Options{}
			if c.key {
				o.Secrets = map[string][]byte{"hook-sig": []byte(hookKey)}
			}
			rep := runHooks(t, doc, hookProvider(t, doc, true, c.edit), o)
			got := kinds(rep)[c.kind]
			if len(got) != 1 || !rep.Failed() || got[0].Operation != "orderCreated" || got[0].Pos.Line == 0 {
				t.Fatalf("want one %s finding on orderCreated with a position:\n%s", c.kind, dump(rep))
			}
		})
	}
}

// Without the key a signed delivery cannot be verified: a note says so
// instead of a finding.
func TestWebhookWithoutKeyIsNoted(t *testing.T) {
	t.Parallel()
	doc := load(t, hooks)
	rep := runHooks(t, doc, hookProvider(t, doc, true, nil), Options{})
	if rep.Failed() || !strings.Contains(strings.Join(rep.Notes, "\n"), "--secret hook-sig=KEY") {
		t.Fatalf("want a note asking for the key:\n%s", dump(rep))
	}
}

// A body the webhook's schema refuses is its own finding, beside the
// signature the change broke (the tamper cannot re-sign).
func TestWebhookInvalidBody(t *testing.T) {
	t.Parallel()
	doc := load(t, hooks)
	rep := runHooks(t, doc, hookProvider(t, doc, true, func(_ *http.Request, b []byte) []byte {
		var v map[string]any
		_ = json.Unmarshal(b, &v)
		delete(v, "data")
		out, _ := json.Marshal(v)
		return out
	}), Options{Secrets: map[string][]byte{"hook-sig": []byte(hookKey)}})
	k := kinds(rep)
	if len(k[KindInvalidWebhookBody]) != 1 || len(k[KindBadWebhookSignature]) != 1 {
		t.Fatalf("want an invalid body and a bad signature:\n%s", dump(rep))
	}
}

// No delivery at all: a note by default, a violation under ExpectWebhooks.
func TestNoWebhook(t *testing.T) {
	t.Parallel()
	doc := load(t, hooks)
	rep := runHooks(t, doc, hookProvider(t, doc, false, nil), Options{})
	if rep.Failed() || !strings.Contains(strings.Join(rep.Notes, "\n"), "no webhook arrived") {
		t.Fatalf("want a note:\n%s", dump(rep))
	}
	rep = runHooks(t, doc, hookProvider(t, doc, false, nil), Options{ExpectWebhooks: true})
	if len(kinds(rep)[KindNoWebhook]) != 1 {
		t.Fatalf("want a no-webhook finding:\n%s", dump(rep))
	}
}

// A provider without the mock's registration endpoint still gets checked
// at a fixed listener address the user configured it with; the note names it.
func TestCallbackRegistrationRefused(t *testing.T) {
	t.Parallel()
	doc := load(t, hooks)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }))
	t.Cleanup(srv.Close)
	u, _ := url.Parse(srv.URL)
	rep := runHooks(t, doc, u, Options{})
	if !strings.Contains(strings.Join(rep.Notes, "\n"), "PUT /__accord/callback answered 404") {
		t.Fatalf("want a registration note:\n%s", dump(rep))
	}
}
