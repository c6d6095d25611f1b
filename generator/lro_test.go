package generator

import (
	"os"
	"path/filepath"
	"testing"
)

// waitTestSource runs the generated client of the long-running case
// against a loopback server: 202 + Location, then the status resource
// answers running (Retry-After: 0) and succeeded.
const waitTestSource = `package api

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"
)

func TestStartExportWait(t *testing.T) {
	var polls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.Method == http.MethodPost && r.URL.Path == "/v1/exports":
			w.Header().Set("Location", "/v1/exports/exp_1")
			w.Header().Set("Trace-Id", "4bf92f3577b34da6a3ce929d0e0e4736")
			w.WriteHeader(http.StatusAccepted)
		case r.URL.Path == "/v1/exports/exp_1":
			w.Header().Set("Content-Type", "application/json")
			if polls.Add(1) < 3 {
				w.Header().Set("Retry-After", "0")
				fmt.Fprint(w, ` + "`" + `{"status":"running"}` + "`" + `)
				return
			}
			fmt.Fprint(w, ` + "`" + `{"status":"succeeded","url":"https://files.example/exp_1.csv"}` + "`" + `)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	c, err := NewClient(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	accepted, err := c.StartExport(context.Background(), &StartExportParams{IdempotencyKey: "k1"}, StartExportJSONRequestBody{Format: "csv"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.StartExportWait(context.Background(), accepted, WaitPolicy{Interval: time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if res.State != "succeeded" || res.Polls != 3 || res.TraceID != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Fatalf("result %+v", res)
	}
	if _, err := c.StartExportWait(context.Background(), nil, WaitPolicy{}); err == nil {
		t.Fatal("waiting on nothing succeeded")
	}
}
`

// TestLongRunningWaitExercised builds the long-running case's client in a
// module of its own and runs it against a loopback status resource.
func TestLongRunningWaitExercised(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles and runs generated code")
	}
	mod := t.TempDir()
	writeTestModule(t, mod)
	writeGenerated(t, mod, "api", genCase(t, filepath.Join(casesDir, "long-running")), nil)
	if err := os.WriteFile(filepath.Join(mod, "api", "wait_test.go"), []byte(waitTestSource), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := goCmd(t, mod, "test", "./api/"); err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
}
