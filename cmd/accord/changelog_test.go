package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const changelogDir = "../../testdata/changelog/"

func TestChangelogArgv(t *testing.T) {
	b, h := changelogDir+"mixed/base.yaml", changelogDir+"mixed/head.yaml"
	cases := []argvCase{
		{"no args", []string{"changelog"}, exitUsage, "changelog needs BASE and HEAD (or --base REV PATH...), got 0"},
		{"one arg", []string{"changelog", b}, exitUsage, "got 1 argument"},
		{"three args", []string{"changelog", b, h, h}, exitUsage, "got 3 argument"},
		{"both stdin", []string{"changelog", "-", "-"}, exitUsage, "standard input can be only one side"},
		{"bad format", []string{"changelog", "--format", "sarif", b, h}, exitUsage, `--format must be markdown, html or json, not "sarif"`},
		{"bad profile", []string{"changelog", "--profile", "strict", b, h}, exitUsage, `--profile must be wire or sdk`},
		{"unknown flag", []string{"changelog", "--fail-on", "error", b, h}, exitUsage, "unknown flag: --fail-on"},
		{"missing file", []string{"changelog", changelogDir + "nope.yaml", h}, exitInput, "cannot load the base contract"},
		{"openapi vs asyncapi", []string{"changelog", b, changelogDir + "channel-added/head.yaml"}, exitUsage, "both sides must be the same kind"},
		// A change log is a report: breaking changes do not fail it.
		{"breaking changes exit 0", []string{"changelog", b, h}, exitOK, ""},
		{"html", []string{"changelog", "--format", "html", b, h}, exitOK, ""},
		{"json sdk", []string{"changelog", "--format", "json", "--profile", "sdk", b, h}, exitOK, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", c.args...)
			checkExit(t, c, code, stderr)
		})
	}
}

// TestChangelogOutputs runs the command in each format on the mixed case
// (base read from standard input, as `git show REV:api.yaml | accord
// changelog - api.yaml` does) and checks what each must carry.
func TestChangelogOutputs(t *testing.T) {
	base, err := os.ReadFile(changelogDir + "mixed/base.yaml")
	if err != nil {
		t.Fatal(err)
	}
	h := changelogDir + "mixed/head.yaml"
	code, md, stderr := runCLI(t, string(base), "changelog", "-", h)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"## Changes to", "**Breaking**: new required property reference", "What to do:", "sunset **2027-01-31**", "**Added**: new operation POST /refunds"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	code, js, stderr := runCLI(t, string(base), "changelog", "--format", "json", "-", h)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		SchemaVersion int
		Changelogs    []struct {
			Base   struct{ Name string }
			Counts struct{ Breaking, Added int }
		}
	}
	if err := json.Unmarshal([]byte(js), &doc); err != nil || len(doc.Changelogs) != 1 {
		t.Fatalf("json: %v\n%s", err, js)
	}
	if c := doc.Changelogs[0]; c.Base.Name != "<stdin>" || c.Counts.Breaking != 1 || c.Counts.Added < 1 {
		t.Errorf("json changelog %+v", c)
	}
	code, page, _ := runCLI(t, string(base), "changelog", "--format", "html", "-", h)
	if code != exitOK || !strings.HasPrefix(page, "<!DOCTYPE html>") || strings.Contains(page, "<script>") {
		t.Errorf("html page (exit %d) is not a script-free document:\n%.300s", code, page)
	}
}

// TestChangelogBaseRevision: with --base REV each path gets its own change
// log against its version at REV; a path new at REV says so.
func TestChangelogBaseRevision(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := t.TempDir()
	git := func(args ...string) {
		t.Helper()
		cmd := exec.Command("git", append([]string{"-c", "user.name=t", "-c", "user.email=t@example.com", "-c", "commit.gpgsign=false"}, args...)...)
		cmd.Dir = repo
		cmd.Env = append(os.Environ(), "GIT_CONFIG_GLOBAL=/dev/null", "GIT_CONFIG_SYSTEM=/dev/null")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	git("init", "-q")
	copyFile(t, changelogDir+"mixed/base.yaml", filepath.Join(repo, "api", "payments.yaml"))
	git("add", ".")
	git("commit", "-q", "-m", "v1")
	copyFile(t, changelogDir+"mixed/head.yaml", filepath.Join(repo, "api", "payments.yaml"))
	copyFile(t, changelogDir+"channel-added/head.yaml", filepath.Join(repo, "api", "events.yaml"))

	code, out, stderr := runCLIIn(t, repo, "", "changelog", "--base", "HEAD", "--format", "json", "api/payments.yaml", "api/events.yaml")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var doc struct {
		Changelogs []struct {
			Contract, Note string
			Base           struct{ Name string }
			Counts         struct{ Breaking, Added int }
		}
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Changelogs) != 2 {
		t.Fatalf("json (%v): %s", err, out)
	}
	pay, ev := doc.Changelogs[0], doc.Changelogs[1]
	if pay.Base.Name != "HEAD:api/payments.yaml" || pay.Counts.Breaking != 1 || pay.Counts.Added < 1 {
		t.Errorf("payments change log %+v", pay)
	}
	if !strings.Contains(ev.Note, "new contract") || ev.Counts.Added != 0 {
		t.Errorf("events is new at HEAD: %+v", ev)
	}
	for _, c := range []argvCase{
		{"base without paths", []string{"changelog", "--base", "HEAD"}, exitUsage, "missing contract path"},
		{"base with stdin", []string{"changelog", "--base", "HEAD", "-"}, exitUsage, "standard input (-) has none"},
		{"bad revision", []string{"changelog", "--base", "no-such-rev", "api/payments.yaml"}, exitInput, "no-such-rev:api/payments.yaml"},
	} {
		code, _, stderr := runCLIIn(t, repo, "", c.args...)
		checkExit(t, c, code, stderr)
	}
}
