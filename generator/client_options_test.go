package generator

import (
	"os"
	"path/filepath"
	"testing"
)

// operationPolicyTestSource runs the long-running case's generated client
// against a loopback server that answers 503: an override of getExport
// given by operationId or by Go method makes the same retries, a name the
// contract does not have fails NewClient, and the runtime's Ptr is
// re-exported for optional fields.
const operationPolicyTestSource = `package api

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func TestOperationPolicyByName(t *testing.T) {
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	retry := func(p *Policy) { p.Retries, p.RetryOn, p.BackoffBase, p.BackoffCap = 2, []int{503}, 1, 1 }
	for _, name := range []string{"getExport", "GetExport"} {
		c, err := NewClient(srv.URL, WithOperationPolicy(name, retry))
		if err != nil {
			t.Fatal(err)
		}
		hits.Store(0)
		if _, err := c.GetExport(context.Background(), "exp_1"); err == nil {
			t.Fatalf("%s: a 503 is an error", name)
		}
		if hits.Load() != 3 {
			t.Errorf("override by %s: %d attempts, want 3", name, hits.Load())
		}
	}
	if _, err := NewClient(srv.URL, WithOperationPolicy("GetExprot", retry)); err == nil || !strings.Contains(err.Error(), "GetExprot") {
		t.Fatalf("a misspelt operation: %v", err)
	}
	if op, _ := OperationByID("getExport"); op.GoName != "GetExport" {
		t.Fatalf("getExport's GoName %q", op.GoName)
	}
	if p := Ptr("csv"); *p != "csv" {
		t.Fatal("Ptr")
	}
}
`

// TestOperationPolicyByGoName builds the long-running case's client and
// runs operationPolicyTestSource against it.
func TestOperationPolicyByGoName(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs generated code")
	}
	mod := t.TempDir()
	writeTestModule(t, mod)
	writeGenerated(t, mod, "api", genCase(t, filepath.Join(casesDir, "long-running")), nil)
	if err := os.WriteFile(filepath.Join(mod, "api", "policy_test.go"), []byte(operationPolicyTestSource), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := goCmd(t, mod, "test", "./api/"); err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
}
