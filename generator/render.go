package generator

import (
	"bytes"
	"errors"
	"fmt"
	"go/parser"
	"go/scanner"
	"go/token"
	"io/fs"
	"strconv"
	"strings"
	"text/template"

	"github.com/accord-dev/accord/templates"
)

// templateFile says which template makes which file, and when. Every
// template is rendered for reservedNames whatever when says, so a file left
// out declares a subset of the reserved names.
type templateFile struct {
	template, file string
	when           func(*Model) bool
}

func templateFiles() []templateFile {
	client := func(m *Model) bool { return m.Parts.Client }
	server := func(m *Model) bool { return m.Parts.Server }
	return []templateFile{
		{"operations.tmpl", "accord_operations.gen.go", func(m *Model) bool { return m.Parts.Client || m.Parts.Server }},
		{"client.tmpl", "accord_client.gen.go", client},
		{"client_methods.tmpl", "accord_client_methods.gen.go", client},
		{"server_options.tmpl", "accord_server_options.gen.go", server},
		{"server.tmpl", "accord_server.gen.go", server},
		{"validate.tmpl", "accord_validate.gen.go", func(m *Model) bool { return m.Parts.Client || m.Parts.Server }},
		{"auth.tmpl", "accord_auth.gen.go", func(m *Model) bool { return m.Parts.Client || m.Parts.Server }},
		{"webhook_sender.tmpl", "accord_webhook_sender.gen.go", func(m *Model) bool { return m.Parts.Client && len(m.Webhooks) > 0 }},
		{"pagination.tmpl", "accord_pagination.gen.go", func(m *Model) bool { return m.Parts.Client && len(m.Pagination) > 0 }},
		{"lro.tmpl", "accord_lro.gen.go", func(m *Model) bool { return m.Parts.Client && m.hasLongRunning() }},
		{"collection.tmpl", "accord_collections.gen.go", func(m *Model) bool { return m.Parts.Client && len(m.Collections) > 0 }},
		{"webhook_receiver.tmpl", "accord_webhook_receiver.gen.go", func(m *Model) bool { return m.Parts.Server && len(m.Webhooks) > 0 }},
	}
}

// funcs are the helpers templates may call.
func funcs() template.FuncMap {
	return template.FuncMap{
		// goString quotes a string as a Go literal.
		"goString": strconv.Quote,
		"join":     strings.Join,
		"lower":    strings.ToLower,
	}
}

// parseTemplates parses every *.tmpl of fsys (templates.FS unless a test
// passes another), so templates can call each other by file name.
func parseTemplates(fsys fs.FS) (*template.Template, error) {
	if fsys == nil {
		fsys = templates.FS
	}
	t, err := template.New("accord").Funcs(funcs()).ParseFS(fsys, "*.tmpl")
	if err != nil {
		return nil, fmt.Errorf("accord's templates: %w", err)
	}
	return t, nil
}

// renderTemplates renders the template files m.Parts asks for, drops their
// unused imports and formats them.
func renderTemplates(fsys fs.FS, m *Model) ([]File, error) {
	t, err := parseTemplates(fsys)
	if err != nil {
		return nil, err
	}
	var out []File
	for _, tf := range templateFiles() {
		if !tf.when(m) {
			continue
		}
		src, err := renderOne(t, tf, m)
		if err != nil {
			return nil, err
		}
		out = append(out, File{Name: tf.file, Content: src})
	}
	return out, nil
}

func renderOne(t *template.Template, tf templateFile, m *Model) ([]byte, error) {
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, tf.template, m); err != nil {
		return nil, fmt.Errorf("rendering %s: %w", tf.template, err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, tf.file, buf.Bytes(), parser.ParseComments)
	if err != nil {
		return nil, fmt.Errorf("template %s produced invalid Go: %w%s", tf.template, err, offendingLine(buf.Bytes(), err))
	}
	pruneImports(f)
	return printFile(fset, f)
}

// offendingLine quotes the generated line a parse error points at, so that a
// template bug shows what the template wrote.
func offendingLine(src []byte, err error) string {
	var list scanner.ErrorList
	if !errors.As(err, &list) || len(list) == 0 {
		return ""
	}
	lines := bytes.Split(src, []byte("\n"))
	if n := list[0].Pos.Line; n >= 1 && n <= len(lines) {
		return fmt.Sprintf(" (line %d: %q)", n, bytes.TrimSpace(lines[n-1]))
	}
	return ""
}

// reservedNames are the package-level names the templates declare, and the
// runtime's import name. The templates are rendered with no operations:
// their package-level names must not depend on the contract (per-operation
// code belongs in methods), and this is what makes that checkable. The
// runtime's own names are not reserved: it is a package of its own, and a
// model may take a name the runtime re-exports (see reexports).
func reservedNames(fsys fs.FS, pkg string) (map[string]bool, error) {
	reserved := map[string]bool{RuntimeName: true}
	t, err := parseTemplates(fsys)
	if err != nil {
		return nil, err
	}
	empty := &Model{Package: pkg, Version: Version, Runtime: "example.com/" + RuntimeName, Parts: allParts()}
	for _, tf := range templateFiles() {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, tf.template, empty); err != nil {
			return nil, fmt.Errorf("rendering %s: %w", tf.template, err)
		}
		names, err := topLevelNames(tf.file, buf.Bytes())
		if err != nil {
			return nil, fmt.Errorf("template %s produced invalid Go: %w", tf.template, err)
		}
		for _, n := range names {
			reserved[n] = true
		}
	}
	return reserved, nil
}
