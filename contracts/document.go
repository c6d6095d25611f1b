package contracts

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// Kind is the family of a contract.
type Kind string

const (
	KindOpenAPI  Kind = "openapi"
	KindAsyncAPI Kind = "asyncapi"
)

// Document is a loaded, resolved contract. It is read-only after Load and safe
// for concurrent use.
type Document struct {
	Kind Kind
	// Version is the specification version the file declares, e.g. "3.1.0".
	Version string
	// Name is the root file as positions print it.
	Name string
	// OpenAPI is set when Kind is KindOpenAPI; every $ref is resolved.
	OpenAPI *openapi3.T
	// AsyncAPI is set when Kind is KindAsyncAPI; every $ref is resolved.
	AsyncAPI *AsyncAPI

	root  *locator
	files map[string]*locator // by resolved key, including the root
	// forGen: RepairForGen ran, so Validate judges the document for
	// generation (paths differing only in parameter names are generated).
	forGen bool
}

// Pos returns the position of a JSON pointer in the root file (or of its
// nearest existing ancestor).
func (d *Document) Pos(pointer string) Position {
	return d.root.Pos(pointer)
}

// RefPos returns the position a $ref value points at: "#/components/schemas/X"
// in the root file, or "common.yaml#/X" in a file the document references.
func (d *Document) RefPos(ref string) Position {
	file, frag, _ := strings.Cut(ref, "#")
	if file == "" {
		return d.root.Pos(frag)
	}
	if l := d.fileFor(file); l != nil {
		return l.Pos(frag)
	}
	return Position{File: file}
}

// fileFor finds a referenced file by the path a $ref used. A $ref is relative
// to the file it appears in, which the resolved model no longer records, so
// the longest suffix match over the files actually read decides.
func (d *Document) fileFor(ref string) *locator {
	ref = path.Clean(strings.TrimPrefix(ref, "./"))
	var best *locator
	bestLen := -1
	for key, l := range d.files {
		k := strings.ReplaceAll(key, "\\", "/")
		if k == ref || strings.HasSuffix(k, "/"+ref) {
			if len(k) > bestLen {
				best, bestLen = l, len(k)
			}
		}
		if best == nil && path.Base(k) == path.Base(ref) {
			best = l
		}
	}
	return best
}

// Load reads, parses and resolves one contract. source is a file path, "-" for
// stdin, or REV:path for a file at a git revision. The returned error is an
// *Error whose Class says whether the input could not be read, was not JSON or
// YAML, is not a supported contract, or breaks its specification.
func Load(ctx context.Context, source string, opts LoadOptions) (*Document, error) {
	src, org, err := readSource(ctx, source, opts)
	if err != nil {
		return nil, err
	}
	return load(ctx, src, org, opts)
}

