// Package templates holds what generated packages are made of besides
// oapi-codegen's models: the text/template files for the client facade, the
// server wiring and the operations table (one concern per template), and the
// sources of the resilience runtime, which is a real Go package compiled and
// tested in place (templates/runtime) and copied verbatim into every
// generated package.
package templates

import (
	"embed"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// FS holds the templates (*.tmpl) and the runtime's sources. The runtime's
// test files are embedded too (a pattern cannot exclude them); RuntimeFiles
// filters them out.
//
//go:embed *.tmpl runtime/*.go
var FS embed.FS

// RuntimeDir is the runtime package's directory inside FS.
const RuntimeDir = "runtime"

// RuntimeFiles returns the runtime's non-test Go files as paths inside FS,
// sorted so that every caller copies them in the same order.
func RuntimeFiles() ([]string, error) {
	entries, err := fs.ReadDir(FS, RuntimeDir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		out = append(out, path.Join(RuntimeDir, name))
	}
	sort.Strings(out)
	return out, nil
}

// Names returns the template files (*.tmpl) in FS, sorted.
func Names() ([]string, error) {
	names, err := fs.Glob(FS, "*.tmpl")
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	return names, nil
}
