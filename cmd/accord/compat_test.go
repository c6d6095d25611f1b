package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/compat"
	"github.com/accord-dev/accord/contracts"
)

const compatDir = "../../testdata/cli/compat/"

var (
	v1         = compatDir + "payments-v1.yaml"
	v1Compat   = compatDir + "payments-v1-compatible.yaml"
	v1Breaking = compatDir + "payments-v1-breaking.yaml"
	v1Sunset   = compatDir + "payments-v1-sunset.yaml"
	v2         = compatDir + "payments-v2.yaml"
	broken     = compatDir + "broken.yaml"
	events     = compatDir + "events.yaml"
)

// runCLIIn is runCLI with a working directory, as the CLI sees it.
func runCLIIn(t *testing.T, dir, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := (&env{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb, dir: dir}).run(args)
	return code, out.String(), errb.String()
}

// compatJSON is the part of the JSON report the tests read.
type compatJSON struct {
	Failed      bool `json:"failed"`
	Comparisons []struct {
		Base, Head struct{ Name, Version string }
		Notes      []string
		Findings   []struct {
			Fingerprint, Rule, Severity, OriginalSeverity, Accepted, Side string
			Failing                                                       bool
			Affected                                                      []struct{ Key string }
			ExpiredAcceptance                                             *struct{ Expires string }
		}
	}
}

func decodeCompat(t *testing.T, out string) compatJSON {
	t.Helper()
	var r compatJSON
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("JSON report does not parse: %v\n%s", err, out)
	}
	return r
}

func TestCompatArgv(t *testing.T) {
	cases := []argvCase{
		{"no args", []string{"compat"}, exitUsage, "compat needs BASE and HEAD"},
		{"one arg", []string{"compat", v1}, exitUsage, "got 1 argument"},
		{"three args", []string{"compat", v1, v1, v1}, exitUsage, "exactly BASE and HEAD"},
		{"both stdin", []string{"compat", "-", "-"}, exitUsage, "standard input can be only one side"},
		{"bad format", []string{"compat", "--format", "html", v1, v1}, exitUsage, `--format: format must be one of text, json, markdown, github, sarif, junit, not "html"`},
		{"bad fail-on", []string{"compat", "--fail-on", "fatal", v1, v1}, exitUsage, `--fail-on: severity must be error, warning or info, not "fatal"`},
		{"bad profile", []string{"compat", "--profile", "strict", v1, v1}, exitUsage, `--profile must be wire or sdk, not "strict"`},
		{"empty base", []string{"compat", "--base", "", v1}, exitUsage, "--base needs a git revision"},
		{"base without paths", []string{"compat", "--base", "HEAD"}, exitUsage, "missing contract path"},
		{"base with stdin", []string{"compat", "--base", "HEAD", "-"}, exitUsage, "standard input (-) has none"},
		{"base with rev path", []string{"compat", "--base", "HEAD", "HEAD~1:api.yaml"}, exitUsage, "give plain paths"},
		{"unknown flag", []string{"compat", "--fail-at", "error", v1, v1}, exitUsage, "unknown flag: --fail-at"},
		{"allow-major takes no value", []string{"compat", "--allow-major=maybe", v1, v1}, exitUsage, "invalid argument"},
		{"missing accept file", []string{"compat", "--accept", compatDir + "nope.yaml", v1, v1}, exitInput, "nope.yaml"},
		{"negative deprecation days", []string{"compat", "--deprecation-days", "-1", v1, v1}, exitUsage, "--deprecation-days must be 0 or more"},
		{"every flag", []string{"compat", "--format", "json", "--fail-on", "info", "--profile", "sdk", "--allow-major",
			"--explode", "--allow-remote-refs", "--deprecation-days", "90", v1, v1}, exitOK, ""},
		{"equals form", []string{"compat", "--format=sarif", "--fail-on=warning", "--profile=wire", v1, v1Compat}, exitOK, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", c.args...)
			checkExit(t, c, code, stderr)
		})
	}
}

func TestCompatParsesFlagsIntoOptions(t *testing.T) {
	// Every flag's value must reach the run: check through its effect on
	// the JSON report, which echoes --fail-on and the inputs.
	code, out, stderr := runCLI(t, "", "compat", "--format", "json", "--fail-on", "warning", v1, v1Compat)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		FailOn      string `json:"failOn"`
		Comparisons []struct {
			Kind       string
			Base, Head struct{ Name, Version string }
		}
	}
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatal(err)
	}
	if r.FailOn != "warning" || len(r.Comparisons) != 1 {
		t.Fatalf("report = %+v", r)
	}
	c := r.Comparisons[0]
	if c.Kind != "openapi" || c.Base.Name != v1 || c.Base.Version != "1.0.0" || c.Head.Name != v1Compat || c.Head.Version != "1.1.0" {
		t.Errorf("comparison = %+v", c)
	}
}

