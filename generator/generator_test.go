package generator

import (
	"bytes"
	"context"
	"flag"
	"go/format"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/accord-dev/accord/config"
	"github.com/accord-dev/accord/contracts"
)

var update = flag.Bool("update", false, "rewrite testdata/generator/*/expected from the current output")

const casesDir = "../testdata/generator"

// genCase generates one testdata/generator case. Its accord.yaml, when
// present, gives the package, the parts and the policy overrides of its
// first integration; otherwise the package is "api" with every part.
func genCase(t testing.TB, dir string) *Result {
	t.Helper()
	opts := Options{Package: "api", Runtime: testRuntime, templates: testTemplates()}
	if data, err := os.ReadFile(filepath.Join(dir, "accord.yaml")); err == nil {
		cfg, err := config.Parse("accord.yaml", data, dir)
		if err != nil {
			t.Fatalf("%s: %v", dir, err)
		}
		in := cfg.Integrations[0]
		opts.Package = in.Package
		if len(in.Generate) > 0 {
			if opts.Parts, err = ParseParts(in.Generate); err != nil {
				t.Fatal(err)
			}
		}
		if in.Policy != nil {
			opts.Overrides = append(opts.Overrides, *in.Policy)
		}
		for _, op := range in.Operations {
			opts.OperationOverrides = append(opts.OperationOverrides, OperationOverride{ID: op.ID, Spec: op.Spec, Pos: op.Pos})
		}
	}
	doc, err := contracts.Load(context.Background(), filepath.Join(dir, "contract.yaml"), contracts.LoadOptions{})
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	res, err := Generate(doc, opts)
	if err != nil {
		t.Fatalf("%s: %v", dir, err)
	}
	return res
}

// testTemplates lets ACCORD_TEMPLATES name a directory of *.tmpl to test
// the generator with while templates/ is being rewritten; nil (the real
// templates) otherwise.
func testTemplates() fs.FS {
	if dir := os.Getenv("ACCORD_TEMPLATES"); dir != "" {
		return os.DirFS(dir)
	}
	return nil
}

func caseDirs(t testing.TB) []string {
	t.Helper()
	entries, err := os.ReadDir(casesDir)
	if err != nil {
		t.Fatal(err)
	}
	var dirs []string
	for _, e := range entries {
		if e.IsDir() {
			dirs = append(dirs, filepath.Join(casesDir, e.Name()))
		}
	}
	if len(dirs) == 0 {
		t.Fatal("no cases in " + casesDir)
	}
	return dirs
}

// TestGolden compares every case's output with its expected/ directory
// (the runtime's re-exports excepted) and its notes with expected/notes.txt.
// Run with -update to rewrite them.
func TestGolden(t *testing.T) {
	for _, dir := range caseDirs(t) {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			res := genCase(t, dir)
			want := filepath.Join(dir, "expected")
			got := map[string][]byte{"notes.txt": []byte(strings.Join(res.Notes, "\n") + "\n")}
			for _, f := range res.Files {
				// The re-exports follow the runtime's API mechanically; the
				// compile tests check them, goldens would only churn.
				if f.Name != "accord_runtime.gen.go" {
					got[f.Name] = f.Content
				}
			}
			if *update {
				os.RemoveAll(want)
				if err := os.MkdirAll(want, 0o755); err != nil {
					t.Fatal(err)
				}
				for name, content := range got {
					if err := os.WriteFile(filepath.Join(want, name), content, 0o644); err != nil {
						t.Fatal(err)
					}
				}
				return
			}
			entries, err := os.ReadDir(want)
			if err != nil {
				t.Fatalf("%v (run go test ./generator -run TestGolden -update)", err)
			}
			for _, e := range entries {
				if _, ok := got[e.Name()]; !ok {
					t.Errorf("%s is expected but no longer generated", e.Name())
				}
			}
			for name, content := range got {
				exp, err := os.ReadFile(filepath.Join(want, name))
				if err != nil {
					t.Errorf("%s: generated but not expected (%v)", name, err)
					continue
				}
				if !bytes.Equal(exp, content) {
					t.Errorf("%s differs from %s (run with -update to accept):\n%s", name, want, firstDiff(exp, content))
				}
			}
		})
	}
}

func firstDiff(a, b []byte) string {
	al, bl := strings.Split(string(a), "\n"), strings.Split(string(b), "\n")
	for i := 0; i < len(al) || i < len(bl); i++ {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return "line " + strconv.Itoa(i+1) + ":\n  expected: " + x + "\n  got:      " + y
		}
	}
	return ""
}

