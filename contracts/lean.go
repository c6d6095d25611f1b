package contracts

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// LoadForCompare loads a contract for compat, which holds two large models
// at once and only reads them. Self-contained OpenAPI documents (every $ref
// names a component of the same file) are decoded in one pass straight into
// the kin-openapi model: kin-openapi's own decoding re-reads every subtree
// once per enclosing object and decodes it a second time for extensions,
// which on GitHub's 13 MB contract costs ~2.5 s and ~450 MB of garbage.
// Anything else (AsyncAPI, external or deep $refs, cycles, a document the
// lean decoder does not accept) goes through Load, so errors and their
// positions are exactly Load's.
//
// The model differs from Load's only where no comparison looks: annotations
// (descriptions, summaries, examples), tags, links and externalDocs are not
// kept, and equal inline leaf schemas and equal $refs share one value.
// compat's tests hold the findings to Load's on every corpus contract.
func LoadForCompare(ctx context.Context, source string, opts LoadOptions) (*Document, error) {
	if src, ok := mapContract(source, opts); ok {
		if doc, ok := loadMapped(src); ok {
			return doc, nil
		}
	}
	src, org, err := readSource(ctx, source, opts)
	if err != nil {
		return nil, err
	}
	if doc, ok := loadLean(src); ok {
		return doc, nil
	}
	return load(ctx, src, org, opts)
}

// loadLean returns the document, or false when the full loader must decide.
func loadLean(src *sourceFile) (*Document, bool) {
	doc, err := decodeLeanSource(src)
	return doc, err == nil
}

func decodeLeanSource(src *sourceFile) (*Document, error) { return decodeLean(src, false) }

// decodeLean decodes src; mapped says src.data is a mapping whose pages
// may be released as the decoder passes them.
func decodeLean(src *sourceFile, mapped bool) (*Document, error) {
	text := src.data
	var re *restreamSource
	if !looksJSON(text) {
		// A top-level version line, when there is one, tells AsyncAPI and
		// Swagger apart without converting. Otherwise the YAML is read as
		// its JSON conversion is: detect's checks would copy the whole file
		// twice, and the converted document is held to the version below
		// exactly as JSON is.
		if m := topLevelVersion.FindSubmatch(text); m != nil && string(m[1]) != "openapi" {
			return nil, fmt.Errorf("%w: not OpenAPI", errLean)
		}
		convert := yamlToJSONMarked
		if mapped {
			// A mapped file can be streamed again when positions are
			// wanted (lean_restream.go), so neither the JSON text nor
			// the marks need outlive the decoding.
			if j, _, sum, ok := yamlStreamWith(text, streamOptions{noMarks: true, mapped: true}); ok {
				text, re = j, &restreamSource{data: src.data, sum: sum}
			}
			convert = yamlToJSONTree // the streamer just declined
		}
		if re == nil {
			j, marks, err := convert(text)
			if err != nil {
				return nil, fmt.Errorf("%w: %v", errLean, err)
			}
			text, src.text, src.marks = j, j, marks
		}
	}
	// detect decodes a whole JSON file to read one member; the version is
	// read here from the text and checked against the decoded document
	// instead (any doubt declines, and Load's detect decides).
	m := jsonVersion.FindSubmatch(text)
	if m == nil {
		return nil, fmt.Errorf("%w: no openapi member", errLean)
	}
	kind, version := KindOpenAPI, string(m[1])
	if !strings.HasPrefix(version, "3.0") && !strings.HasPrefix(version, "3.1") {
		return nil, fmt.Errorf("%w: OpenAPI %s", errLean, version)
	}
	is31 := strings.HasPrefix(version, "3.1")
	decoded := text
	if is31 {
		decoded = refSiblingsAsAllOf(text)
	}
	// Positions index the text as the locator reads it, so the tables the
	// decoder builds on the way are only valid when it read that text.
	d := &leanDec{data: decoded, noText: new(string), strs: make(map[string]string, 1024), leaves: map[string]*openapi3.Schema{},
		leafRefs: map[*openapi3.Schema]*openapi3.SchemaRef{}, refHolders: map[string]*openapi3.SchemaRef{}}
	sameText := len(decoded) == len(text) && (len(text) == 0 || &decoded[0] == &text[0])
	if sameText && re == nil {
		d.tables = map[int32]*container{}
	}
	mapped = mapped && sameText && len(text) > 0 && &text[0] == &src.data[0]
	d.mapped = mapped
	t, err := d.decode()
	if err != nil {
		return nil, err
	}
	if t.OpenAPI != version || t.Extensions["swagger"] != nil || t.Extensions["asyncapi"] != nil {
		return nil, fmt.Errorf("%w: version member not where it was expected", errLean)
	}
	if ps := openAPIRefCycles(src, t); len(ps) > 0 {
		return nil, fmt.Errorf("%w: cyclic $refs", errLean)
	}
	doc := &Document{Kind: kind, Version: version, Name: src.name, OpenAPI: t}
	if re != nil {
		doc.root = &locator{name: src.name, re: re}
		doc.files = map[string]*locator{src.key: doc.root}
		return doc, nil
	}
	doc.root = src.locator()
	if mapped {
		// The locator's line table, built now as the pages are passed
		// once more, so that positions later touch only their own pages.
		l := doc.root
		l.once.Do(func() { l.text, l.lines = l.data, mappedLineStarts(l.data); l.root = l.findRoot() })
		l.mapped = true
	}
	if d.tables != nil {
		// Sharing the decoder's tables of the large containers spares the
		// locator re-scanning them, which it otherwise does once per
		// container level on the way to each finding's position.
		doc.root.tables = d.tables
	}
	if src.marks != nil {
		// Positions in a converted YAML file come from the marks alone:
		// the YAML text need not outlive the load.
		doc.root.data = nil
	}
	doc.files = map[string]*locator{src.key: doc.root}
	return doc, nil
}

