package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/mock"
)

// sandbox is accord mock of the payments contract, a conforming provider.
func sandbox(t *testing.T, breaks func(http.Handler) http.Handler) string {
	t.Helper()
	doc, err := contracts.Load(context.Background(), paymentsContract, contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	m, err := mock.New([]*contracts.Document{doc}, mock.Options{Stateful: true, Secrets: map[string][]byte{"partner-hmac": []byte("cli-verify-secret-0123")}})
	if err != nil {
		t.Fatal(err)
	}
	var h http.Handler = m
	if breaks != nil {
		h = breaks(m)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestVerifyArgv(t *testing.T) {
	good := sandbox(t, nil)
	bad := sandbox(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "GET" {
				w.WriteHeader(http.StatusTeapot)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	auth := []string{"--secret", "partner-hmac=cli-verify-secret-0123", "--credential", "bearerAuth=t", "--rate", "1000", "--webhook-wait", "200ms"}
	cases := []argvCase{
		{"no contract", []string{"verify", "--target", good}, exitUsage, "missing contract file"},
		{"no target", []string{"verify", paymentsContract}, exitUsage, "--target is required"},
		{"bad target", []string{"verify", paymentsContract, "--target", "ftp://x"}, exitUsage, "http(s) URL"},
		{"bad format", []string{"verify", paymentsContract, "--target", good, "--format", "xml"}, exitUsage, "--format must be one of"},
		{"two contracts", []string{"verify", paymentsContract, paymentsContract, "--target", good}, exitUsage, "one contract"},
		{"bad rate", []string{"verify", paymentsContract, "--target", good, "--rate", "0"}, exitUsage, "--rate"},
		{"bad webhook wait", []string{"verify", paymentsContract, "--target", good, "--webhook-wait", "0s"}, exitUsage, "--webhook-wait"},
		{"bad callback path", []string{"verify", paymentsContract, "--target", good, "--callback-path", "cb"}, exitUsage, "--callback-path"},
		{"missing contract", []string{"verify", "nope.yaml", "--target", good}, exitInput, "nope.yaml"},
		{"conforming", append([]string{"verify", paymentsContract, "--target", good}, auth...), exitOK, ""},
		{"violating", append([]string{"verify", paymentsContract, "--target", bad}, auth...), exitFailed, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", c.args...)
			checkExit(t, c, code, stderr)
		})
	}
}

func TestVerifyFormatsOnTheCommandLine(t *testing.T) {
	target := sandbox(t, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/v1/payments/") {
				w.WriteHeader(http.StatusTeapot)
				return
			}
			next.ServeHTTP(w, r)
		})
	})
	base := []string{"verify", paymentsContract, "--target", target, "--secret", "partner-hmac=cli-verify-secret-0123", "--credential", "bearerAuth=t", "--rate", "1000", "--no-webhooks"}
	code, out, _ := runCLI(t, "", append(base, "--format", "json")...)
	var rep struct {
		Failed   bool `json:"failed"`
		Findings []struct {
			Operation, Kind string
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitFailed || !rep.Failed {
		t.Fatalf("exit %d, %v:\n%s", code, err, out)
	}
	if len(rep.Findings) != 1 || rep.Findings[0].Operation != "getPayment" || rep.Findings[0].Kind != "undeclared-status" {
		t.Fatalf("findings %+v", rep.Findings)
	}
	for _, f := range []string{"text", "markdown", "junit", "sarif"} {
		code, out, _ := runCLI(t, "", append(base, "--format", f)...)
		if code != exitFailed || !strings.Contains(out, "undeclared-status") {
			t.Errorf("%s: exit %d:\n%s", f, code, out)
		}
	}
}

// The mock sends payment.succeeded after createPayment, signed with the key
// verify is given: --expect-webhooks passes; another key is a violation
// and no delivery at all (no --webhook configured) is one too.
func TestVerifyWebhooksOnTheCommandLine(t *testing.T) {
	doc, err := contracts.Load(context.Background(), paymentsContract, contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	const hookKey = "cli-verify-webhook-key-0123"
	start := func(after map[string][]string) string {
		m, err := mock.New([]*contracts.Document{doc}, mock.Options{Stateful: true, After: after,
			Secrets: map[string][]byte{"partner-hmac": []byte("cli-verify-secret-0123"), "partner-webhook": []byte(hookKey)}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(m.Close)
		srv := httptest.NewServer(m)
		t.Cleanup(srv.Close)
		return srv.URL
	}
	sends := start(map[string][]string{"createPayment": {"payment.succeeded"}})
	silent := start(nil)
	args := func(target, key string) []string {
		return []string{"verify", paymentsContract, "--target", target, "--secret", "partner-hmac=cli-verify-secret-0123",
			"--secret", "partner-webhook=" + key, "--credential", "bearerAuth=t", "--rate", "1000",
			"--webhook-wait", "300ms", "--expect-webhooks", "--format", "json"}
	}
	for _, c := range []struct {
		name, target, key, kind string
		code                    int
	}{
		{"signed", sends, hookKey, "", exitOK},
		{"another key", sends, "not-the-webhook-key-0123", "bad-webhook-signature", exitFailed},
		{"none sent", silent, hookKey, "no-webhook", exitFailed},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, "", args(c.target, c.key)...)
			var rep struct {
				Webhooks int                     `json:"webhooks"`
				Findings []struct{ Kind string } `json:"findings"`
			}
			if err := json.Unmarshal([]byte(out), &rep); err != nil || code != c.code {
				t.Fatalf("exit %d (want %d), %v:\n%s%s", code, c.code, err, out, stderr)
			}
			if c.kind == "" && (len(rep.Findings) > 0 || rep.Webhooks == 0) {
				t.Fatalf("want deliveries and no findings:\n%s", out)
			}
			if c.kind != "" && (len(rep.Findings) != 1 || rep.Findings[0].Kind != c.kind) {
				t.Fatalf("want one %s:\n%s", c.kind, out)
			}
		})
	}
}