// TestDeterministic generates every case twice from fresh loads: map
// iteration or any other nondeterminism would show as different bytes.
func TestDeterministic(t *testing.T) {
	for _, dir := range caseDirs(t) {
		a, b := genCase(t, dir), genCase(t, dir)
		if len(a.Files) != len(b.Files) {
			t.Fatalf("%s: %d files, then %d", dir, len(a.Files), len(b.Files))
		}
		for i := range a.Files {
			if a.Files[i].Name != b.Files[i].Name || !bytes.Equal(a.Files[i].Content, b.Files[i].Content) {
				t.Errorf("%s: %s differs between two runs", dir, a.Files[i].Name)
			}
		}
		if strings.Join(a.Notes, "\n") != strings.Join(b.Notes, "\n") {
			t.Errorf("%s: notes differ between two runs", dir)
		}
	}
}

// TestEveryFileHeadedAndFormatted checks the header and that gofmt would
// change nothing.
func TestEveryFileHeadedAndFormatted(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join(casesDir, "*"))
	if err != nil {
		t.Fatal(err)
	}
	// Every case: files with unusual content (a client without operations,
	// say) are where formatting slips.
	for _, dir := range dirs {
		for _, f := range genCase(t, dir).Files {
			checkHeadedAndFormatted(t, filepath.Base(dir)+"/"+f.Name, f.Content)
		}
	}
	res := genCase(t, filepath.Join(casesDir, "basic"))
	names := map[string]bool{}
	for _, f := range res.Files {
		names[f.Name] = true
	}
	for _, want := range []string{"accord_models.gen.go", "accord_client.gen.go", "accord_server.gen.go",
		"accord_operations.gen.go", "accord_runtime.gen.go"} {
		if !names[want] {
			t.Errorf("%s not generated (got %v)", want, sortedSet(names))
		}
	}
	for name := range names {
		if strings.HasSuffix(name, "_test.gen.go") {
			t.Errorf("a runtime test file was copied: %s", name)
		}
	}
}

// TestPartsDecideFiles checks what each part brings: models alone is one
// file; the client's and the server's files come with the runtime and the
// operations table, and never with each other.
func TestPartsDecideFiles(t *testing.T) {
	for _, c := range []struct {
		parts         []string
		want, notWant []string
	}{
		{[]string{"models"}, []string{"accord_models.gen.go"}, []string{"accord_operations.gen.go", "accord_runtime.gen.go", "accord_client.gen.go", "accord_server.gen.go"}},
		{[]string{"client"}, []string{"accord_models.gen.go", "accord_operations.gen.go", "accord_runtime.gen.go", "accord_client.gen.go"}, []string{"accord_server.gen.go"}},
		{[]string{"server"}, []string{"accord_models.gen.go", "accord_operations.gen.go", "accord_runtime.gen.go", "accord_server.gen.go"}, []string{"accord_client.gen.go"}},
	} {
		parts, err := ParseParts(c.parts)
		if err != nil {
			t.Fatal(err)
		}
		doc, err := contracts.Load(context.Background(), filepath.Join(casesDir, "basic", "contract.yaml"), contracts.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		res, err := Generate(doc, Options{Package: "api", Runtime: testRuntime, Parts: parts, templates: testTemplates()})
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, f := range res.Files {
			got[f.Name] = true
		}
		for _, n := range c.want {
			if !got[n] {
				t.Errorf("%v: %s not generated", c.parts, n)
			}
		}
		for _, n := range c.notWant {
			if got[n] {
				t.Errorf("%v: %s generated", c.parts, n)
			}
		}
		if c.parts[0] == "models" && len(got) != 1 {
			t.Errorf("models: %v", sortedSet(got))
		}
	}
	if _, err := ParseParts([]string{"models", "docs"}); err == nil {
		t.Error("an unknown part is accepted")
	}
}

func TestBadPackageName(t *testing.T) {
	doc, err := contracts.Load(context.Background(), filepath.Join(casesDir, "basic", "contract.yaml"), contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"", "main", "9lives", "my-api", "_"} {
		if _, err := Generate(doc, Options{Package: pkg, Runtime: testRuntime}); err == nil {
			t.Errorf("package %q accepted", pkg)
		}
	}
}

func checkHeadedAndFormatted(t *testing.T, name string, content []byte) {
	t.Helper()
	if !bytes.HasPrefix(content, []byte(Header()+"\n")) {
		t.Errorf("%s does not start with the header", name)
	}
	if !HasHeader(content) {
		t.Errorf("%s: HasHeader is false", name)
	}
	formatted, err := format.Source(content)
	if err != nil {
		t.Errorf("%s: %v", name, err)
	} else if !bytes.Equal(formatted, content) {
		t.Errorf("%s is not gofmt'd:\n%s", name, firstDiff(formatted, content))
	}
}
