package contracts

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"gopkg.in/yaml.v3"
)

// AsyncAPI has no Go library worth depending on, so accord parses it itself:
// every file is read into yaml.Node trees (JSON is YAML), which keep a line
// and column for every element, and the model in asyncapi_model.go is built
// from them with $refs resolved and traits applied. 2.0 to 2.6 are parsed by
// the 2.6 rules (the 2.x line only ever added optional fields, so earlier
// documents are valid 2.6 documents); 3.0.x by the 3.0 rules.

// asyncParser holds the state of one load. It lives as long as loadAsyncAPI.
type asyncParser struct {
	ctx  context.Context
	opts LoadOptions
	org  origin
	v3   bool

	root  *afile
	files map[string]*afile // by key (resolved path or URL), root included
	order []*sourceFile     // files read besides the root, in reading order

	problems []loadProblem
	// deferred are semantic problems found while resolving references
	// (unknown channels, messages, servers) that do not stop loading; they
	// are reported by Validate.
	deferred []Problem

	pairCache map[*yaml.Node]*mappingIndex
	places    map[*yaml.Node]place
	// resolving holds the $ref nodes on the current resolution path, to
	// tell a cyclic chain from a long one.
	resolving map[*yaml.Node]bool

	schemas    map[*yaml.Node]*openapi3.Schema // by the node the schema is written at
	schemaJobs []schemaJob
	bodies     map[*yaml.Node]*Message // message objects by their (trait-merged) definition
	messages   map[*yaml.Node]*Message // message sites: channel entries, components, 2.x operations
	channels   map[*yaml.Node]*Channel // channel sites: root channels and components
	servers    map[*yaml.Node]string   // root server sites -> name

	budget    int
	exhausted bool
	steps     int
}

// loadProblem is a Problem that stops loading, with its class.
type loadProblem struct {
	class Class
	Problem
}

// maxLoadProblems keeps a badly broken document from flooding the output.
const maxLoadProblems = 50

// loadAsyncAPI parses an AsyncAPI 2.6 or 3.0 document into the one model.
func loadAsyncAPI(ctx context.Context, src *sourceFile, org origin, opts LoadOptions) (*AsyncAPI, []*sourceFile, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	p := &asyncParser{
		ctx: ctx, opts: opts, org: org,
		files:     map[string]*afile{},
		pairCache: map[*yaml.Node]*mappingIndex{},
		places:    map[*yaml.Node]place{},
		resolving: map[*yaml.Node]bool{},
		schemas:   map[*yaml.Node]*openapi3.Schema{},
		bodies:    map[*yaml.Node]*Message{},
		messages:  map[*yaml.Node]*Message{},
		channels:  map[*yaml.Node]*Channel{},
		servers:   map[*yaml.Node]string{},
	}
	root, err := parseRootYAML(src)
	if err != nil {
		return nil, nil, err
	}
	p.root = &afile{src: src, root: root}
	p.files[src.key] = p.root
	p.budget = 1_000_000 + 16*countNodes(root, 0)

	rc := p.rootCursor(p.root)
	if !rc.isMap() {
		return nil, nil, fail(ClassUnsupported, rc.pos(), "not-a-contract",
			"not an AsyncAPI document: the top level must be a mapping",
			"start the file with `asyncapi: 3.0.0` followed by info, channels and operations", nil)
	}
	version, _ := rc.get("asyncapi").scalar()
	p.v3 = strings.HasPrefix(version, "3.")
	if ps := p.checkVersionSyntax(rc, version); len(ps) > 0 {
		return nil, nil, &Error{Class: ClassInvalid, Problems: ps}
	}

	doc := p.build(rc, version)
	if err := p.failure(); err != nil {
		return nil, nil, err
	}
	doc.deferred = dedupeProblems(p.deferred)
	return doc, p.order, nil
}

// parseRootYAML parses the root file; detect has already judged its syntax
// only superficially (a regexp), so real syntax errors surface here.
func parseRootYAML(src *sourceFile) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(src.data, &doc); err != nil {
		if looksJSON(src.data) {
			var v any
			if jerr := json.Unmarshal(src.data, &v); jerr != nil {
				return nil, jsonSyntaxError(src, jerr)
			}
			return jsonFallbackNode(v)
		}
		return nil, yamlSyntaxError(src, err)
	}
	if len(doc.Content) == 0 {
		return nil, nil
	}
	return doc.Content[0], nil
}

// jsonFallbackNode builds a node tree for JSON that yaml.v3 rejects (rare
// whitespace or escapes). Positions are lost, so only the file is named.
func jsonFallbackNode(v any) (*yaml.Node, error) {
	var n yaml.Node
	if err := n.Encode(v); err != nil {
		return nil, fmt.Errorf("re-encoding JSON: %w", err)
	}
	return &n, nil
}

func (p *asyncParser) rootCursor(f *afile) cursor {
	return cursor{p: p, f: f, n: unalias(f.root)}
}