// jsonVersion finds the openapi member of a JSON document; the decoded
// document must agree with it.
var jsonVersion = regexp.MustCompile(`"openapi"\s*:\s*"([^"\\]+)"`)

// tableMin is the size from which the decoder records a container's
// members for the locator: few containers are this large, and scanning one
// costs more than recording it.
const tableMin = 16 << 10

// errLean says the lean decoder declines a document; the caller falls back.
var errLean = errors.New("lean decoder declines")

// leanBail is panicked with inside the decoder and recovered in decodeLean:
// declining is all-or-nothing, so unwinding the whole recursive descent at
// once keeps every decode function free of error plumbing.
type leanBail struct{ why string }

// leanDec is a single-pass JSON reader over one document.
type leanDec struct {
	data []byte
	i    int
	// tables, when set, receives the members of every container of at
	// least tableMin bytes, keyed as the locator keys them.
	tables  map[int32]*container
	scratch []member
	keys    []string
	// noText is what a response's description points at: kin-openapi's
	// model has it as a pointer, and comparisons only read whether it is
	// set. A string of its own: a pointer into the decoder would keep the
	// whole decoder, the JSON text of a converted YAML file and the
	// intern tables with it, alive as long as the model.
	noText *string
	// keyAt is where the member being read starts (its key's quote).
	keyAt int
	// component marks the schema read next as a component's root.
	component bool
	leaves    map[string]*openapi3.Schema
	leafKey   []byte
	// leafRefs and refHolders share *SchemaRef holders: one per shared
	// leaf value, one per $ref written without extensions.
	leafRefs   map[*openapi3.Schema]*openapi3.SchemaRef
	refHolders map[string]*openapi3.SchemaRef
	// mapped says data is a file mapping: released is how far its pages
	// have been released (see releasePages).
	mapped   bool
	released int
	// spare and spareRef are what recycle kept for newSchemaRef.
	spare    *openapi3.Schema
	spareRef *openapi3.SchemaRef
	// refs are the $ref holders to resolve once every component is known.
	refs []func(c *openapi3.Components)
	// strs interns repeated short strings (types, formats, keys), which
	// large contracts repeat tens of thousands of times.
	strs map[string]string
}

