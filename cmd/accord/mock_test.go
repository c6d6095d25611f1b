package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const paymentsContract = "../../examples/payments/openapi.yaml"

func TestMockArgv(t *testing.T) {
	dir := t.TempDir()
	badFaults := filepath.Join(dir, "faults.yaml")
	if err := os.WriteFile(badFaults, []byte("faults:\n  - operation: x\n    statsu: 503\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []argvCase{
		{"no contract", []string{"mock"}, exitUsage, "missing contract file"},
		{"bad fault", []string{"mock", "--fault", "createPayment:status=abc", paymentsContract}, exitUsage, "--fault"},
		{"fault without effect", []string{"mock", "--fault", "createPayment:rate=0.5", paymentsContract}, exitUsage, "no effect"},
		{"bad secret", []string{"mock", "--secret", "partner-hmac", paymentsContract}, exitUsage, "NAME=VALUE"},
		{"short secret", []string{"mock", "--addr", "127.0.0.1:0", "--secret", "partner-hmac=short", paymentsContract}, exitUsage, "16 bytes"},
		{"unknown webhook", []string{"mock", "--webhook", "createPayment=payment.failed", paymentsContract}, exitUsage, "no webhook"},
		{"unknown operation", []string{"mock", "--webhook", "createPaymnet=payment.succeeded", paymentsContract}, exitUsage, "no such operation"},
		{"bad webhook flag", []string{"mock", "--webhook", "createPayment", paymentsContract}, exitUsage, "NAME=VALUE"},
		{"bad address", []string{"mock", "--addr", "nonsense", paymentsContract}, exitUsage, "--addr"},
		{"missing contract", []string{"mock", "nope.yaml"}, exitInput, "nope.yaml"},
		{"missing fault file", []string{"mock", "--faults", filepath.Join(dir, "none.yaml"), paymentsContract}, exitInput, "fault file"},
		{"bad fault file", []string{"mock", "--faults", badFaults, paymentsContract}, exitInput, "statsu"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", c.args...)
			checkExit(t, c, code, stderr)
		})
	}
}

// The command serves on the address it prints, applies flag faults, prints
// sandbox keys, and stops cleanly when its context ends (as on SIGINT).
func TestMockServesUntilCancelled(t *testing.T) {
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	ready := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- runMock(ctx, e, mockOptions{files: []string{paymentsContract}, addr: "127.0.0.1:0", grace: time.Second,
			faults: []string{"getPayment:status=503,times=1"}, ready: func(a string) { ready <- a }})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("runMock: %v (%s)", err, errb.String())
	case <-time.After(10 * time.Second):
		t.Fatal("mock did not start")
	}
	get := func() int {
		req, _ := http.NewRequest("GET", "http://"+addr+"/v1/payments/pay_abcdefgh12", nil)
		req.Header.Set("Authorization", "Bearer test")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if a, b := get(), get(); a != 503 || b != 200 {
		t.Fatalf("statuses %d, %d; want 503 then 200", a, b)
	}
	resp, err := http.Get("http://" + addr + "/__accord/requests?operation=getPayment")
	if err != nil {
		t.Fatal(err)
	}
	var log []map[string]any
	err = json.NewDecoder(resp.Body).Decode(&log)
	resp.Body.Close()
	if err != nil || len(log) != 2 {
		t.Fatalf("request log %v (%v)", log, err)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("mock did not stop")
	}
	if !strings.Contains(out.String(), "sandbox key for partner-hmac: sandbox_") || !strings.Contains(out.String(), "stopped") {
		t.Fatalf("output:\n%s", out.String())
	}
}

// An AsyncAPI contract is mocked on the in-process Kafka cluster next to the
// OpenAPI one; /__accord/messages lists what was published.
func TestMockAsyncAPIOnInProcessKafka(t *testing.T) {
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	ready := make(chan string, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() {
		done <- runMock(ctx, e, mockOptions{files: []string{paymentsContract, "../../examples/events/asyncapi.yaml"}, addr: "127.0.0.1:0",
			grace: time.Second, every: 20 * time.Millisecond, count: 1, ready: func(a string) { ready <- a }})
	}()
	var addr string
	select {
	case addr = <-ready:
	case err := <-done:
		t.Fatalf("runMock: %v (%s)", err, errb.String())
	}
	var events []map[string]any
	for ctx.Err() == nil && len(events) < 2 {
		resp, err := http.Get("http://" + addr + "/__accord/messages")
		if err != nil {
			t.Fatal(err)
		}
		err = json.NewDecoder(resp.Body).Decode(&events)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || !strings.Contains(out.String(), "AsyncAPI messages on Kafka at 127.0.0.1:") {
		t.Fatalf("events %v\n%s", events, out.String())
	}
}