// LoadBytes loads a contract held in memory. name is used in positions and
// relative $refs resolve against opts.Dir.
func LoadBytes(ctx context.Context, name string, data []byte, opts LoadOptions) (*Document, error) {
	dir := opts.Dir
	if dir == "" {
		dir = "."
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	src := &sourceFile{name: name, key: path.Join(dir, name), data: data}
	return load(ctx, src, origin{dir: dir, root: dir}, opts)
}

func load(ctx context.Context, src *sourceFile, org origin, opts LoadOptions) (*Document, error) {
	org.allow = opts.AllowRefsIn
	kind, version, err := detect(src)
	if err != nil {
		return nil, err
	}
	doc := &Document{Kind: kind, Version: version, Name: src.name}
	var files []*sourceFile
	switch kind {
	case KindOpenAPI:
		doc.OpenAPI, files, err = loadOpenAPI(ctx, src, org, opts)
	case KindAsyncAPI:
		doc.AsyncAPI, files, err = loadAsyncAPI(ctx, src, org, opts)
	}
	if err != nil {
		return nil, err
	}
	doc.root = src.locator()
	doc.files = map[string]*locator{src.key: doc.root}
	for _, f := range files {
		if f.key != src.key {
			doc.files[f.key] = f.locator()
		}
	}
	return doc, nil
}

// header holds the top-level fields that say what a file is.
type header struct {
	OpenAPI  any `json:"openapi" yaml:"openapi"`
	Swagger  any `json:"swagger" yaml:"swagger"`
	AsyncAPI any `json:"asyncapi" yaml:"asyncapi"`
}

// topLevelVersion finds `openapi:`, `swagger:` or `asyncapi:` at column 0
// without parsing a whole (possibly huge) YAML file.
var topLevelVersion = regexp.MustCompile(`(?m)^(openapi|swagger|asyncapi)[ \t]*:[ \t]*["']?([^"'\s#]+)`)

// detect tells what kind and version of contract data is, and reports syntax
// errors with their position.
func detect(src *sourceFile) (Kind, string, error) {
	if len(strings.TrimSpace(string(src.data))) == 0 {
		return "", "", fail(ClassSyntax, Position{File: src.name, Line: 1, Col: 1}, "empty-file", "the file is empty",
			"a contract starts with `openapi: 3.1.0` or `asyncapi: 3.0.0`", nil)
	}
	var h header
	if looksJSON(src.data) {
		if err := json.Unmarshal(src.data, &h); err != nil {
			if yerr := yaml.Unmarshal(src.data, &h); yerr != nil {
				return "", "", jsonSyntaxError(src, err)
			}
		}
	} else if m := topLevelVersion.FindSubmatch(src.data); m != nil && !hasTabIndent(src.data) {
		switch string(m[1]) {
		case "openapi":
			h.OpenAPI = string(m[2])
		case "swagger":
			h.Swagger = string(m[2])
		case "asyncapi":
			h.AsyncAPI = string(m[2])
		}
	} else {
		var node yaml.Node
		if err := yaml.Unmarshal(src.data, &node); err != nil {
			return "", "", yamlSyntaxError(src, err)
		}
		if len(node.Content) == 0 {
			return "", "", fail(ClassSyntax, Position{File: src.name, Line: 1, Col: 1}, "empty-file", "the file holds no YAML content, only comments or blank lines",
				"a contract starts with `openapi: 3.1.0` or `asyncapi: 3.0.0`", nil)
		}
		if err := node.Decode(&h); err != nil {
			return "", "", yamlSyntaxError(src, err)
		}
	}
	switch {
	case h.Swagger != nil:
		return "", "", fail(ClassUnsupported, posOfKey(src, "swagger"), "unsupported-version",
			fmt.Sprintf("Swagger/OpenAPI %s is not supported; accord reads OpenAPI 3.0 and 3.1", scalar(h.Swagger)),
			"convert the file to OpenAPI 3 first (for example with swagger2openapi), then run accord on the result", nil)
	case h.OpenAPI != nil:
		v := scalar(h.OpenAPI)
		if !strings.HasPrefix(v, "3.0") && !strings.HasPrefix(v, "3.1") {
			return "", "", fail(ClassUnsupported, posOfKey(src, "openapi"), "unsupported-version",
				fmt.Sprintf("OpenAPI %s is not supported; accord reads OpenAPI 3.0.x and 3.1.x", v),
				"set `openapi:` to a 3.0.x or 3.1.x version the file actually follows", nil)
		}
		return KindOpenAPI, v, nil
	case h.AsyncAPI != nil:
		v := scalar(h.AsyncAPI)
		if !strings.HasPrefix(v, "2.") && !strings.HasPrefix(v, "3.0") {
			return "", "", fail(ClassUnsupported, posOfKey(src, "asyncapi"), "unsupported-version",
				fmt.Sprintf("AsyncAPI %s is not supported; accord reads AsyncAPI 2.6 and 3.0", v),
				"migrate the document to AsyncAPI 2.6 or 3.0 (the AsyncAPI converter does this)", nil)
		}
		return KindAsyncAPI, v, nil
	}
	return "", "", fail(ClassUnsupported, Position{File: src.name, Line: 1, Col: 1}, "not-a-contract",
		"not an OpenAPI or AsyncAPI document: no top-level `openapi` or `asyncapi` field",
		"start the file with `openapi: 3.1.0` or `asyncapi: 3.0.0`", nil)
}

// hasTabIndent guards the regexp shortcut: a file whose structure is broken
// must go through the real parser so its syntax error is reported.
func hasTabIndent(data []byte) bool {
	return strings.Contains(string(data), "\n\t")
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case float64:
		return fmt.Sprint(x)
	case int:
		return fmt.Sprint(x)
	}
	return fmt.Sprint(v)
}