// build reads the whole document. Order matters only for sharing: servers
// and channels are registered before the operations that point at them.
func (p *asyncParser) build(rc cursor, version string) *AsyncAPI {
	doc := &AsyncAPI{Version: version}
	doc.ID, _ = p.str(rc.get("id"))
	if info := rc.get("info"); p.mapping(info, "info") {
		doc.Info.Title, _ = p.str(info.get("title"))
		doc.Info.Version, _ = p.str(info.get("version"))
		doc.Info.Description, _ = p.str(info.get("description"))
	}
	doc.DefaultContentType, _ = p.str(rc.get("defaultContentType"))
	doc.Extensions = p.extensions(rc)

	if s := rc.get("servers"); p.mapping(s, "servers") {
		for _, e := range s.entries() {
			p.servers[e.n] = e.name()
			if srv := p.serverAt(e, e.name()); srv != nil {
				doc.Servers = append(doc.Servers, srv)
			}
		}
	}
	sort.SliceStable(doc.Servers, func(i, j int) bool { return doc.Servers[i].Name < doc.Servers[j].Name })

	comps := rc.get("components")
	p.mapping(comps, "components")
	if p.v3 {
		p.buildV3(rc, comps, doc)
	} else {
		p.buildV2(rc, doc)
	}
	p.buildComponents(comps, doc)
	sort.SliceStable(doc.Channels, func(i, j int) bool { return doc.Channels[i].Key < doc.Channels[j].Key })
	sort.SliceStable(doc.Operations, func(i, j int) bool { return doc.Operations[i].ID < doc.Operations[j].ID })
	return doc
}

// errorf records a problem that stops loading.
func (p *asyncParser) errorf(class Class, pos Position, code, hint, format string, args ...any) {
	if len(p.problems) >= maxLoadProblems {
		return
	}
	p.problems = append(p.problems, loadProblem{class: class, Problem: Problem{
		Pos: pos, Severity: SeverityError, Code: code, Message: fmt.Sprintf(format, args...), Hint: hint,
	}})
}

// deferf records a problem that does not stop loading; Validate reports it.
func (p *asyncParser) deferf(pos Position, code, hint, format string, args ...any) {
	p.deferred = append(p.deferred, Problem{
		Pos: pos, Severity: SeverityError, Code: code, Message: fmt.Sprintf(format, args...), Hint: hint,
	})
}

// failure turns the recorded problems into the error Load returns. The
// class is the most fundamental one among them: a file that cannot be read
// matters more than what it would have broken.
func (p *asyncParser) failure() error {
	if len(p.problems) == 0 {
		return nil
	}
	class := ClassInvalid
	ps := make([]Problem, 0, len(p.problems))
	for _, lp := range p.problems {
		class = min(class, lp.class)
		ps = append(ps, lp.Problem)
	}
	return &Error{Class: class, Problems: dedupeProblems(ps)}
}

// dedupeProblems drops repeats: the same broken $ref is met once per path
// that reaches it.
func dedupeProblems(ps []Problem) []Problem {
	seen := map[Problem]bool{}
	out := ps[:0]
	for _, p := range ps {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	return out
}

// charge spends n units of the expansion budget. YAML aliases let a small
// file describe an exponentially large tree; the budget, proportional to
// the files' real size, stops such a file instead of exhausting memory.
// f and n say where the work was being done, for the problem.
func (p *asyncParser) charge(n int, f *afile, at *yaml.Node) bool {
	if p.exhausted {
		return false
	}
	p.steps += n
	if p.steps%4096 < n && p.ctx.Err() != nil {
		p.exhausted = true
		p.errorf(ClassRead, nodePos(f, at), "canceled",
			"run accord again with more time", "loading was interrupted: %v", p.ctx.Err())
		return false
	}
	if p.steps > p.budget {
		p.exhausted = true
		p.errorf(ClassInvalid, nodePos(f, at), "too-large",
			"check for YAML aliases (*name) that repeat large parts of the document, and write the parts out or use $ref",
			"the document expands to more than %d elements", p.budget)
		return false
	}
	return true
}

// tooDeep stops a load whose values nest beyond maxValueDepth.
func (p *asyncParser) tooDeep(f *afile, at *yaml.Node) {
	if p.exhausted {
		return
	}
	p.exhausted = true
	p.errorf(ClassInvalid, nodePos(f, at), "too-deep",
		"check for a YAML anchor that contains itself, or flatten the nesting with $ref",
		"the document nests deeper than %d levels", maxValueDepth)
}

func nodePos(f *afile, n *yaml.Node) Position {
	var pos Position
	if f != nil {
		pos.File = f.src.name
	}
	if n != nil {
		pos.Line, pos.Col = n.Line, n.Column
	}
	return pos
}

// mapping checks that a present element is a mapping. Null counts as an
// empty mapping, as most tools treat `channels:` with nothing under it.
func (p *asyncParser) mapping(c cursor, what string) bool {
	if c.isNull() {
		return false
	}
	if c.isMap() {
		return true
	}
	p.errorf(ClassInvalid, c.pos(), "invalid-structure", "write "+what+" as a mapping of names to values",
		"%s must be a mapping, not %s", what, kindName(c.n))
	return false
}

// sequence checks that a present element is a list.
func (p *asyncParser) sequence(c cursor, what string) bool {
	if c.isNull() {
		return false
	}
	if c.isSeq() {
		return true
	}
	p.errorf(ClassInvalid, c.pos(), "invalid-structure", "write "+what+" as a list (- item)",
		"%s must be a list, not %s", what, kindName(c.n))
	return false
}

// str reads an optional string field; a scalar of another type (a number
// written as a version) is taken as its text.
func (p *asyncParser) str(c cursor) (string, bool) {
	if c.isNull() {
		return "", false
	}
	if s, ok := c.scalar(); ok {
		return s, true
	}
	field := c.name()
	if field == "" {
		field = c.ptr
	}
	p.errorf(ClassInvalid, c.pos(), "invalid-structure", "write "+field+" as a plain string",
		"%s must be a string, not %s", field, kindName(c.n))
	return "", false
}

func kindName(n *yaml.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if n.ShortTag() == "!!str" {
			return fmt.Sprintf("the string %q", n.Value)
		}
		return n.Value
	}
	return "an alias"
}
