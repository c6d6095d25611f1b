package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// avroSeriesDoc is an AsyncAPI 3.0 document whose one channel sends
// messages with the given Avro fields (JSON array members).
func avroSeriesDoc(version, fields string) string {
	return `asyncapi: 3.0.0
info: {title: Orders, version: ` + version + `}
channels:
  orders:
    address: orders.events
    messages:
      orderPlaced:
        payload:
          schemaFormat: application/vnd.apache.avro+json;version=1.9.0
          schema: {"type": "record", "name": "OrderPlaced", "fields": [` + fields + `]}
operations:
  sendOrderPlaced:
    action: send
    channel: {$ref: '#/channels/orders'}
    messages: [{$ref: '#/channels/orders/messages/orderPlaced'}]
`
}

// writeSeries writes the versions as v1.yaml, v2.yaml, ... in a fresh
// directory and returns it.
func writeSeries(t *testing.T, docs ...string) string {
	t.Helper()
	dir := t.TempDir()
	for i, d := range docs {
		if err := os.WriteFile(filepath.Join(dir, "v"+string(rune('1'+i))+".yaml"), []byte(d), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// TestCompatModes runs the registry modes over two series. "steps": each
// step is FULL-compatible (a field gains a default, then goes), but v1 and
// v3 are not: v1's readers need the field v3 no longer writes, so only the
// transitive forward check sees it. "promoted": int -> long reads old data
// (BACKWARD) but old readers cannot read longs (FORWARD).
func TestCompatModes(t *testing.T) {
	steps := writeSeries(t,
		avroSeriesDoc("1.0.0", `{"name": "id", "type": "string"}, {"name": "note", "type": "string"}`),
		avroSeriesDoc("1.1.0", `{"name": "id", "type": "string"}, {"name": "note", "type": "string", "default": ""}`),
		avroSeriesDoc("1.2.0", `{"name": "id", "type": "string"}`),
	)
	promoted := writeSeries(t,
		avroSeriesDoc("1.0.0", `{"name": "id", "type": "string"}, {"name": "qty", "type": "int"}`),
		avroSeriesDoc("1.0.0", `{"name": "id", "type": "string"}, {"name": "qty", "type": "long"}`),
	)
	three := []string{"v1.yaml", "v2.yaml", "v3.yaml"}
	two := []string{"v1.yaml", "v2.yaml"}
	tests := []struct {
		name     string
		dir      string
		mode     string
		versions []string
		exit     int
		out      string
	}{
		{"full, step by step", steps, "FULL", three, exitOK, "either side may upgrade first"},
		{"full transitive sees v1 -> v3", steps, "FULL_TRANSITIVE", three, exitFailed, "channel orders.events: upgrade consumers first"},
		{"backward transitive", steps, "backward_transitive", three, exitOK, ""},
		{"forward transitive", steps, "FORWARD_TRANSITIVE", three, exitFailed, "note"},
		{"promotion is backward", promoted, "BACKWARD", two, exitOK, "upgrade consumers first (BACKWARD only)"},
		{"promotion is not forward", promoted, "FORWARD", two, exitFailed, "qty"},
		{"promotion is not full", promoted, "FULL", two, exitFailed, "(0 backward, 1 forward breaking findings)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"compat", "--mode", tt.mode}, tt.versions...)
			code, out, stderr := runCLIIn(t, tt.dir, "", args...)
			if code != tt.exit {
				t.Fatalf("exit %d, want %d\n%s\nstderr: %s", code, tt.exit, out, stderr)
			}
			if !strings.Contains(out, tt.out) {
				t.Errorf("output lacks %q:\n%s", tt.out, out)
			}
		})
	}
	// Transitive steps are every earlier version against each later one.
	_, out, _ := runCLIIn(t, steps, "", "compat", "--mode", "FULL_TRANSITIVE", "--format", "json", "v1.yaml", "v2.yaml", "v3.yaml")
	r := decodeCompat(t, out)
	var pairs []string
	for _, c := range r.Comparisons {
		pairs = append(pairs, c.Base.Name+">"+c.Head.Name)
	}
	if got := strings.Join(pairs, " "); got != "v1.yaml>v2.yaml v1.yaml>v3.yaml v2.yaml>v3.yaml" {
		t.Errorf("transitive steps = %s", got)
	}
}

func TestCompatModeArgv(t *testing.T) {
	dir := writeSeries(t, avroSeriesDoc("1.0.0", `{"name": "id", "type": "string"}`), avroSeriesDoc("1.0.1", `{"name": "id", "type": "string"}`))
	if err := os.WriteFile(filepath.Join(dir, "api.yaml"), []byte("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths: {}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []argvCase{
		{"unknown mode", []string{"compat", "--mode", "SIDEWAYS", "v1.yaml", "v2.yaml"}, exitUsage, `--mode: mode must be BACKWARD, FORWARD or FULL, optionally with _TRANSITIVE, not "SIDEWAYS"`},
		{"one version", []string{"compat", "--mode", "FULL", "v1.yaml"}, exitUsage, "give at least two (oldest first), got 1"},
		{"two stdins", []string{"compat", "--mode", "FULL", "-", "-"}, exitUsage, "only one version of the series"},
		{"three without mode", []string{"compat", "v1.yaml", "v2.yaml", "v1.yaml"}, exitUsage, "use --mode"},
		{"OpenAPI", []string{"compat", "--mode", "FULL", "api.yaml", "api.yaml"}, exitUsage, "--mode judges AsyncAPI message schemas"},
		{"missing version", []string{"compat", "--mode", "FULL", "v1.yaml", "v9.yaml"}, exitInput, "v9.yaml"},
		{"two versions", []string{"compat", "--mode", "FULL", "v1.yaml", "v2.yaml"}, exitOK, ""},
		{"still two arguments", []string{"compat", "v1.yaml", "v2.yaml"}, exitOK, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCLIIn(t, dir, "", c.args...)
			checkExit(t, c, code, stderr)
		})
	}
}

// TestCompatModeWithBase: --mode with --base REV judges each path against
// its version at REV (a series of two); a path new at REV has nothing to
// break.
func TestCompatModeWithBase(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	repo := writeSeries(t, avroSeriesDoc("1.0.0", `{"name": "id", "type": "string"}, {"name": "qty", "type": "int"}`))
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
	git("add", ".")
	git("commit", "-q", "-m", "v1")
	next := avroSeriesDoc("1.0.0", `{"name": "id", "type": "string"}, {"name": "qty", "type": "long"}`)
	for _, f := range []string{"v1.yaml", "new.yaml"} {
		if err := os.WriteFile(filepath.Join(repo, f), []byte(next), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for mode, want := range map[string]int{"BACKWARD": exitOK, "FORWARD": exitFailed} {
		code, out, stderr := runCLIIn(t, repo, "", "compat", "--base", "HEAD", "--mode", mode, "v1.yaml", "new.yaml")
		if code != want {
			t.Errorf("%s: exit %d, want %d\n%s\nstderr: %s", mode, code, want, out, stderr)
		}
		if !strings.Contains(out, "new.yaml does not exist at HEAD: a new contract") {
			t.Errorf("%s: the new contract is not noted:\n%s", mode, out)
		}
	}
}