func TestCompatCompatibleExitsZero(t *testing.T) {
	code, out, stderr := runCLI(t, "", "compat", v1, v1Compat)
	if code != exitOK {
		t.Fatalf("exit %d, want 0; stdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	if !strings.Contains(out, v1Compat+":") || !strings.Contains(out, "OK") {
		t.Errorf("text report lacks the summary line:\n%s", out)
	}
	if stderr != "" {
		t.Errorf("stderr = %q", stderr)
	}
}

func TestCompatBreakingExitsOne(t *testing.T) {
	code, out, stderr := runCLI(t, "", "compat", "--format", "json", v1, v1Breaking)
	if code != exitFailed {
		t.Fatalf("exit %d, want 1; stdout:\n%s\nstderr:\n%s", code, out, stderr)
	}
	r := decodeCompat(t, out)
	if !r.Failed || len(r.Comparisons[0].Findings) == 0 || !r.Comparisons[0].Findings[0].Failing {
		t.Fatalf("report does not show a failing finding first: %+v", r)
	}
	// Raising the threshold above every finding's severity passes? No: the
	// breaks here are errors, which fail at every threshold.
	if code, _, _ := runCLI(t, "", "compat", "--fail-on", "warning", v1, v1Breaking); code != exitFailed {
		t.Errorf("--fail-on warning: exit %d, want 1", code)
	}
}

func TestCompatUnloadableSide(t *testing.T) {
	for _, c := range []struct {
		name, base, head, side, file string
	}{
		{"broken head", v1, broken, "head", broken},
		{"missing base", compatDir + "missing.yaml", v1, "base", compatDir + "missing.yaml"},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, out, stderr := runCLI(t, "", "compat", c.base, c.head)
			if code != exitInput {
				t.Fatalf("exit %d, want 3; stderr %q", code, stderr)
			}
			if !strings.Contains(stderr, "cannot load the "+c.side+" contract "+c.file) {
				t.Errorf("stderr does not name the %s file: %q", c.side, stderr)
			}
			// The loader's own problem follows, with its position.
			if !strings.Contains(stderr, "  "+c.file) {
				t.Errorf("stderr lacks the loader's problem: %q", stderr)
			}
			if strings.Contains(out, "FAIL") {
				t.Errorf("an unloadable side must not be reported as a breaking change: %q", out)
			}
		})
	}
}

func TestCompatMixedKinds(t *testing.T) {
	code, _, stderr := runCLI(t, "", "compat", v1, events)
	if code != exitUsage {
		t.Fatalf("exit %d, want 2; stderr %q", code, stderr)
	}
	if !strings.Contains(stderr, "both sides must be the same kind of contract") || !strings.Contains(stderr, "AsyncAPI") {
		t.Errorf("stderr = %q", stderr)
	}
}

func TestSameKind(t *testing.T) {
	oa := &contracts.Document{Kind: contracts.KindOpenAPI, Version: "3.1.0", Name: "a.yaml"}
	aa := &contracts.Document{Kind: contracts.KindAsyncAPI, Version: "3.0.0", Name: "b.yaml"}
	if err := sameKind(oa, oa); err != nil {
		t.Error(err)
	}
	err := sameKind(oa, aa)
	if err == nil || err.Error() != "cannot compare a.yaml (OpenAPI 3.1.0) with b.yaml (AsyncAPI 3.0.0): both sides must be the same kind of contract" {
		t.Errorf("err = %v", err)
	}
}

func TestCompatStdin(t *testing.T) {
	data, err := os.ReadFile(v1)
	if err != nil {
		t.Fatal(err)
	}
	code, out, stderr := runCLI(t, string(data), "compat", "--format", "json", "-", v1Compat)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	r := decodeCompat(t, out)
	if r.Comparisons[0].Base.Name != "<stdin>" || r.Comparisons[0].Base.Version != "1.0.0" {
		t.Errorf("base = %+v, want stdin with version 1.0.0", r.Comparisons[0].Base)
	}
	code, _, _ = runCLI(t, string(data), "compat", v1, "-")
	if code != exitOK {
		t.Errorf("stdin as head: exit %d", code)
	}
}

