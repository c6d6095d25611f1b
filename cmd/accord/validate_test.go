package main

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"
)

// runCLI runs accord with argv and returns the exit code and both streams.
func runCLI(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// argvCase is one command line with the exit code and a piece of stderr it
// must produce ("" matches anything).
type argvCase struct {
	name     string
	args     []string
	code     int
	inStderr string
}

// checkExit asserts a run's exit code and that stderr mentions what it must.
func checkExit(t *testing.T, c argvCase, code int, stderr string) {
	t.Helper()
	if code != c.code {
		t.Errorf("exit %d, want %d (stderr %q)", code, c.code, stderr)
	}
	if !strings.Contains(stderr, c.inStderr) {
		t.Errorf("stderr %q does not mention %q", stderr, c.inStderr)
	}
}

const (
	validContract   = "../../testdata/contracts/valid/openapi-3.1-x-accord-full.yaml"
	invalidContract = "../../testdata/contracts/invalid/x-accord-unknown-key.yaml"
	syntaxContract  = "../../testdata/contracts/invalid/yaml-bad-indentation.yaml"
)

func TestValidateArgv(t *testing.T) {
	cases := []argvCase{
		{"no files", []string{"validate"}, exitUsage, "missing contract file"},
		{"bad format", []string{"validate", "--format", "xml", validContract}, exitUsage, "--format must be text or json"},
		{"unknown flag", []string{"validate", "--colour", validContract}, exitUsage, "unknown flag: --colour"},
		{"unknown command", []string{"valdiate", validContract}, exitUsage, `unknown command "valdiate"`},
		{"valid", []string{"validate", validContract}, exitOK, ""},
		{"valid json", []string{"validate", "--format=json", validContract}, exitOK, ""},
		{"invalid", []string{"validate", invalidContract}, exitFailed, ""},
		{"unparsable", []string{"validate", syntaxContract}, exitInput, ""},
		{"missing file", []string{"validate", "nope.yaml"}, exitInput, ""},
		// The worst outcome decides: unreadable input beats an invalid contract.
		{"mixed", []string{"validate", validContract, invalidContract, "nope.yaml"}, exitInput, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", c.args...)
			checkExit(t, c, code, stderr)
		})
	}
}

func TestValidateTextNamesPositionAndHint(t *testing.T) {
	code, out, _ := runCLI(t, "", "validate", invalidContract)
	if code != exitFailed {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{
		invalidContract + ":12:9: error: x-accord: unknown key \"retires\"",
		"hint: did you mean retries?",
		invalidContract + ": invalid, 1 error",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "\x1b[") {
		t.Error("colour escapes written to a non-terminal")
	}
}

func TestValidateJSONSchema(t *testing.T) {
	code, out, _ := runCLI(t, "", "validate", "--format", "json", validContract, invalidContract)
	if code != exitFailed {
		t.Fatalf("exit %d", code)
	}
	var report struct {
		Valid bool `json:"valid"`
		Files []struct {
			File       string `json:"file"`
			Kind       string `json:"kind"`
			Version    string `json:"version"`
			Valid      bool   `json:"valid"`
			Operations int    `json:"operations"`
			Problems   []struct {
				Position struct {
					File      string `json:"file"`
					Line, Col int
				} `json:"position"`
				Severity, Code, Message, Hint string
			} `json:"problems"`
		} `json:"files"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if report.Valid || len(report.Files) != 2 {
		t.Fatalf("report: %+v", report)
	}
	ok, bad := report.Files[0], report.Files[1]
	if !ok.Valid || ok.Kind != "openapi" || ok.Version != "3.1.0" || ok.Operations != 2 || ok.Problems == nil {
		t.Errorf("valid file: %+v", ok)
	}
	p := bad.Problems[0]
	if bad.Valid || p.Code != "policy-unknown-key" || p.Position.Line != 12 || p.Position.Col != 9 || p.Severity != "error" {
		t.Errorf("invalid file: %+v", bad)
	}
}

func TestValidateStdin(t *testing.T) {
	data, err := os.ReadFile(validContract)
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, string(data), "validate", "-")
	if code != exitOK || !strings.Contains(out, "<stdin>: valid OpenAPI 3.1.0") {
		t.Fatalf("exit %d, out %q, err %q", code, out, stderr)
	}
}

func TestValidateStrictFailsOnWarnings(t *testing.T) {
	dir := t.TempDir()
	warn := dir + "/warn.yaml"
	contract := "openapi: 3.1.0\ninfo: {title: t, version: '1'}\nx-accord: {timeout: 5s, budget: 1s}\npaths: {}\n"
	if err := os.WriteFile(warn, []byte(contract), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, _ := runCLI(t, "", "validate", warn); code != exitOK {
		t.Errorf("warnings alone must pass, got exit %d", code)
	}
	if code, _, _ := runCLI(t, "", "validate", "--strict", warn); code != exitFailed {
		t.Errorf("--strict must fail on warnings, got exit %d", code)
	}
}

func TestNoArgsPrintsHelp(t *testing.T) {
	code, out, _ := runCLI(t, "")
	if code != exitOK || !strings.Contains(out, "accord validate") || !strings.Contains(out, "Exit codes") {
		t.Fatalf("exit %d:\n%s", code, out)
	}
}
