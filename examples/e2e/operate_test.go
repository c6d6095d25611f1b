package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"sync/atomic"
	"testing"

	"github.com/accord-dev/accord/examples/crm/crmapi"
)

// TestKillSwitchesOverLoopback: an operator switches getCustomer off. The
// generated server answers 503 problem + Retry-After without running the
// handler; the generated client, given the same switches, fails with
// ErrDisabled without sending anything. Switched on again, both work.
func TestKillSwitchesOverLoopback(t *testing.T) {
	t.Parallel()
	var served atomic.Int64
	counted := crmapi.WithServerHooks(crmapi.ServerHooks{OnRequest: func(crmapi.ServerRequestInfo) { served.Add(1) }})
	sw := crmapi.NewMemorySwitches()
	srv := startCRM(t, &catalog{}, counted, crmapi.WithServerSwitches(sw))

	// The server's switch: a client that does not know about it is refused.
	plain := newCRMClient(t, srv.URL, crmapi.WithPolicy(func(_ string, p *crmapi.Policy) { p.Retries = 0 }))
	sw.SetEnabled("getCustomer", false)
	_, err := plain.GetCustomer(context.Background(), "cus_1")
	re := asResponseError(t, err)
	if re.StatusCode != http.StatusServiceUnavailable || re.Header.Get("Retry-After") == "" {
		t.Fatalf("switched-off operation: %v (Retry-After %q)", err, re.Header.Get("Retry-After"))
	}
	if _, err := plain.ListCustomers(context.Background(), nil); err != nil {
		t.Fatalf("another operation is affected: %v", err)
	}

	// The client's switch: nothing is sent.
	before := served.Load()
	switched := newCRMClient(t, srv.URL, crmapi.WithSwitches(sw))
	if _, err := switched.GetCustomer(context.Background(), "cus_1"); !errors.Is(err, crmapi.ErrDisabled) {
		t.Fatalf("client: %v, want ErrDisabled", err)
	}
	if served.Load() != before {
		t.Fatal("a switched-off call reached the server")
	}

	sw.SetEnabled("getCustomer", true)
	if _, err := switched.GetCustomer(context.Background(), "cus_1"); err != nil && asResponseError(t, err).StatusCode != http.StatusNotFound {
		t.Fatalf("switched on again: %v", err)
	}
}

// TestHealthEndpoints: WithHealth mounts /livez, /healthz and /readyz;
// readiness checks the checks the application adds (and the server's own
// store when it is one that can be down), and a failing required check makes it 503.
func TestHealthEndpoints(t *testing.T) {
	t.Parallel()
	var down atomic.Bool
	db := crmapi.PingFunc(func(context.Context) error {
		if down.Load() {
			return errors.New("connection refused")
		}
		return nil
	})
	srv := startCRM(t, &catalog{}, crmapi.WithHealth(crmapi.HealthOptions{
		Checks: []crmapi.HealthCheck{{Name: "crm-db", Ping: db}},
	}))
	get := func(path string) (int, crmapi.HealthReport) {
		t.Helper()
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var rep crmapi.HealthReport
		if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		return resp.StatusCode, rep
	}
	for _, p := range []string{"/livez", "/healthz"} {
		if code, rep := get(p); code != http.StatusOK || rep.Status != "ok" {
			t.Errorf("%s: %d %+v", p, code, rep)
		}
	}
	code, rep := get("/readyz")
	if code != http.StatusOK || rep.Checks["crm-db"].Status != "ok" {
		t.Fatalf("ready: %d %+v", code, rep)
	}
	// The default in-memory store cannot be down: it is not checked (a SQL
	// or Redis store is, as "idempotency-store").
	if _, checked := rep.Checks["idempotency-store"]; checked {
		t.Errorf("the in-memory store is checked: %+v", rep)
	}
	down.Store(true)
	// Readiness is cached for a moment; a new server sees the failure now.
	srv2 := startCRM(t, &catalog{}, crmapi.WithHealth(crmapi.HealthOptions{Checks: []crmapi.HealthCheck{{Name: "crm-db", Ping: db}}}))
	resp, err := http.Get(srv2.URL + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("a failing database leaves /readyz at %d", resp.StatusCode)
	}
	if code, _ := get("/livez"); code != http.StatusOK {
		t.Fatal("liveness depends on a dependency")
	}
}
