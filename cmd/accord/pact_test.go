package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const pactDir = "../../testdata/pact/"

func TestPactCheckArgv(t *testing.T) {
	good, broken := pactDir+"payments-v2.json", pactDir+"payments-broken.json"
	cases := []argvCase{
		{"no arguments", []string{"pact", "check"}, exitUsage, "a pact file and a contract"},
		{"one argument", []string{"pact", "check", good}, exitUsage, "got 1 arguments"},
		{"unknown subcommand", []string{"pact", "publish"}, exitUsage, "unknown pact command"},
		{"bad format", []string{"pact", "check", good, paymentsContract, "--format", "sarif"}, exitUsage, "--format must be one of"},
		{"both stdin", []string{"pact", "check", "-", "-"}, exitUsage, "both be read from stdin"},
		{"missing pact", []string{"pact", "check", "nope.json", paymentsContract}, exitInput, "nope.json"},
		{"not a pact", []string{"pact", "check", paymentsContract, paymentsContract}, exitInput, "not a pact file"},
		{"missing contract", []string{"pact", "check", good, "nope.yaml"}, exitInput, "nope.yaml"},
		{"asyncapi contract", []string{"pact", "check", good, "../../examples/events/asyncapi.yaml"}, exitUsage, "needs an OpenAPI contract"},
		{"valid v2", []string{"pact", "check", good, paymentsContract}, exitOK, ""},
		{"valid v4", []string{"pact", "check", pactDir + "payments-v4.json", paymentsContract}, exitOK, ""},
		{"warnings pass", []string{"pact", "check", pactDir + "payments-v3.json", paymentsContract}, exitOK, ""},
		{"violating", []string{"pact", "check", broken, paymentsContract}, exitFailed, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", c.args...)
			checkExit(t, c, code, stderr)
		})
	}
}

func TestPactCheckOutput(t *testing.T) {
	data, err := os.ReadFile(pactDir + "payments-broken.json")
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, string(data), "pact", "check", "-", paymentsContract, "--format", "json")
	var rep struct {
		Pact     string `json:"pact"`
		Failed   bool   `json:"failed"`
		Findings []struct {
			Kind, Severity string
			Index          int
		} `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil || code != exitFailed || !rep.Failed || rep.Pact != "<stdin>" || len(rep.Findings) != 13 {
		t.Fatalf("exit %d, %v:\n%s%s", code, err, out, stderr)
	}
	code, out, _ = runCLI(t, "", "pact", "check", pactDir+"payments-broken.json", paymentsContract)
	if code != exitFailed || !strings.Contains(out, "openapi.yaml:") || !strings.Contains(out, "undeclared-status") || !strings.Contains(out, "11 errors, 2 warnings") {
		t.Fatalf("text:\n%s", out)
	}
}

// The help teaches: what is checked on each side, the subset rule for
// response bodies, and the exit codes.
func TestPactHelp(t *testing.T) {
	code, out, _ := runCLI(t, "", "pact", "check", "--help")
	for _, want := range []string{"bi-directional", "leave\n                  out fields", "Exit codes", "accord pact check pacts/"} {
		if code != exitOK || !strings.Contains(out, want) {
			t.Errorf("help lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runCLI(t, "", "pact")
	if code != exitOK || !strings.Contains(out, "pact check PACT.json CONTRACT") {
		t.Errorf("pact alone: %d\n%s", code, out)
	}
	if _, out, _ := runCLI(t, "", "--help"); !strings.Contains(out, "pact") {
		t.Errorf("root help does not list pact:\n%s", out)
	}
}
