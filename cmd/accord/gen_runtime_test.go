package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestGenSharedRuntime: with accord.yaml's runtime entry, every integration
// imports one runtime package, by the path the module's go.mod gives, and
// --check sees a stale or missing runtime file as it sees the others.
func TestGenSharedRuntime(t *testing.T) {
	dir := t.TempDir()
	src, err := os.ReadFile(genContract)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ name, data string }{
		{"go.mod", "module example.com/shop\n\ngo 1.24\n"},
		{"api.yaml", string(src)},
		{"accord.yaml", `version: 1
runtime: internal/accordrt
integrations:
  - {name: a, contract: api.yaml, output: internal/a, package: a}
  - {name: b, contract: api.yaml, output: internal/b, package: b, generate: [client, redis]}
  - {name: m, contract: api.yaml, output: internal/m, package: m, generate: [models]}
`},
	} {
		if err := os.WriteFile(filepath.Join(dir, f.name), []byte(f.data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	code, out, stderr := runGenIn(t, dir, "gen")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(out, "runtime: "+filepath.Join("internal", "accordrt")) {
		t.Errorf("stdout does not report the runtime package: %q", out)
	}
	for _, pkg := range []string{"a", "b"} {
		b, err := os.ReadFile(filepath.Join(dir, "internal", pkg, "accord_runtime.gen.go"))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(b, []byte(`accordrt "example.com/shop/internal/accordrt"`)) {
			t.Errorf("%s does not import the shared runtime:\n%.400s", pkg, b)
		}
		if _, err := os.Stat(filepath.Join(dir, "internal", pkg, "accordrt")); !os.IsNotExist(err) {
			t.Errorf("%s got a runtime of its own besides the shared one", pkg)
		}
	}
	if _, err := os.Stat(filepath.Join(dir, "internal", "m", "accord_runtime.gen.go")); !os.IsNotExist(err) {
		t.Error("models alone re-export the runtime")
	}
	// b asked for the redis adapter: the shared runtime carries it, once.
	if _, err := os.Stat(filepath.Join(dir, "internal", "accordrt", "replay_redis.gen.go")); err != nil {
		t.Errorf("the shared runtime lacks the adapter one integration asked for: %v", err)
	}
	rtFile := filepath.Join(dir, "internal", "accordrt", "policy.gen.go")
	b, err := os.ReadFile(rtFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(b, []byte("\npackage accordrt\n")) {
		t.Errorf("runtime file's package clause:\n%.300s", b)
	}
	if code, _, _ := runGenIn(t, dir, "gen", "--check"); code != exitOK {
		t.Error("--check fails right after gen")
	}
	if err := os.WriteFile(rtFile, append(b, []byte("// edited\n")...), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runGenIn(t, dir, "gen", "--check")
	if code != exitFailed || !strings.Contains(out, filepath.Join("internal", "accordrt", "policy.gen.go")+": stale") {
		t.Errorf("--check after editing a runtime file: exit %d, %q", code, out)
	}
	if err := os.Remove(rtFile); err != nil {
		t.Fatal(err)
	}
	if code, out, _ = runGenIn(t, dir, "gen", "--check"); code != exitFailed || !strings.Contains(out, "policy.gen.go: missing") {
		t.Errorf("--check after removing a runtime file: exit %d, %q", code, out)
	}

	// The runtime may not share a directory with an integration.
	cfg := strings.Replace(mustRead(t, filepath.Join(dir, "accord.yaml")), "runtime: internal/accordrt", "runtime: internal/a", 1)
	if err := os.WriteFile(filepath.Join(dir, "accord.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, stderr := runGenIn(t, dir, "gen"); code != exitFailed || !strings.Contains(stderr, "give the runtime a directory of its own") {
		t.Errorf("runtime in an integration's output: exit %d, %q", code, stderr)
	}
}

// TestGenSingleContractRuntime: one contract gets its runtime as a
// subpackage of the output, so the directory is self-contained; without a
// go.mod, gen says under which module path that holds.
func TestGenSingleContractRuntime(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("module example.com/partner // the partner's module\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, stderr := runGenIn(t, dir, "gen", absPath(t, genContract), "-o", "client", "-p", "client")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "go get github.com/oapi-codegen/runtime@v1.8.0") {
		t.Errorf("gen does not say which modules to add: %q", stderr)
	}
	b := mustRead(t, filepath.Join(dir, "client", "accord_runtime.gen.go"))
	if !strings.Contains(b, `"example.com/partner/client/accordrt"`) {
		t.Errorf("import path:\n%.400s", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "client", "accordrt", "client.gen.go")); err != nil {
		t.Errorf("no runtime subpackage: %v", err)
	}

	bare := t.TempDir()
	code, _, stderr = runGenIn(t, bare, "gen", absPath(t, genContract), "-o", "out", "-p", "partnerapi")
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.Contains(stderr, "note: no go.mod above") || !strings.Contains(stderr, "go mod init partnerapi") {
		t.Errorf("no note about the missing go.mod: %q", stderr)
	}
	if !strings.Contains(mustRead(t, filepath.Join(bare, "out", "accord_runtime.gen.go")), `"partnerapi/accordrt"`) {
		t.Error("without go.mod the runtime is not imported as PACKAGE/accordrt")
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
