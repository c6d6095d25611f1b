package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"
)

const changelogDir = "../../testdata/changelog/"

func TestChangelogArgv(t *testing.T) {
	b, h := changelogDir+"mixed/base.yaml", changelogDir+"mixed/head.yaml"
	cases := []argvCase{
		{"no args", []string{"changelog"}, exitUsage, "changelog needs BASE and HEAD, got 0"},
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
