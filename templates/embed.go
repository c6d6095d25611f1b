// Package templates holds what generated packages are made of besides
// oapi-codegen's models: the text/template files for the client facade, the
// server wiring and the operations table (one concern per template), and the
// sources of the resilience runtime, which is a real Go package compiled and
// tested in place (templates/runtime) and written, its package clause
// renamed, into the user's runtime package that generated packages import.
package templates

import (
	"embed"
	"fmt"
	"io/fs"
	"path"
	"slices"
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

// Adapters are the optional parts of the runtime, each tying it to one
// third-party client (Redis; the Kafka and NATS JetStream event transports;
// OpenTelemetry). A runtime
// file named <name>_<adapter>.go belongs to that adapter and is written into
// the runtime package only when an integration asks for the adapter, so
// generated code imports a client only when its configuration says so.
func Adapters() []string { return []string{"redis", "kafka", "nats", "otel"} }

// RuntimeAdapter returns the adapter a runtime file belongs to, "" for the
// files every generated package gets.
func RuntimeAdapter(file string) string {
	base := strings.TrimSuffix(path.Base(file), ".go")
	for _, a := range Adapters() {
		if strings.HasSuffix(base, "_"+a) {
			return a
		}
	}
	return ""
}

// RuntimeFiles returns the runtime's non-test Go files as paths inside FS:
// the core files and those of the adapters named, sorted so that every
// caller copies them in the same order.
func RuntimeFiles(adapters ...string) ([]string, error) {
	want := map[string]bool{"": true}
	for _, a := range adapters {
		if !slices.Contains(Adapters(), a) {
			return nil, fmt.Errorf("unknown runtime adapter %q (known: %s)", a, strings.Join(Adapters(), ", "))
		}
		want[a] = true
	}
	entries, err := fs.ReadDir(FS, RuntimeDir)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") || !want[RuntimeAdapter(name)] {
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
