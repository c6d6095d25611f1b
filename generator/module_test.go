package generator

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestDependenciesMatchGoMod(t *testing.T) {
	mod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range Dependencies() {
		if !strings.Contains(string(mod), "\t"+d.Module+" "+d.Version) {
			t.Errorf("go.mod does not pin %s %s", d.Module, d.Version)
		}
	}
}

func TestMissingDependencies(t *testing.T) {
	files := []File{
		{Name: "a.go", Content: []byte("package a\n\nimport (\n\t\"context\"\n\n\tredis \"github.com/redis/go-redis/v9\"\n\t\"github.com/oapi-codegen/runtime/types\"\n)\n")},
		{Name: "b.go", Content: []byte("package a\n\nimport \"github.com/google/uuid\"\n")},
	}
	mod := []byte("module example.com/x\n\ngo 1.24\n\nrequire github.com/google/uuid v1.6.0 // indirect\n\nrequire (\n\tgithub.com/oapi-codegen/runtime v1.8.0\n)\n")
	if got := MissingDependencies(mod, files); !reflect.DeepEqual(got, []string{"github.com/redis/go-redis/v9@v9.23.0"}) {
		t.Errorf("missing %v", got)
	}
	if got := MissingDependencies([]byte("module example.com/x\n"), files[1:]); !reflect.DeepEqual(got, []string{"github.com/google/uuid@v1.6.0"}) {
		t.Errorf("missing %v", got)
	}
}

func TestImportPath(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte("// comment\nmodule \"example.com/quoted\" // trailing\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ImportPath(filepath.Join(dir, "internal", "accordrt"))
	if err != nil || got != "example.com/quoted/internal/accordrt" {
		t.Errorf("ImportPath = %q, %v", got, err)
	}
	if got, err := ImportPath(dir); err != nil || got != "example.com/quoted" {
		t.Errorf("ImportPath(root) = %q, %v", got, err)
	}
}
