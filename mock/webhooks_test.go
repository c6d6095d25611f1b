package mock

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	rt "github.com/accord-dev/accord/templates/runtime"
)

const hooksContract = "../testdata/mock/hooks.yaml"

const hookKey = "webhook-signing-key-for-mock-tests"

// receiver records webhook deliveries, verifying each signature with the
// runtime's verifier; fail makes the first n deliveries answer 500.
type receiver struct {
	mu   sync.Mutex
	got  []map[string]any
	ids  []string
	fail int
	t    *testing.T
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	v := rt.Verifier{Scheme: rt.SignatureScheme{Name: "hook-sig", Format: rt.FormatStandardWebhooks}, Secrets: rt.StaticSecrets{[]byte(hookKey)}}
	if _, err := v.Verify(r.Context(), r, body); err != nil {
		rc.t.Errorf("delivery signature: %v", err)
	}
	if r.URL.Path != "/hooks/order.created" {
		rc.t.Errorf("delivered to %s", r.URL.Path)
	}
	rc.mu.Lock()
	defer rc.mu.Unlock()
	rc.ids = append(rc.ids, r.Header.Get("Webhook-Id"))
	if rc.fail > 0 {
		rc.fail--
		w.WriteHeader(500)
		return
	}
	var m map[string]any
	_ = json.Unmarshal(body, &m)
	rc.got = append(rc.got, m)
	w.WriteHeader(204)
}

func (rc *receiver) events() []map[string]any {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]map[string]any(nil), rc.got...)
}

func hookServer(t *testing.T, rc *receiver, faults ...Fault) (*Server, *httptest.Server) {
	t.Helper()
	hooksrv := httptest.NewServer(rc)
	t.Cleanup(hooksrv.Close)
	m, srv := start(t, Options{Stateful: true, Faults: faults, Callback: hooksrv.URL + "/hooks/{webhook}",
		After: map[string][]string{"createOrder": {"order.created"}}, Secrets: map[string][]byte{"hook-sig": []byte(hookKey)}}, hooksContract)
	t.Cleanup(m.Close)
	return m, srv
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// After createOrder the mock sends order.created, signed, carrying the
// created order; a failed delivery is retried with the same webhook id.
func TestWebhookSentSignedAndRetried(t *testing.T) {
	rc := &receiver{t: t, fail: 1}
	m, srv := hookServer(t, rc)
	created := do(t, "POST", srv.URL+"/orders", `{"sku":"lamp"}`).json(t)
	waitFor(t, "the retried delivery", func() bool { return len(rc.events()) == 1 && len(m.Deliveries()) == 2 })
	ev := rc.events()[0]
	data, _ := ev["data"].(map[string]any)
	if ev["type"] != "order.created" || data["id"] != created["id"] || data["sku"] != "lamp" {
		t.Fatalf("event %v for order %v", ev, created)
	}
	ds := m.Deliveries()
	if len(ds) != 2 || ds[0].Status != 500 || ds[1].Status != 204 || ds[1].Attempt != 2 || ds[0].WebhookID != ds[1].WebhookID {
		t.Fatalf("deliveries %+v", ds)
	}
	if rc.ids[0] != rc.ids[1] {
		t.Fatalf("webhook ids %v", rc.ids)
	}
}

// A reorder fault delivers the first event after the second; a duplicate
// fault delivers one event twice with the same webhook id.
func TestWebhookReorderAndDuplicate(t *testing.T) {
	rc := &receiver{t: t}
	m, srv := hookServer(t, rc, Fault{Operation: "order.created", Reorder: true, Times: 1}, Fault{Operation: "order.created", Duplicate: true, Times: 1})
	var orders []string
	for _, sku := range []string{"a", "b", "c"} {
		orders = append(orders, do(t, "POST", srv.URL+"/orders", `{"sku":"`+sku+`"}`).json(t)["id"].(string))
	}
	// The mock records a delivery after the receiver answered it: wait for
	// both sides, or a slow (race-detector) run reads three records.
	waitFor(t, "four deliveries", func() bool { return len(rc.events()) == 4 && len(m.Deliveries()) == 4 })
	var skus []string
	for _, ev := range rc.events() {
		skus = append(skus, ev["data"].(map[string]any)["sku"].(string))
	}
	// a is held behind b and duplicated (both rules apply to the first
	// decision); its copy arrives about a second later, after c.
	want := []string{"b", "a", "c", "a"}
	for i := range want {
		if skus[i] != want[i] {
			t.Fatalf("delivered %v, want %v (orders %v)", skus, want, orders)
		}
	}
	ds := m.Deliveries()
	if !ds[1].Reordered || !ds[3].Duplicate || ds[3].WebhookID != ds[1].WebhookID || ds[0].WebhookID == ds[1].WebhookID {
		t.Fatalf("deliveries %+v", ds)
	}
}
