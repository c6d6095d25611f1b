package contracts

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

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
	if !looksJSON(text) {
		// A top-level version line, when there is one, tells AsyncAPI and
		// Swagger apart without converting. Otherwise the YAML is read as
		// its JSON conversion is: detect's checks would copy the whole file
		// twice, and the converted document is held to the version below
		// exactly as JSON is.
		if m := topLevelVersion.FindSubmatch(text); m != nil && string(m[1]) != "openapi" {
			return nil, fmt.Errorf("%w: not OpenAPI", errLean)
		}
		j, marks, err := yamlToJSONMarked(text)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errLean, err)
		}
		text, src.text, src.marks = j, j, marks
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
	d := &leanDec{data: decoded, strs: make(map[string]string, 1024), leaves: map[string]*openapi3.Schema{},
		leafRefs: map[*openapi3.Schema]*openapi3.SchemaRef{}, refHolders: map[string]*openapi3.SchemaRef{}}
	sameText := len(decoded) == len(text) && (len(text) == 0 || &decoded[0] == &text[0])
	if sameText {
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
	doc.root = src.locator()
	if mapped {
		// The locator's line table, built now as the pages are passed
		// once more, so that positions later touch only their own pages.
		l := doc.root
		l.once.Do(func() { l.text, l.lines = l.data, mappedLineStarts(l.data); l.root = l.findRoot() })
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
	// model has it as a pointer, and comparisons only read whether it is set.
	noText string
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

func (d *leanDec) key() string { return d.intern(d.rawString()) }

// str reads a string value; null reads as "" as encoding/json leaves it.
func (d *leanDec) str() string {
	if d.isNull() {
		return ""
	}
	return d.rawString()
}

func (d *leanDec) istr() string {
	if d.isNull() {
		return ""
	}
	return d.intern(d.rawString())
}

func (d *leanDec) intern(s string) string {
	if len(s) > 48 {
		return s
	}
	if v, ok := d.strs[s]; ok {
		return v
	}
	d.strs[s] = s
	return s
}

func (d *leanDec) rawString() string {
	if d.peek() != '"' {
		d.bail("expected a string")
	}
	d.i++
	start := d.i
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			s := string(d.data[start:d.i])
			d.i++
			return s
		case c == '\\':
			return d.escaped(start)
		case c < 0x20:
			d.bail("control character in string")
		case c >= 0x80:
			r, n := utf8.DecodeRune(d.data[d.i:])
			if r == utf8.RuneError && n == 1 {
				return d.escaped(start) // invalid UTF-8 becomes U+FFFD, as encoding/json does
			}
			d.i += n
		default:
			d.i++
		}
	}
	d.bail("unterminated string")
	return ""
}

// escaped finishes a string holding escapes, from its start.
func (d *leanDec) escaped(start int) string {
	b := make([]byte, 0, d.i-start+16)
	b = append(b, d.data[start:d.i]...)
	for d.i < len(d.data) {
		c := d.data[d.i]
		switch {
		case c == '"':
			d.i++
			return string(b)
		case c == '\\':
			if d.i+1 >= len(d.data) {
				d.bail("bad escape")
			}
			e := d.data[d.i+1]
			d.i += 2
			switch e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				r := d.hex4()
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if d.i+1 < len(d.data) && d.data[d.i] == '\\' && d.data[d.i+1] == 'u' {
						save := d.i
						d.i += 2
						r2 = d.hex4()
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							b = utf8.AppendRune(b, dec)
							continue
						}
						d.i = save
					}
					r = utf8.RuneError
				}
				b = utf8.AppendRune(b, r)
			default:
				d.bail("bad escape")
			}
		case c < 0x20:
			d.bail("control character in string")
		case c >= 0x80:
			r, n := utf8.DecodeRune(d.data[d.i:])
			b = utf8.AppendRune(b, r)
			d.i += n
		default:
			b = append(b, c)
			d.i++
		}
	}
	d.bail("unterminated string")
	return ""
}

func (d *leanDec) hex4() rune {
	if d.i+4 > len(d.data) {
		d.bail("bad \\u escape")
	}
	v, err := strconv.ParseUint(string(d.data[d.i:d.i+4]), 16, 32)
	if err != nil {
		d.bail("bad \\u escape")
	}
	d.i += 4
	return rune(v)
}

func (d *leanDec) boolean() bool {
	switch {
	case d.peek() == 't' && d.lit("true"):
		return true
	case d.peek() == 'f' && d.lit("false"):
		return false
	case d.isNull():
		return false
	}
	d.bail("expected a boolean")
	return false
}

func (d *leanDec) boolPtr() *bool {
	if d.isNull() {
		return nil
	}
	b := d.boolean()
	return &b
}

// numText returns the text of the number that comes next.
func (d *leanDec) numText() string {
	d.ws()
	start := d.i
	for d.i < len(d.data) {
		switch c := d.data[d.i]; {
		case c >= '0' && c <= '9', c == '-', c == '+', c == '.', c == 'e', c == 'E':
			d.i++
			continue
		}
		break
	}
	if start == d.i {
		d.bail("expected a number")
	}
	return string(d.data[start:d.i])
}

func (d *leanDec) float() float64 {
	f, err := strconv.ParseFloat(d.numText(), 64)
	if err != nil {
		d.bail("bad number")
	}
	return f
}

func (d *leanDec) floatPtr() *float64 {
	if d.isNull() {
		return nil
	}
	f := d.float()
	return &f
}

func (d *leanDec) uint() uint64 {
	if d.isNull() {
		return 0
	}
	u, err := strconv.ParseUint(d.numText(), 10, 64)
	if err != nil {
		d.bail("expected an unsigned integer")
	}
	return u
}

func (d *leanDec) uintPtr() *uint64 {
	if d.isNull() {
		return nil
	}
	u := d.uint()
	return &u
}

func (d *leanDec) strings() []string {
	if d.isNull() {
		return nil
	}
	out := []string{}
	d.array(func() { out = append(out, d.istr()) })
	return out
}

// value reads any JSON value as encoding/json decodes it into an any.
func (d *leanDec) value() any {
	switch c := d.peek(); {
	case c == '{':
		m := map[string]any{}
		d.object(func(k string) { m[k] = d.value() })
		return m
	case c == '[':
		a := []any{}
		d.array(func() { a = append(a, d.value()) })
		return a
	case c == '"':
		return d.rawString()
	case c == 't', c == 'f':
		return d.boolean()
	case c == 'n':
		if d.isNull() {
			return nil
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return d.float()
	}
	d.bail("expected a value")
	return nil
}

// skip consumes one value without building it.
func (d *leanDec) skip() {
	switch c := d.peek(); {
	case c == '{':
		d.object(func(string) { d.skip() })
	case c == '[':
		d.array(d.skip)
	case c == '"':
		d.skipString()
	default:
		d.value()
	}
}

func (d *leanDec) skipString() {
	d.i++ // the opening quote, checked by peek's caller
	for d.i < len(d.data) {
		switch d.data[d.i] {
		case '"':
			d.i++
			return
		case '\\':
			d.i += 2
		default:
			d.i++
		}
	}
	d.bail("unterminated string")
}

// ext adds an unknown member to an extensions map, as kin-openapi keeps
// every member it does not know.
func (d *leanDec) ext(m *map[string]any, k string) {
	v := d.value()
	if *m == nil {
		*m = map[string]any{}
	}
	(*m)[k] = v
}
