package contracts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// errRemoteRef marks a remote $ref refused by policy.
var errRemoteRef = errors.New("remote $ref refused")

// loadOpenAPI parses and resolves an OpenAPI 3.0/3.1 document with kin-openapi.
// It returns every file read besides the root, for positions.
func loadOpenAPI(ctx context.Context, src *sourceFile, org origin, opts LoadOptions) (*openapi3.T, []*sourceFile, error) {
	var (
		mu    sync.Mutex
		files []*sourceFile
	)
	_, version, _ := detect(src)
	is31 := strings.HasPrefix(version, "3.1")
	newLoader := func() *openapi3.Loader {
		loader := openapi3.NewLoader()
		loader.Context = ctx
		loader.IsExternalRefsAllowed = true
		// A custom reader owns the access policy (kin-openapi then skips its
		// own IsExternalRefsAllowed check): files come from where the root
		// came from, the network only when the caller asked for it.
		loader.ReadFromURIFunc = func(l *openapi3.Loader, loc *url.URL) ([]byte, error) {
			if loc.Scheme == "http" || loc.Scheme == "https" {
				if !opts.AllowRemoteRefs {
					return nil, fmt.Errorf("%w: %s", errRemoteRef, loc.String())
				}
				return openapi3.DefaultReadFromURI(l, loc)
			}
			if loc.Scheme == "file" {
				mu.Lock()
				defer mu.Unlock()
				return nil, refusedRef(src, files, "file:", "absolute-ref",
					"is an absolute file: URL; accord reads $refs relative to the file that holds them",
					"write the path relative to the contract (e.g. ./schemas/common.yaml)")
			}
			if loc.Scheme != "" {
				return nil, fmt.Errorf("unsupported $ref scheme %q in %s", loc.Scheme, loc.String())
			}
			key := loc.Path
			if key == src.key {
				return src.data, nil
			}
			data, err := org.readRef(ctx, key)
			if err != nil {
				var out *refOutside
				if errors.As(err, &out) {
					mu.Lock()
					defer mu.Unlock()
					return nil, outsideRefError(src, files, org, out)
				}
				return nil, err
			}
			f := &sourceFile{name: org.displayName(key), key: key, data: data}
			if !looksJSON(data) {
				// On failure kin-openapi's own YAML path reports the problem.
				if j, marks, err := yamlToJSONMarked(data); err == nil {
					f.text, f.marks = j, marks
				}
			}
			if err := absoluteRefs(f); err != nil {
				return nil, err
			}
			mu.Lock()
			files = append(files, f)
			mu.Unlock()
			text := data
			if f.text != nil {
				text = f.text
			}
			if is31 {
				text = refSiblingsAsAllOf(text)
			}
			return text, nil
		}
		return loader
	}
	root := src.data
	if !looksJSON(root) {
		j, marks, err := yamlToJSONMarked(root)
		if err != nil {
			return nil, nil, yamlConversionError(src, err)
		}
		root, src.text, src.marks = j, j, marks
	}
	if err := absoluteRefs(src); err != nil {
		return nil, nil, err
	}
	if is31 {
		root = refSiblingsAsAllOf(root)
	}
	doc, err := newLoader().LoadFromDataWithPath(root, &url.URL{Path: src.key})
	if err != nil {
		return nil, nil, openAPILoadError(src, files, err)
	}
	if ps := openAPIRefCycles(src, doc); len(ps) > 0 {
		return nil, nil, &Error{Class: ClassInvalid, Problems: ps}
	}
	return doc, files, nil
}

func yamlConversionError(src *sourceFile, err error) error {
	if errors.Is(err, errExpansion) {
		return fail(ClassInvalid, Position{File: src.name}, "too-large", err.Error(),
			"replace the nested aliases (*name) with plain content or $refs", err)
	}
	var ye *yaml.TypeError
	if strings.HasPrefix(err.Error(), "yaml:") || errors.As(err, &ye) {
		return yamlSyntaxError(src, err)
	}
	return fail(ClassInvalid, Position{File: src.name}, "too-deep", err.Error(),
		"flatten the structure; real contracts nest far less deeply", err)
}

var missingKey = regexp.MustCompile(`map key "([^"]+)" not found`)

// refRE finds $ref values in JSON or YAML text.
var refRE = regexp.MustCompile(`"?\$ref"?\s*:\s*["']?([^"'\s,}]+)`)

// refEnding finds the first $ref whose last token is key, for kin-openapi
// errors that only name the missing key.
func refEnding(src *sourceFile, files []*sourceFile, key string) (string, Position) {
	for _, f := range append([]*sourceFile{src}, files...) {
		for _, m := range refRE.FindAllSubmatchIndex(f.data, -1) {
			ref := string(f.data[m[2]:m[3]])
			// The missing key may be the last token or any before it: a
			// document without components misses "components" for
			// #/components/schemas/Missing.
			tok := "/" + escapePointerToken(key)
			if strings.HasSuffix(ref, tok) || strings.Contains(ref, tok+"/") {
				return ref, offsetPosition(f.name, f.data, nil, m[2])
			}
		}
	}
	return "", Position{File: src.name}
}

var quotedRef = regexp.MustCompile(`"([^"]*#[^"]*|[^"]+\.(?:ya?ml|json))"`)

