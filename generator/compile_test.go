package generator

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testModuleDeps are the modules generated code may import, with the
// versions this repository pins; their go.sum lines are copied from ours so
// the build needs no checksum lookup.
var testModuleDeps = []string{
	"github.com/oapi-codegen/runtime v1.8.0",
	"github.com/google/uuid v1.6.0",
	"github.com/apapsch/go-jsonmerge/v2 v2.0.0",
}

// testRuntime is the runtime package's import path in the test modules
// (writeTestModule, writeGenerated).
const testRuntime = "accordtest/" + RuntimeName

// writeGenerated writes a generated package into mod/dir and the runtime
// package, with the adapters' files, into mod/accordrt.
func writeGenerated(t testing.TB, mod, dir string, res *Result, adapters []string) {
	t.Helper()
	if _, err := Write(filepath.Join(mod, dir), res.Files); err != nil {
		t.Fatal(err)
	}
	rt, err := RuntimePackage(adapters...)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Write(filepath.Join(mod, RuntimeName), rt); err != nil {
		t.Fatal(err)
	}
}

// writeTestModule makes dir a module that requires what generated code
// needs.
func writeTestModule(t testing.TB, dir string) {
	t.Helper()
	var mod strings.Builder
	mod.WriteString("module accordtest\n\ngo 1.24\n\nrequire (\n")
	for _, d := range testModuleDeps {
		mod.WriteString("\t" + d + "\n")
	}
	mod.WriteString(")\n")
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.Open("../go.sum")
	if err != nil {
		t.Fatal(err)
	}
	defer sum.Close()
	var lines []string
	sc := bufio.NewScanner(sum)
	for sc.Scan() {
		for _, d := range testModuleDeps {
			if strings.HasPrefix(sc.Text(), d+" ") || strings.HasPrefix(sc.Text(), d+"/go.mod ") {
				lines = append(lines, sc.Text())
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
}

// goCmd runs the go tool in dir with the shared module cache and no
// checksum database (the go.sum lines come from our own go.sum).
func goCmd(t testing.TB, dir string, args ...string) ([]byte, error) {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool on PATH")
	}
	cmd := exec.Command(goBin, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOSUMDB=off", "GOWORK=off", "CGO_ENABLED=0")
	return cmd.CombinedOutput()
}

// TestGeneratedCodeCompiles type-checks and vets every case's output, each
// its own package of one temporary module. go vet compiles what it checks,
// so a separate go build would only add link-free time.
func TestGeneratedCodeCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles generated code")
	}
	mod := t.TempDir()
	writeTestModule(t, mod)
	for _, dir := range caseDirs(t) {
		writeGenerated(t, mod, filepath.Base(dir), genCase(t, dir), nil)
	}
	if out, err := goCmd(t, mod, "vet", "./..."); err != nil {
		t.Fatalf("go vet: %v\n%s", err, out)
	}
}