// TestCompatEveryFormat runs each format on a breaking pair and checks that
// the output is what that format's consumer needs, and the exit code is the
// same whatever the format.
func TestCompatEveryFormat(t *testing.T) {
	checks := map[string]func(t *testing.T, out string){
		"text": func(t *testing.T, out string) {
			if !strings.Contains(out, "FAIL") || !strings.Contains(out, v1Breaking+":") {
				t.Errorf("text lacks the failing summary:\n%s", out)
			}
		},
		"json": func(t *testing.T, out string) {
			if r := decodeCompat(t, out); !r.Failed {
				t.Error("json: failed = false")
			}
		},
		"markdown": func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "### ❌ accord compat:") || !strings.Contains(out, "<details>") {
				t.Errorf("markdown:\n%s", out)
			}
		},
		"github": func(t *testing.T, out string) {
			if !strings.HasPrefix(out, "::error file="+strings.TrimPrefix(v1Breaking, "../../")) &&
				!strings.HasPrefix(out, "::error file=../../") {
				t.Errorf("github: first line %q", strings.SplitN(out, "\n", 2)[0])
			}
		},
		"sarif": func(t *testing.T, out string) {
			var log struct {
				Version string
				Runs    []struct{ Results []struct{ RuleID string } }
			}
			if err := json.Unmarshal([]byte(out), &log); err != nil || log.Version != "2.1.0" || len(log.Runs[0].Results) == 0 {
				t.Errorf("sarif: %v %+v", err, log)
			}
		},
		"junit": func(t *testing.T, out string) {
			var doc struct {
				Failures int `xml:"failures,attr"`
			}
			if err := xml.Unmarshal([]byte(out), &doc); err != nil || doc.Failures == 0 {
				t.Errorf("junit: %v, failures %d", err, doc.Failures)
			}
		},
	}
	for format, check := range checks {
		t.Run(format, func(t *testing.T) {
			code, out, stderr := runCLI(t, "", "compat", "--format", format, v1, v1Breaking)
			if code != exitFailed {
				t.Fatalf("exit %d, want 1 (stderr %q)", code, stderr)
			}
			check(t, out)
		})
	}
}

func TestCompatExplode(t *testing.T) {
	_, grouped, _ := runCLI(t, "", "compat", "--format", "json", v1, v1Breaking)
	_, exploded, _ := runCLI(t, "", "compat", "--format", "json", "--explode", v1, v1Breaking)
	g, x := decodeCompat(t, grouped), decodeCompat(t, exploded)
	want := 0
	for _, f := range g.Comparisons[0].Findings {
		want += max(1, len(f.Affected))
	}
	if got := len(x.Comparisons[0].Findings); got != want || got <= len(g.Comparisons[0].Findings) {
		t.Errorf("--explode: %d findings, want %d (one per affected operation; %d grouped)", got, want, len(g.Comparisons[0].Findings))
	}
	for _, f := range x.Comparisons[0].Findings {
		if len(f.Affected) > 1 {
			t.Errorf("exploded finding still lists %d operations", len(f.Affected))
		}
	}
}