func posOfKey(src *sourceFile, key string) Position {
	return newLocator(src.name, src.data).Pos("/" + key)
}

func jsonSyntaxError(src *sourceFile, err error) error {
	pos := Position{File: src.name}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		pos = offsetPosition(src.name, src.data, nil, int(se.Offset)-1)
	case errors.As(err, &te):
		return fail(ClassUnsupported, offsetPosition(src.name, src.data, nil, int(te.Offset)), "not-a-contract",
			"not an OpenAPI or AsyncAPI document: the top level must be an object",
			"start the file with `openapi: 3.1.0` or `asyncapi: 3.0.0`", err)
	}
	return fail(ClassSyntax, pos, "json-syntax", "invalid JSON: "+strings.TrimPrefix(err.Error(), "json: "),
		"fix the JSON at this position (a missing comma or quote is the usual cause)", err)
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func yamlSyntaxError(src *sourceFile, err error) error {
	pos := Position{File: src.name}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	var te *yaml.TypeError
	if errors.As(err, &te) {
		return fail(ClassUnsupported, pos, "not-a-contract",
			"not an OpenAPI or AsyncAPI document: the top level must be a mapping",
			"start the file with `openapi: 3.1.0` or `asyncapi: 3.0.0`", err)
	}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		msg = strings.Replace(msg, m[0]+": ", "", 1)
	}
	pos.Line = firstBadYAMLLine(src.data)
	if pos.Line > 0 {
		// yaml.v3 gives no column; the line's first character is where a
		// mis-indented or mis-quoted entry starts.
		pos.Col = firstColumn(src.data, pos.Line)
	}
	return fail(ClassSyntax, pos, "yaml-syntax", "invalid YAML: "+msg,
		"fix the indentation or quoting at this line (tabs are not allowed for indentation)", err)
}

// maxBisectBytes bounds the extra parsing spent to locate a YAML error.
const maxBisectBytes = 4 << 20

// firstBadYAMLLine finds the line where a YAML syntax error is. yaml.v3's
// messages name the line where the enclosing block starts (and count it
// from zero), which for a mis-indented key is often many lines above the
// mistake. The shortest prefix of lines that fails to parse ends at the
// mistake, and prefixes of a document fail monotonically often enough for a
// bisection to find it.
func firstBadYAMLLine(data []byte) int {
	var lines []int // end offset of each line
	for i, b := range data {
		if b == '\n' {
			lines = append(lines, i+1)
		}
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		lines = append(lines, len(data))
	}
	if len(lines) == 0 || len(data) > maxBisectBytes {
		return 0
	}
	bad := func(n int) bool {
		var node yaml.Node
		return yaml.Unmarshal(data[:lines[n-1]], &node) != nil
	}
	lo, hi := 1, len(lines)
	if !bad(hi) {
		return 0
	}
	for lo < hi {
		mid := (lo + hi) / 2
		if bad(mid) {
			hi = mid
		} else {
			lo = mid + 1
		}
	}
	return lo
}

// locator positions elements of the file, reusing a YAML conversion made
// while loading.
func (f *sourceFile) locator() *locator {
	if f.text != nil {
		return newConvertedLocator(f.name, f.data, f.text, f.marks)
	}
	return newLocator(f.name, f.data)
}

// firstColumn is the 1-based column of the first non-blank character of a
// 1-based line (1 for a blank line).
func firstColumn(data []byte, line int) int {
	start := 0
	for n := 1; n < line; n++ {
		i := bytes.IndexByte(data[start:], '\n')
		if i < 0 {
			return 1
		}
		start += i + 1
	}
	col := 1
	for i := start; i < len(data) && (data[i] == ' ' || data[i] == '\t'); i++ {
		col++
	}
	if start+col-1 >= len(data) || data[start+col-1] == '\n' || data[start+col-1] == '\r' {
		return 1
	}
	return col
}
