package preflight

import (
	"bytes"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/generator"
)

// state is one Run: the targets with what every check shares (resolved
// policies, the generated files, the repository's Go code), computed once.
type state struct {
	in      Input
	targets []*target
	goCode  []goFile // the application's Go code, generated files excluded
}

type target struct {
	Target
	ops     []op
	schemes map[string]contracts.SignatureScheme
	// gen is the code accord generates for the target (nil for AsyncAPI,
	// or when generation failed: genErr).
	gen    []generator.File
	genErr error
	opts   generator.Options
}

// op is one operation with its resolved policy (accord.yaml applied) and,
// for OpenAPI, its model.
type op struct {
	contracts.OperationPolicy
	oa    *openapi3.Operation
	async *contracts.AsyncOperation
}

func (o op) where() string { return o.Pos.String() }

func (o op) label() string {
	switch {
	case o.Webhook:
		return "webhook " + o.Path + " (" + o.ID + ")"
	case o.Method != "":
		return o.Method + " " + o.Path + " (" + o.ID + ")"
	}
	return o.ID
}

type goFile struct {
	name  string
	lines []string
}

// Bounds on the repository scan: a launch check reads configuration and
// wiring, not a monorepo.
const (
	maxGoFiles    = 5000
	maxGoFileSize = 1 << 20
)

func newState(in Input) *state {
	s := &state{in: in}
	for _, t := range in.Targets {
		s.targets = append(s.targets, newTarget(t))
	}
	s.goCode = scanGo(in.Repo.FS)
	return s
}

func newTarget(t Target) *target {
	tg := &target{Target: t}
	var overrides []contracts.PolicySpec
	perOp := map[string]contracts.PolicySpec{}
	pkg, parts := "api", generator.Parts{}
	if in := t.Integration; in != nil {
		if in.Policy != nil {
			overrides = append(overrides, *in.Policy)
		}
		for _, o := range in.Operations {
			perOp[o.ID] = o.Spec
			tg.opts.OperationOverrides = append(tg.opts.OperationOverrides, generator.OperationOverride{ID: o.ID, Spec: o.Spec, Pos: o.Pos})
		}
		pkg = in.Package
		if len(in.Generate) > 0 {
			if p, err := generator.ParseParts(in.Generate); err == nil {
				parts = p
			}
		}
	}
	tg.opts.Package, tg.opts.Parts, tg.opts.Overrides = pkg, parts, overrides
	tg.opts.Runtime = t.RuntimeImport
	if tg.opts.Runtime == "" {
		tg.opts.Runtime = "example.com/" + generator.RuntimeName
	}
	pols, _ := t.Doc.PoliciesWith(overrides, perOp) // validate reports the problems; preflight judges what resolves
	tg.schemes, _ = t.Doc.SignatureSchemes()
	for _, p := range pols {
		o := op{OperationPolicy: p}
		switch t.Doc.Kind {
		case contracts.KindOpenAPI:
			o.oa = openAPIOperation(t.Doc.OpenAPI, p)
		case contracts.KindAsyncAPI:
			for _, a := range t.Doc.AsyncAPI.Operations {
				if a.ID == p.ID {
					o.async = a
				}
			}
		}
		tg.ops = append(tg.ops, o)
	}
	if t.Doc.Kind == contracts.KindOpenAPI {
		res, err := generator.Generate(t.Doc, tg.opts)
		if err != nil {
			tg.genErr = err
		} else {
			tg.gen = res.Files
		}
	}
	return tg
}

func openAPIOperation(t *openapi3.T, p contracts.OperationPolicy) *openapi3.Operation {
	var item *openapi3.PathItem
	if p.Webhook {
		item = t.Webhooks[p.Path]
	} else if t.Paths != nil {
		item = t.Paths.Value(p.Path)
	}
	if item == nil {
		return nil
	}
	return item.GetOperation(p.Method)
}

// generated reports whether any generated file of the target contains one
// of the markers, and which file.
func (t *target) generated(markers ...string) (string, bool) {
	for _, f := range t.gen {
		for _, m := range markers {
			if bytes.Contains(f.Content, []byte(m)) {
				return f.Name, true
			}
		}
	}
	return "", false
}

// generatedTargets are the targets accord generates code for.
func (s *state) generatedTargets() []*target {
	var out []*target
	for _, t := range s.targets {
		if t.gen != nil {
			out = append(out, t)
		}
	}
	return out
}

func scanGo(fsys fs.FS) []goFile {
	if fsys == nil {
		return nil
	}
	var out []goFile
	_ = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // an unreadable directory is skipped, not fatal
		}
		name := d.Name()
		if d.IsDir() {
			if p != "." && (strings.HasPrefix(name, ".") || name == "vendor" || name == "testdata" || name == "node_modules") {
				return fs.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || strings.HasSuffix(name, ".gen.go") {
			return nil
		}
		if len(out) >= maxGoFiles {
			return fs.SkipAll
		}
		if info, err := d.Info(); err != nil || info.Size() > maxGoFileSize {
			return nil
		}
		data, err := fs.ReadFile(fsys, p)
		if err != nil || runtimeSource(data) {
			return nil
		}
		out = append(out, goFile{name: p, lines: strings.Split(string(data), "\n")})
		return nil
	})
	return out
}

var packageRe = regexp.MustCompile(`(?m)^package\s+(\w+)`)

// runtimeSource: accord's runtime is not the application. Its sources
// (package runtime in accord's own tree, the runtime package written into
// a module under its own name) mention every option and route it offers,
// so counting them would say yes for wiring nobody did.
func runtimeSource(data []byte) bool {
	m := packageRe.FindSubmatch(data)
	return m != nil && (string(m[1]) == "runtime" || string(m[1]) == generator.RuntimeName)
}

// findGo returns where the application's Go code matches re first. Comments
// and declarations do not count: a package defining NewSQLIdempotencyStore
// does not wire it.
func (s *state) findGo(re *regexp.Regexp) (string, bool) {
	for _, f := range s.goCode {
		for i, l := range f.lines {
			if t := strings.TrimSpace(l); strings.HasPrefix(t, "//") || strings.HasPrefix(t, "func ") {
				continue
			}
			if re.MatchString(l) {
				return fmt.Sprintf("%s:%d", f.name, i+1), true
			}
		}
	}
	return "", false
}

// repoFiles lists files of the repository matching glob patterns.
func (s *state) repoFiles(patterns ...string) []string {
	if s.in.Repo.FS == nil {
		return nil
	}
	seen := map[string]bool{}
	var out []string
	for _, p := range patterns {
		matches, _ := fs.Glob(s.in.Repo.FS, p)
		for _, m := range matches {
			if st, err := fs.Stat(s.in.Repo.FS, m); err == nil && st.Mode().IsRegular() && !seen[m] {
				seen[m] = true
				out = append(out, m)
			}
		}
	}
	sort.Strings(out)
	return out
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("1 %s", word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func names(ts []*target) string {
	var ns []string
	for _, t := range ts {
		ns = append(ns, t.Name)
	}
	return strings.Join(ns, ", ")
}

// serves reports whether accord generates a server for the target.
func (t *target) serves() bool {
	p := t.opts.Parts
	return t.Doc.Kind == contracts.KindOpenAPI && (p == (generator.Parts{}) || p.Server)
}

// outputFile names a generated file where it is (or would be) written.
func (t *target) outputFile(name string) string {
	if t.Integration != nil && t.Integration.Output != "" {
		return t.Integration.Output + "/" + name
	}
	return name
}