// TestCompatAcceptFile accepts the breaking pair's findings by fingerprint,
// then lets the same entries expire.
func TestCompatAcceptFile(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{v1, v1Breaking} {
		copyFile(t, f, filepath.Join(dir, filepath.Base(f)))
	}
	_, out, _ := runCLIIn(t, dir, "", "compat", "--format", "json", "payments-v1.yaml", "payments-v1-breaking.yaml")
	findings := decodeCompat(t, out).Comparisons[0].Findings
	if len(findings) == 0 {
		t.Fatal("no findings to accept")
	}
	write := func(expires string) {
		var b strings.Builder
		b.WriteString("accepted:\n")
		for _, f := range findings {
			fmt.Fprintf(&b, "  - fingerprint: %s\n    reason: agreed with partners\n    expires: %s\n    rule: %s\n", f.Fingerprint, expires, f.Rule)
		}
		if err := os.WriteFile(filepath.Join(dir, ".accord-compat.yaml"), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	write("2999-12-31")
	code, out, stderr := runCLIIn(t, dir, "", "compat", "--format", "json", "payments-v1.yaml", "payments-v1-breaking.yaml")
	if code != exitOK {
		t.Fatalf("accepted breaks: exit %d, want 0 (stderr %q)", code, stderr)
	}
	for _, f := range decodeCompat(t, out).Comparisons[0].Findings {
		if f.Severity != "info" || !strings.Contains(f.Accepted, "agreed with partners") || !strings.Contains(f.Accepted, ".accord-compat.yaml:") {
			t.Errorf("finding not accepted with the file's reason and place: %+v", f)
		}
	}

	write("2001-01-01")
	code, out, _ = runCLIIn(t, dir, "", "compat", "payments-v1.yaml", "payments-v1-breaking.yaml")
	if code != exitFailed {
		t.Fatalf("expired acceptances: exit %d, want 1", code)
	}
	if !strings.Contains(out, "acceptance expired on 2001-01-01") {
		t.Errorf("text report does not say the acceptance expired:\n%s", out)
	}

	// An entry that matches nothing is pointed out on stderr.
	if err := os.WriteFile(filepath.Join(dir, ".accord-compat.yaml"), []byte("accepted:\n  - {fingerprint: 0000, reason: gone, expires: 2999-01-01}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, stderr = runCLIIn(t, dir, "", "compat", "payments-v1.yaml", "payments-v1-breaking.yaml")
	if !strings.Contains(stderr, ".accord-compat.yaml:2: accepted break 0000 matched no finding") {
		t.Errorf("stderr = %q, want a note about the unused entry", stderr)
	}

	// --accept names another file; the default one is then not read.
	if err := os.Rename(filepath.Join(dir, ".accord-compat.yaml"), filepath.Join(dir, "accepted.yaml")); err != nil {
		t.Fatal(err)
	}
	write("2999-12-31")
	code, _, _ = runCLIIn(t, dir, "", "compat", "--accept", "accepted.yaml", "payments-v1.yaml", "payments-v1-breaking.yaml")
	if code != exitFailed {
		t.Errorf("--accept accepted.yaml (which accepts nothing here): exit %d, want 1; the default file, which accepts everything, must not be read", code)
	}
}

func TestCompatBadAcceptFileExitsThree(t *testing.T) {
	dir := t.TempDir()
	copyFile(t, v1, filepath.Join(dir, "api.yaml"))
	bad := "accepted:\n  - fingerprint: abc\n    reason: x\n    expires: next week\n"
	if err := os.WriteFile(filepath.Join(dir, ".accord-compat.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runCLIIn(t, dir, "", "compat", "api.yaml", "api.yaml")
	if code != exitInput {
		t.Fatalf("exit %d, want 3", code)
	}
	if !strings.Contains(stderr, `.accord-compat.yaml:4:14: expires "next week" is not a date`) {
		t.Errorf("stderr = %q", stderr)
	}
}

func TestCompatSunsetRemovalIsInfo(t *testing.T) {
	code, out, stderr := runCLI(t, "", "compat", "--format", "json", v1, v1Sunset)
	if code != exitOK {
		t.Fatalf("exit %d, want 0: removing an operation past its x-sunset is info (stderr %q)\n%s", code, stderr, out)
	}
	fs := decodeCompat(t, out).Comparisons[0].Findings
	if len(fs) == 0 || !strings.Contains(fs[0].Accepted, "x-sunset date 2020-01-01") || fs[0].OriginalSeverity != "error" {
		t.Errorf("findings = %+v", fs)
	}
}

func TestCompatAllowMajor(t *testing.T) {
	code, _, _ := runCLI(t, "", "compat", v1, v2)
	if code != exitFailed {
		t.Fatalf("v1 -> v2 without --allow-major: exit %d, want 1", code)
	}
	code, out, stderr := runCLI(t, "", "compat", "--allow-major", "--format", "json", v1, v2)
	if code != exitOK {
		t.Fatalf("--allow-major: exit %d, want 0 (stderr %q)\n%s", code, stderr, out)
	}
	for _, f := range decodeCompat(t, out).Comparisons[0].Findings {
		if f.OriginalSeverity != "info" && !strings.Contains(f.Accepted, "--allow-major") {
			t.Errorf("breaking finding not accepted by --allow-major: %+v", f)
		}
	}
}

func TestCompatRunUsesInjectedClock(t *testing.T) {
	// The sunset date 2020-01-01 has not passed on 2019-06-01: the removal
	// of deletePayment is breaking again.
	var out, errb bytes.Buffer
	e := &env{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	o := compatOptions{args: []string{v1, v1Sunset}, format: "json", failOn: compat.SeverityError,
		profile: compat.ProfileWire, today: time.Date(2019, 6, 1, 0, 0, 0, 0, time.UTC)}
	if code := exitCode(runCompat(context.Background(), e, o)); code != exitFailed {
		t.Errorf("exit %d, want 1 before the sunset date (stderr %q)", code, errb.String())
	}
}

func TestCompatHelpTeaches(t *testing.T) {
	code, out, _ := runCLI(t, "", "compat", "--help")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"What is breaking", "--profile sdk", "--allow-major", "x-sunset", ".accord-compat.yaml",
		"expires:", "GitHub Actions", "--mode MODE V1 V2", "--deprecation-days", "x-stability-level", "--base origin/${{ github.base_ref }}", "Exit codes", "--explode", "--fail-on",
		// The rule list comes from the registry.
		"error       operation-removed", "error sdk   operation-id-changed"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o644); err != nil {
		t.Fatal(err)
	}
}
