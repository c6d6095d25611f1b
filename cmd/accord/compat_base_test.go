package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-dev/accord/compat"
	"github.com/accord-dev/accord/contracts"
)

func TestCompatBaseRevision(t *testing.T) {
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
	copyFile(t, v1, filepath.Join(repo, "api", "payments.yaml"))
	copyFile(t, v1, filepath.Join(repo, "api", "stable.yaml"))
	git("add", ".")
	git("commit", "-q", "-m", "v1")
	// Work tree: payments breaks, stable is unchanged, orders is new.
	copyFile(t, v1Breaking, filepath.Join(repo, "api", "payments.yaml"))
	copyFile(t, v1, filepath.Join(repo, "api", "orders.yaml"))

	code, out, stderr := runCLIIn(t, repo, "", "compat", "--base", "HEAD", "--format", "json", "api/payments.yaml", "api/stable.yaml", "api/orders.yaml")
	if code != exitFailed {
		t.Fatalf("exit %d, want 1 (stderr %q)", code, stderr)
	}
	r := decodeCompat(t, out)
	if len(r.Comparisons) != 3 {
		t.Fatalf("%d comparisons, want 3", len(r.Comparisons))
	}
	if got := r.Comparisons[0].Base.Name; got != "HEAD:api/payments.yaml" {
		t.Errorf("base name = %q", got)
	}
	if len(r.Comparisons[0].Findings) == 0 || len(r.Comparisons[1].Findings) != 0 {
		t.Errorf("payments should break and stable should not: %+v", r.Comparisons)
	}
	if notes := r.Comparisons[2].Notes; len(notes) != 1 || !strings.Contains(notes[0], "does not exist at HEAD: a new contract") {
		t.Errorf("new contract notes = %q", notes)
	}

	// From a subdirectory, paths are relative to it, as the shell globbed them.
	code, out, stderr = runCLIIn(t, filepath.Join(repo, "api"), "", "compat", "--base", "HEAD", "--format", "json", "stable.yaml")
	if code != exitOK {
		t.Fatalf("from a subdirectory: exit %d (stderr %q)", code, stderr)
	}
	if got := decodeCompat(t, out).Comparisons[0].Base.Name; got != "HEAD:./stable.yaml" {
		t.Errorf("base name from a subdirectory = %q", got)
	}

	// A revision that does not exist is an input error naming it, not a new contract.
	code, _, stderr = runCLIIn(t, repo, "", "compat", "--base", "no-such-rev", "api/stable.yaml")
	if code != exitInput || !strings.Contains(stderr, "no-such-rev:api/stable.yaml") {
		t.Errorf("bad revision: exit %d, stderr %q", code, stderr)
	}
	// Outside a git work tree --base cannot work.
	code, _, stderr = runCLIIn(t, t.TempDir(), "", "compat", "--base", "HEAD", "api.yaml")
	if code != exitInput || !strings.Contains(stderr, "needs a git work tree") {
		t.Errorf("no repository: exit %d, stderr %q", code, stderr)
	}
}

func TestAnchorInHead(t *testing.T) {
	ctx := context.Background()
	head, err := contracts.Load(ctx, v1Breaking, contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res := &compat.Result{Findings: []compat.Finding{
		{Side: "base", Pointer: "/components/schemas/Payment/properties/amount"},
		{Side: "head", Pointer: "/components/schemas/Payment"},
		{Side: "base", Pointer: "/x-nowhere"},
	}}
	anchorInHead(res, head)
	got := res.Findings[0].HeadPos
	// The nearest surviving ancestor: Payment's properties, line 69.
	if got == nil || got.Line != 69 || got.File != v1Breaking {
		t.Errorf("anchor = %+v, want %s:69", got, v1Breaking)
	}
	if res.Findings[1].HeadPos != nil || res.Findings[2].HeadPos != nil {
		t.Error("head-side findings and findings with no surviving ancestor get no anchor")
	}
}
