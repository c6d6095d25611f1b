package generator

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-dev/accord/contracts"
)

// TestEventAdaptersCompile generates a server with the kafka, the nats,
// then the otel part, and vets each in a module that requires only that broker's
// client: the adapter's files compile on their own and the other broker's
// client is never imported.
func TestEventAdaptersCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles generated code")
	}
	for _, c := range []struct {
		part, other string
		deps        []string
	}{
		{"kafka", "nats-io", []string{"github.com/twmb/franz-go v1.22.3", "github.com/twmb/franz-go/pkg/kmsg v1.15.1"}},
		{"nats", "franz-go", []string{"github.com/nats-io/nats.go v1.55.0"}},
		{"otel", "nats-io", []string{"go.opentelemetry.io/otel v1.47.0", "go.opentelemetry.io/otel/metric v1.47.0", "go.opentelemetry.io/otel/trace v1.47.0"}},
	} {
		t.Run(c.part, func(t *testing.T) {
			d, err := contracts.Load(context.Background(), filepath.Join(casesDir, "basic", "contract.yaml"), contracts.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			parts, err := ParseParts([]string{"server", c.part})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Generate(d, Options{Package: "api", Runtime: testRuntime, Parts: parts, templates: testTemplates()})
			if err != nil {
				t.Fatal(err)
			}
			rt, err := RuntimePackage(parts.Adapters()...)
			if err != nil {
				t.Fatal(err)
			}
			adapterFiles := 0
			for _, f := range append(res.Files, rt...) {
				if strings.HasSuffix(f.Name, "_"+c.part+".gen.go") {
					adapterFiles++
				}
				if strings.Contains(string(f.Content), c.other) {
					t.Errorf("%s part: %s imports %s", c.part, f.Name, c.other)
				}
			}
			if adapterFiles == 0 {
				t.Fatalf("%s part generated no adapter file", c.part)
			}
			mod := t.TempDir()
			var gomod strings.Builder
			gomod.WriteString("module accordtest\n\ngo 1.26\n\nrequire (\n")
			for _, dep := range append(append([]string(nil), testModuleDeps...), c.deps...) {
				gomod.WriteString("\t" + dep + "\n")
			}
			gomod.WriteString(")\n")
			sum, err := os.ReadFile("../go.sum")
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(mod, "go.mod"), []byte(gomod.String()), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(mod, "go.sum"), sum, 0o644); err != nil {
				t.Fatal(err)
			}
			writeGenerated(t, mod, "api", res, parts.Adapters())
			if out, err := goCmd(t, mod, "vet", "./..."); err != nil {
				t.Fatalf("go vet: %v\n%s", err, out)
			}
		})
	}
}