func (d *leanDec) decode() (t *openapi3.T, err error) {
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(leanBail)
			if !ok {
				panic(r)
			}
			t, err = nil, fmt.Errorf("%w: %s at byte %d", errLean, b.why, d.i)
		}
	}()
	t = d.document()
	d.ws()
	if d.i != len(d.data) {
		d.bail("trailing data")
	}
	c := t.Components
	if c == nil {
		c = &openapi3.Components{}
	}
	for _, r := range d.refs {
		r(c)
	}
	return t, nil
}

func (d *leanDec) bail(why string) { panic(leanBail{why}) }

func (d *leanDec) ws() {
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case ' ', '\t', '\n', '\r':
			d.i++
		default:
			return
		}
	}
}

// peek returns the next non-space byte (0 at the end).
func (d *leanDec) peek() byte {
	d.ws()
	if d.i >= len(d.data) {
		return 0
	}
	return d.data[d.i]
}

func (d *leanDec) expect(c byte) {
	if d.peek() != c {
		d.bail("expected " + string(c))
	}
	d.i++
}

// object calls f for each member; f must consume the value.
func (d *leanDec) object(f func(key string)) {
	d.expect('{')
	start, mark := d.i-1, len(d.scratch)
	if d.peek() == '}' {
		d.i++
		return
	}
	for {
		if d.mapped && d.i-d.released > 2*releaseStep {
			d.releaseTo(d.i - releaseStep)
		}
		d.ws()
		keyAt := d.i
		d.keyAt = keyAt
		k := d.key()
		d.expect(':')
		d.ws()
		if d.tables != nil {
			d.scratch = append(d.scratch, member{key: int32(keyAt), value: int32(d.i)})
			d.keys = append(d.keys, k)
		}
		f(k)
		switch d.peek() {
		case ',':
			d.i++
		case '}':
			d.i++
			d.record(start, mark, true)
			return
		default:
			d.bail("expected , or }")
		}
	}
}

// record turns the members noted since mark into the locator's table of
// the container at start, when it is large enough to be worth keeping.
func (d *leanDec) record(start, mark int, object bool) {
	if d.tables == nil {
		return
	}
	if d.i-start >= tableMin {
		c := &container{}
		if object {
			c.keys = make(map[string]member, len(d.scratch)-mark)
			for j, m := range d.scratch[mark:] {
				c.keys[d.keys[mark+j]] = m
			}
		} else {
			c.items = append([]member(nil), d.scratch[mark:]...)
		}
		d.tables[int32(start)] = c
	}
	d.scratch, d.keys = d.scratch[:mark], d.keys[:mark]
}

// array calls f for each element; f must consume it.
func (d *leanDec) array(f func()) {
	d.expect('[')
	start, mark := d.i-1, len(d.scratch)
	if d.peek() == ']' {
		d.i++
		return
	}
	for {
		d.ws()
		if d.tables != nil {
			d.scratch = append(d.scratch, member{key: int32(d.i), value: int32(d.i)})
			d.keys = append(d.keys, "")
		}
		f()
		switch d.peek() {
		case ',':
			d.i++
		case ']':
			d.i++
			d.record(start, mark, false)
			return
		default:
			d.bail("expected , or ]")
		}
	}
}

// isNull consumes a null if one is next.
func (d *leanDec) isNull() bool {
	if d.peek() == 'n' && d.lit("null") {
		return true
	}
	return false
}

func (d *leanDec) lit(s string) bool {
	if len(d.data)-d.i >= len(s) && string(d.data[d.i:d.i+len(s)]) == s {
		d.i += len(s)
		return true
	}
	return false
}