// openAPILoadError turns a kin-openapi load failure into a positioned Error.
func openAPILoadError(src *sourceFile, files []*sourceFile, err error) error {
	msg := err.Error()
	var refused *Error
	switch {
	case strings.Contains(msg, "failed to unmarshal data"):
		// kin-openapi tried JSON then YAML; reparse to report the real
		// syntax error with its line, or the shape error if the syntax is fine.
		var node yaml.Node
		if yerr := yaml.Unmarshal(src.data, &node); yerr != nil {
			if looksJSON(src.data) {
				return jsonSyntaxError(src, err)
			}
			return yamlSyntaxError(src, yerr)
		}
		return shapeError(src, msg, err)
	case errors.As(err, &refused):
		return refused
	case errors.Is(err, errRemoteRef):
		ref := strings.TrimSpace(msg[strings.LastIndex(msg, errRemoteRef.Error()+":")+len(errRemoteRef.Error())+1:])
		return fail(ClassInvalid, refPos(src, files, ref), "remote-ref",
			"remote $ref "+quoteIf(ref)+" refused",
			"vendor the referenced document next to the contract and use a relative $ref, or pass --allow-remote-refs", err)
	case errors.Is(err, fs.ErrNotExist) || strings.Contains(msg, "no such file"):
		ref := firstQuoted(msg)
		return fail(ClassInvalid, refPos(src, files, ref), "dangling-ref",
			"$ref "+quoteIf(ref)+" points at a file that does not exist",
			"fix the path (it is relative to the file that holds the $ref) or add the missing file", err)
	case missingKey.MatchString(msg):
		key := missingKey.FindStringSubmatch(msg)[1]
		ref, pos := refEnding(src, files, key)
		what := "there is no " + quoteIf(key)
		if _, frag, ok := strings.Cut(ref, "#"); ok && !strings.HasSuffix(frag, "/"+escapePointerToken(key)) {
			what = "the document has no " + quoteIf(key) + " section at all"
		}
		if ref == "" {
			ref = "(a $ref)"
		} else {
			ref = strconv.Quote(ref)
		}
		return fail(ClassInvalid, pos, "dangling-ref",
			"$ref "+ref+" points at nothing: "+what,
			"point the $ref at an existing component (e.g. #/components/schemas/Name), or add the component it names", err)
	case strings.Contains(msg, "expecting ref to schema object"):
		ref := firstQuoted(msg)
		return fail(ClassInvalid, refPos(src, files, ref), "bad-ref-target",
			"$ref "+quoteIf(ref)+" points at something that is not a schema object",
			"point the $ref at a schema (an object with type, properties, allOf, ...), not at a wrapper around one", err)
	case strings.Contains(msg, "resolve") || strings.Contains(msg, "reference") || strings.Contains(msg, "ref "):
		ref := firstQuoted(msg)
		return fail(ClassInvalid, refPos(src, files, ref), "dangling-ref",
			"$ref "+quoteIf(ref)+" cannot be resolved: "+lastClause(msg),
			"point the $ref at an existing component, e.g. #/components/schemas/Name", err)
	}
	return shapeError(src, msg, err)
}

var goField = regexp.MustCompile(`field ([A-Za-z0-9_.]+) of type ([^ ]+)`)

// shapeError reports a document whose YAML is fine but whose structure kin-openapi
// rejects, such as a string where an object belongs.
func shapeError(src *sourceFile, msg string, err error) error {
	text := src.text
	if text == nil {
		text = src.data
	}
	if m, bad := shapeOf(text); bad {
		name := elementName(m.pointer)
		return fail(ClassInvalid, src.locator().Pos(m.pointer), "invalid-structure",
			name+" must be "+m.want+", not "+m.got,
			"write "+name+" as "+m.want+" (see the OpenAPI specification's definition of it)", err)
	}
	hint := "compare the element with the OpenAPI specification's object definitions"
	if m := goField.FindStringSubmatch(msg); m != nil {
		hint = "the field " + m[1] + " must be a " + strings.TrimPrefix(m[2], "openapi3.")
	}
	return fail(ClassInvalid, Position{File: src.name}, "invalid-structure",
		"the document does not have the shape of an OpenAPI document: "+lastClause(msg), hint, err)
}

func firstQuoted(msg string) string {
	if m := quotedRef.FindStringSubmatch(msg); m != nil {
		return m[1]
	}
	return ""
}

func quoteIf(s string) string {
	if s == "" {
		return ""
	}
	return fmt.Sprintf("%q", s)
}

// lastClause keeps the innermost cause of a chain of "a: b: c" wrappers.
func lastClause(msg string) string {
	if i := strings.LastIndex(msg, ": "); i >= 0 && i+2 < len(msg) {
		return msg[i+2:]
	}
	return msg
}

// refPos finds where a $ref value is written, searching the root then the
// other files read: the model no longer knows, and this is only for errors.
func refPos(src *sourceFile, files []*sourceFile, ref string) Position {
	if ref == "" {
		return Position{File: src.name}
	}
	for _, f := range append([]*sourceFile{src}, files...) {
		if i := bytes.Index(f.data, []byte(ref)); i >= 0 {
			return offsetPosition(f.name, f.data, nil, i)
		}
	}
	// The message may carry a resolved form; fall back to its fragment.
	if _, frag, ok := strings.Cut(ref, "#"); ok && frag != "" && ref != "#"+frag {
		return refPos(src, files, "#"+frag)
	}
	return Position{File: src.name}
}
