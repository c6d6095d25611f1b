package generator

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/templates"
)

// TestAdapterFilesOnlyWhenAsked checks the optional runtime files: a
// runtime file of an adapter (replay_redis.go) reaches a generated package
// only when the parts name the adapter, so that nobody else's code imports
// its client.
func TestAdapterFilesOnlyWhenAsked(t *testing.T) {
	doc := func() *contracts.Document {
		d, err := contracts.Load(context.Background(), filepath.Join(casesDir, "basic", "contract.yaml"), contracts.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	for _, c := range []struct {
		parts []string
		redis bool
	}{
		{[]string{"models", "client", "server"}, false},
		{[]string{"server", "redis"}, true},
		{[]string{"client", "redis"}, true},
	} {
		parts, err := ParseParts(c.parts)
		if err != nil {
			t.Fatal(err)
		}
		res, err := Generate(doc(), Options{Package: "api", Runtime: testRuntime, Parts: parts, templates: testTemplates()})
		if err != nil {
			t.Fatal(err)
		}
		rt, err := RuntimePackage(parts.Adapters()...)
		if err != nil {
			t.Fatal(err)
		}
		got := 0
		for _, f := range append(res.Files, rt...) {
			if strings.HasSuffix(f.Name, "_redis.gen.go") {
				got++
			} else if !c.redis && strings.Contains(string(f.Content), "go-redis") {
				t.Errorf("%v: %s mentions go-redis", c.parts, f.Name)
			}
		}
		if (got > 0) != c.redis {
			t.Errorf("%v: %d redis files generated, want them: %v", c.parts, got, c.redis)
		}
	}
	for _, bad := range [][]string{{"redis"}, {"models", "redis"}, {"server", "rabbitmq"}, {"kafka"}} {
		if _, err := ParseParts(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
	if p, _ := ParseParts([]string{"server", "redis"}); p.String() != "models,server,redis" {
		t.Errorf("String() %q", p.String())
	}
	// The convention, not a list of files, decides what is optional.
	all, err := templates.RuntimeFiles(templates.Adapters()...)
	if err != nil {
		t.Fatal(err)
	}
	core, _ := templates.RuntimeFiles()
	if len(all) <= len(core) {
		t.Fatalf("no adapter files: %v", all)
	}
	for _, f := range core {
		if templates.RuntimeAdapter(f) != "" {
			t.Errorf("core files include %s", f)
		}
	}
	if _, err := templates.RuntimeFiles("rabbitmq"); err == nil {
		t.Error("an unknown adapter is accepted")
	}
}

// TestRedisAdapterCompiles builds a server generated with the redis part in
// a module that requires go-redis; TestGeneratedCodeCompiles builds the
// others in a module that does not, which proves they do not import it.
func TestRedisAdapterCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles generated code")
	}
	d, err := contracts.Load(context.Background(), filepath.Join(casesDir, "basic", "contract.yaml"), contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	parts, _ := ParseParts([]string{"server", "redis"})
	res, err := Generate(d, Options{Package: "api", Runtime: testRuntime, Parts: parts, templates: testTemplates()})
	if err != nil {
		t.Fatal(err)
	}
	mod := t.TempDir()
	var gomod strings.Builder
	gomod.WriteString("module accordtest\n\ngo 1.26\n\nrequire (\n")
	for _, dep := range append(testModuleDeps, "github.com/redis/go-redis/v9 v9.23.0") {
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
}
