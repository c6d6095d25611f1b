package generator

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// RuntimeDir is where the runtime package of an integration generated into
// output goes: shared when accord.yaml names one for all integrations,
// else a subpackage of the output, so that a single generated directory is
// self-contained.
func RuntimeDir(output, shared string) string {
	if shared != "" {
		return shared
	}
	return filepath.Join(output, RuntimeName)
}

// RuntimeImportPath is the import path generated code in output (package
// pkg) imports its runtime in runtimeDir by. Without a go.mod above them, a
// runtime that is output's own subpackage is imported as pkg/accordrt,
// which holds once output is the root of module pkg; note then says so. A
// shared runtime outside output needs the go.mod.
func RuntimeImportPath(runtimeDir, output, pkg string) (imp, note string, err error) {
	imp, err = ImportPath(runtimeDir)
	if err == nil || !errors.Is(err, ErrNoModule) || filepath.Clean(runtimeDir) != filepath.Join(output, RuntimeName) {
		return imp, "", err
	}
	note = fmt.Sprintf("no go.mod above %s: its runtime is imported as %q, which compiles once %s is the root of module %s (go mod init %s there) or after generating inside your module",
		output, pkg+"/"+RuntimeName, output, pkg, pkg)
	return pkg + "/" + RuntimeName, note, nil
}

// ErrNoModule is returned by ImportPath when no go.mod is found.
var ErrNoModule = errors.New("no go.mod found")

// ImportPath is the import path of the package in dir: the module path of
// the nearest go.mod at or above dir, joined with dir's path below it. The
// directory need not exist yet.
func ImportPath(dir string) (string, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("locating %s: %w", dir, err)
	}
	for d := abs; ; {
		data, err := os.ReadFile(filepath.Join(d, "go.mod"))
		switch {
		case err == nil:
			mod, err := modulePath(data)
			if err != nil {
				return "", fmt.Errorf("%s: %w", filepath.Join(d, "go.mod"), err)
			}
			rel, err := filepath.Rel(d, abs)
			if err != nil {
				return "", fmt.Errorf("locating %s in module %s: %w", dir, mod, err)
			}
			if rel == "." {
				return mod, nil
			}
			return mod + "/" + filepath.ToSlash(rel), nil
		case !errors.Is(err, fs.ErrNotExist):
			return "", fmt.Errorf("reading %s: %w", filepath.Join(d, "go.mod"), err)
		}
		up := filepath.Dir(d)
		if up == d {
			return "", fmt.Errorf("%w at or above %s: generated code imports its runtime package by a path of your module; run `go mod init MODULE` at your module's root first", ErrNoModule, dir)
		}
		d = up
	}
}

// modulePath reads the module directive of a go.mod file.
func modulePath(data []byte) (string, error) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		rest, ok := strings.CutPrefix(line, "module")
		if !ok || (rest != "" && rest[0] != ' ' && rest[0] != '\t' && rest[0] != '"') {
			continue
		}
		rest, _, _ = strings.Cut(rest, "//")
		rest = strings.TrimSpace(rest)
		if u, err := strconv.Unquote(rest); err == nil {
			rest = u
		}
		if rest == "" {
			break
		}
		return rest, nil
	}
	return "", errors.New("no module directive")
}

// Dependency is a module generated code may import, at the version accord
// is built and tested with.
type Dependency struct{ Module, Version string }

// Dependencies are the modules generated code may import besides the
// standard library and the user's own module: oapi-codegen's runtime for
// the models, and each adapter's client. A test keeps the versions those
// of accord's go.mod.
func Dependencies() []Dependency {
	return []Dependency{
		{"github.com/oapi-codegen/runtime", "v1.8.0"},
		{"github.com/google/uuid", "v1.6.0"},
		{"github.com/redis/go-redis/v9", "v9.23.0"},
		{"github.com/twmb/franz-go", "v1.22.3"},
		{"github.com/nats-io/nats.go", "v1.55.0"},
		{"go.opentelemetry.io/otel", "v1.47.0"},
		{"github.com/pact-foundation/pact-go/v2", "v2.4.2"}, // the pact part's tests
	}
}

// MissingDependencies lists, as `go get` arguments (module@version), the
// modules files import that goMod (a go.mod's content) does not require.
func MissingDependencies(goMod []byte, files []File) []string {
	required := map[string]bool{}
	inBlock := false
	for _, line := range strings.Split(string(goMod), "\n") {
		line, _, _ = strings.Cut(line, "//")
		f := strings.Fields(line)
		switch {
		case len(f) == 0:
		case inBlock && f[0] == ")":
			inBlock = false
		case inBlock:
			required[f[0]] = true
		case f[0] == "require" && len(f) >= 2 && f[1] == "(":
			inBlock = true
		case f[0] == "require" && len(f) >= 3:
			required[f[1]] = true
		case f[0] == "module" && len(f) >= 2:
			required[f[1]] = true
		}
	}
	imported := map[string]bool{}
	for _, f := range files {
		for _, p := range fileImports(f.Content) {
			imported[p] = true
		}
	}
	var out []string
	for _, d := range Dependencies() {
		if required[d.Module] {
			continue
		}
		for p := range imported {
			if p == d.Module || strings.HasPrefix(p, d.Module+"/") {
				out = append(out, d.Module+"@"+d.Version)
				break
			}
		}
	}
	return out
}

// fileImports reads the import paths of a Go file's import block.
func fileImports(src []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(src))
	sc.Buffer(make([]byte, 0, 64*1024), 1<<20)
	in := false
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case strings.HasPrefix(line, "import ("):
			in = true
		case in && line == ")":
			return out
		case in || strings.HasPrefix(line, "import "):
			if i := strings.IndexByte(line, '"'); i >= 0 {
				if p, err := strconv.Unquote(line[i:]); err == nil {
					out = append(out, p)
				}
			}
			if !in {
				return out
			}
		case strings.HasPrefix(line, "func ") || strings.HasPrefix(line, "type ") || strings.HasPrefix(line, "var "):
			return out
		}
	}
	return out
}
