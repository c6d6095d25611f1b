package preflight

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/accord-dev/accord/config"
	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/generator"
)

const fixtures = "../testdata/preflight"

// notYet are the checks accord cannot pass today, with the reason each
// must give until it can. None is left: x-accord has slo, and accord
// generates retry budgets and kill switches.
var notYet = map[string]string{}

// fixtureCase describes how the harness builds a case's repository.
type fixtureCase struct {
	untracked bool // leave openapi.yaml out of git's tracked files
	noOutput  bool // write no generated code
}

var cases = map[string]fixtureCase{
	"contracts-tracked": {untracked: true},
	"generated-fresh":   {noOutput: true},
}

// materialize builds a case's repository in a temporary directory: the
// good fixture with the case's files laid over it (app/*.go.txt become
// .go, kept as text in testdata so no tool compiles them), the generated
// code written unless the case wants it missing.
func materialize(t *testing.T, name string) string {
	t.Helper()
	dir := t.TempDir()
	for _, src := range []string{"good", name} {
		root := filepath.Join(fixtures, src)
		err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			rel = strings.TrimSuffix(rel, ".go.txt")
			if rel != strings.TrimSuffix(p, "") && strings.HasSuffix(p, ".go.txt") {
				rel += ".go"
			}
			data, err := os.ReadFile(p)
			if err != nil {
				return err
			}
			dst := filepath.Join(dir, rel)
			if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
				return err
			}
			return os.WriteFile(dst, data, 0o644)
		})
		if err != nil {
			t.Fatalf("building the %s fixture: %v", name, err)
		}
	}
	return dir
}

// runFixture runs preflight on a case the way accord preflight --config
// accord.yaml --base REV does.
func runFixture(t *testing.T, name string) Report {
	t.Helper()
	c := cases[name]
	dir := materialize(t, name)
	cfg, err := config.Load(filepath.Join(dir, "accord.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	text, _ := os.ReadFile(filepath.Join(dir, "accord.yaml"))
	in := Input{Config: cfg, ConfigText: text, BaseRev: "main", Repo: Repo{FS: os.DirFS(dir), Tracked: map[string]bool{}}}
	for _, integ := range cfg.Enabled() {
		integ := integ
		doc, err := contracts.Load(context.Background(), integ.Contract, contracts.LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		tg := Target{Name: integ.Name, Doc: doc, File: "openapi.yaml", Integration: &integ, Base: doc}
		if _, err := os.Stat(filepath.Join(dir, "base.yaml")); err == nil {
			if tg.Base, err = contracts.Load(context.Background(), filepath.Join(dir, "base.yaml"), contracts.LoadOptions{}); err != nil {
				t.Fatal(err)
			}
		}
		if !c.noOutput {
			// A document of its own: generator.Generate renames operationIds
			// in the document it is given (oapi-codegen's doing), so a
			// second generation from the same one would differ.
			own, err := contracts.Load(context.Background(), integ.Contract, contracts.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := generator.Generate(own, generator.Options{Package: integ.Package, Runtime: "example.com/" + generator.RuntimeName})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := generator.Write(integ.Output, res.Files); err != nil {
				t.Fatal(err)
			}
		}
		in.Targets = append(in.Targets, tg)
	}
	_ = filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			in.Repo.Tracked[filepath.ToSlash(rel)] = true
		}
		return nil
	})
	if c.untracked {
		delete(in.Repo.Tracked, "openapi.yaml")
	}
	return Run(in)
}

// TestGoodFixture: a repository that does everything right passes every
// check accord can pass today.
func TestGoodFixture(t *testing.T) {
	r := runFixture(t, "good")
	for _, a := range r.Areas {
		for _, c := range a.Checks {
			if why, ok := notYet[c.ID]; ok {
				if c.Status == No && !strings.Contains(c.Why, why) {
					t.Errorf("%s says no for another reason than %q: %s", c.ID, why, c.Why)
				}
				continue
			}
			if c.Status != Yes {
				t.Errorf("%s: no: %s %+v", c.ID, c.Why, c.Items)
			}
		}
	}
	if n := len(r.Areas); n != 6 {
		t.Errorf("%d areas, want 6", n)
	}
}

// TestEachCheckTurnsNo: each fixture breaks one thing, and the check about
// it says no, with a reason and (where there is one) a place.
func TestEachCheckTurnsNo(t *testing.T) {
	entries, err := os.ReadDir(fixtures)
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "good" {
			continue
		}
		id := e.Name()
		covered[id] = true
		t.Run(id, func(t *testing.T) {
			r := runFixture(t, id)
			c, ok := r.Check(id)
			if !ok {
				t.Fatalf("no check %s", id)
			}
			if c.Status != No || c.Why == "" {
				t.Fatalf("%s: %s (%s), want no with a reason", id, c.Status, c.Why)
			}
			for _, it := range c.Items {
				if it.Status == No && it.Where == "" && id != "no-breaking-change" {
					t.Errorf("%s: item %q has no place", id, it.Text)
				}
			}
			if r.Failed() == 0 {
				t.Error("the report counts no failure")
			}
		})
	}
	// Every check has a fixture, except those no repository can fail today
	// (jitter and trace ids are always generated) or pass (notYet).
	for _, a := range runFixture(t, "good").Areas {
		for _, c := range a.Checks {
			if _, ok := notYet[c.ID]; ok || c.ID == "retry-jitter" || c.ID == "trace-ids" {
				continue
			}
			if !covered[c.ID] {
				t.Errorf("check %s has no fixture under testdata/preflight", c.ID)
			}
		}
	}
}

// TestFindGoSkipsDeclarations: defining a constructor, or mentioning it in
// a comment, is not wiring it.
func TestFindGoSkipsDeclarations(t *testing.T) {
	s := &state{goCode: []goFile{{name: "rt/store.go", lines: []string{
		"// use NewSQLIdempotencyStore(db) in production",
		"func NewSQLIdempotencyStore(db *sql.DB) *Store {",
	}}, {name: "app/main.go", lines: []string{"", "\tstore := api.NewSQLIdempotencyStore(db)"}}}}
	where, ok := s.findGo(sharedStoreRe)
	if !ok || where != "app/main.go:2" {
		t.Errorf("found at %q (%v), want app/main.go:2", where, ok)
	}
}

// TestFindGoSkipsRuntime: the runtime's own sources mention every option
// (WithHealth, the /healthz route); they are not the application wiring it.
func TestFindGoSkipsRuntime(t *testing.T) {
	fsys := fstest.MapFS{
		"accordrt/health.go": {Data: []byte("package accordrt\n\nfunc x() { mux.Handle(\"GET /healthz\", h) }\n")},
		"rt/health.go":       {Data: []byte("package runtime\n\nvar _ = WithHealth(HealthOptions{})\n")},
		"app/main.go":        {Data: []byte("package main\n\nfunc main() {\n\tsrv := api.NewServer(h)\n}\n")},
	}
	s := &state{goCode: scanGo(fsys)}
	if where, ok := s.findGo(healthGo); ok {
		t.Errorf("health found in the runtime at %s", where)
	}
	fsys["app/main.go"] = &fstest.MapFile{Data: []byte("package main\n\nfunc main() {\n\tsrv := api.NewServer(h, api.WithHealth(api.HealthOptions{}))\n}\n")}
	s = &state{goCode: scanGo(fsys)}
	if where, ok := s.findGo(healthGo); !ok || where != "app/main.go:4" {
		t.Errorf("found at %q (%v), want app/main.go:4", where, ok)
	}
}
