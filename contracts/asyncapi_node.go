package contracts

import (
	"math"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// afile is one parsed file of an AsyncAPI document: the root or a file a
// $ref points at.
type afile struct {
	src  *sourceFile
	root *yaml.Node // the top node (a DocumentNode's content); nil for an empty file
	// url is set when the file was fetched over http(s); relative refs in it
	// resolve against it instead of the file system.
	url string
}

// cursor is a YAML node together with where it sits: its file, its JSON
// pointer in that file, and the mapping key that introduced it (positions
// point at keys, as Document.Pos does). A cursor with a nil node stands for
// an absent element.
type cursor struct {
	p   *asyncParser
	f   *afile
	n   *yaml.Node
	ptr string
	key *yaml.Node
	// label is the mapping key the element is found under; key may be a
	// different node (the definition's own key) once a $ref was followed.
	label string
}

// place is the true location of a node: used for nodes that sit in a
// synthetic mapping built by merging traits, whose children come from
// several objects and files.
type place struct {
	f   *afile
	ptr string
	key *yaml.Node
}

// pair is one key/value entry of a mapping.
type pair struct{ k, v *yaml.Node }

// maxAliasHops bounds alias chains; yaml.v3 accepts an anchor that contains
// itself, so every walk over nodes must be bounded.
const maxAliasHops = 64

func unalias(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < maxAliasHops; i++ {
		n = n.Alias
	}
	if n != nil && n.Kind == yaml.AliasNode {
		return nil
	}
	return n
}

func (c cursor) ok() bool { return c.n != nil }

// pos is where the element is written: its key, or the node itself for
// sequence items and roots.
func (c cursor) pos() Position {
	name := ""
	if c.f != nil {
		name = c.f.src.name
	}
	switch {
	case c.key != nil && c.key.Line > 0:
		return Position{File: name, Line: c.key.Line, Col: c.key.Column}
	case c.n != nil && c.n.Line > 0:
		return Position{File: name, Line: c.n.Line, Col: c.n.Column}
	}
	return Position{File: name}
}

func (c cursor) isMap() bool { return c.n != nil && c.n.Kind == yaml.MappingNode }
func (c cursor) isSeq() bool { return c.n != nil && c.n.Kind == yaml.SequenceNode }

// isNull reports an absent element or an explicit null.
func (c cursor) isNull() bool {
	return c.n == nil || (c.n.Kind == yaml.ScalarNode && c.n.ShortTag() == "!!null")
}

// scalar returns the text of a scalar node; null counts as absent.
func (c cursor) scalar() (string, bool) {
	if c.n == nil || c.n.Kind != yaml.ScalarNode || c.n.ShortTag() == "!!null" {
		return "", false
	}
	return c.n.Value, true
}

// child makes the cursor for a node found under c.
func (c cursor) child(n, key *yaml.Node, token string) cursor {
	n = unalias(n)
	out := cursor{p: c.p, f: c.f, n: n, ptr: c.ptr + "/" + escapePointerToken(token), key: key}
	if key != nil {
		out.label = token
	}
	if n != nil && c.p != nil {
		if pl, ok := c.p.places[n]; ok {
			out.f, out.ptr = pl.f, pl.ptr
			if pl.key != nil {
				out.key = pl.key
			}
		}
	}
	return out
}

// get returns the value under key k of a mapping.
func (c cursor) get(k string) cursor {
	if c.isMap() {
		if m := c.p.index(c.n); m != nil {
			if i, ok := m.index[k]; ok {
				kv := m.pairs[i]
				return c.child(kv.v, kv.k, k)
			}
		}
	}
	return cursor{p: c.p, f: c.f, ptr: c.ptr + "/" + escapePointerToken(k)}
}

// has reports whether a mapping holds key k.
func (c cursor) has(k string) bool { return c.get(k).ok() }

// entries lists a mapping's entries in document order.
func (c cursor) entries() []cursor {
	if !c.isMap() {
		return nil
	}
	kvs := c.p.index(c.n).pairs
	out := make([]cursor, 0, len(kvs))
	for _, kv := range kvs {
		out = append(out, c.child(kv.v, kv.k, kv.k.Value))
	}
	return out
}

// name is the mapping key that introduced the cursor.
func (c cursor) name() string { return c.label }

// items lists a sequence's items.
func (c cursor) items() []cursor {
	if !c.isSeq() {
		return nil
	}
	out := make([]cursor, 0, len(c.n.Content))
	for i, n := range c.n.Content {
		out = append(out, c.child(n, nil, strconv.Itoa(i)))
	}
	return out
}

// index returns item i of a sequence.
func (c cursor) index(i int) cursor {
	if !c.isSeq() || i < 0 || i >= len(c.n.Content) {
		return cursor{p: c.p, f: c.f, ptr: c.ptr + "/" + strconv.Itoa(i)}
	}
	return c.child(c.n.Content[i], nil, strconv.Itoa(i))
}

// mappingIndex is a mapping's entries with an index by key.
type mappingIndex struct {
	pairs []pair
	index map[string]int
}

// index returns a mapping's entries with YAML merge keys (<<) expanded
// and duplicate keys resolved to the last one, as JSON decoders and the
// position index do. Results are cached per node: lookups are frequent.
func (p *asyncParser) index(n *yaml.Node) *mappingIndex {
	if m, ok := p.pairCache[n]; ok {
		return m
	}
	m := &mappingIndex{index: map[string]int{}}
	collectPairs(m, n, 0, true)
	p.pairCache[n] = m
	return m
}

// collectPairs adds n's entries to m. Explicit keys override merged ones,
// and among merge sources the earliest wins, as the YAML merge key
// specification says.
func collectPairs(m *mappingIndex, n *yaml.Node, depth int, override bool) {
	n = unalias(n)
	if n == nil || n.Kind != yaml.MappingNode || depth > 8 {
		return
	}
	var merges []*yaml.Node
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.Value == "<<" && k.ShortTag() == "!!merge" {
			merges = append(merges, v)
			continue
		}
		m.add(pair{k, v}, override)
	}
	for _, v := range merges {
		src := unalias(v)
		if src == nil {
			continue
		}
		if src.Kind == yaml.SequenceNode {
			for _, s := range src.Content {
				collectPairs(m, s, depth+1, false)
			}
		} else {
			collectPairs(m, src, depth+1, false)
		}
	}
}

func (m *mappingIndex) add(kv pair, override bool) {
	if i, ok := m.index[kv.k.Value]; ok {
		if override {
			m.pairs[i] = kv
		}
		return
	}
	m.index[kv.k.Value] = len(m.pairs)
	m.pairs = append(m.pairs, kv)
}

// maxValueDepth bounds the nesting toAny follows; real documents stay far
// below it, hostile ones (or an anchor containing itself) do not.
const maxValueDepth = 256

// toAny converts a node into the values encoding/json produces
// (map[string]any, []any, string, float64, bool, nil). $refs are not
// followed: the result is the element as written.
func (p *asyncParser) toAny(c cursor) any {
	return p.value(c.f, c.n, 0)
}

func (p *asyncParser) value(f *afile, n *yaml.Node, depth int) any {
	n = unalias(n)
	if n == nil || !p.charge(1, f, n) {
		return nil
	}
	if depth > maxValueDepth {
		p.tooDeep(f, n)
		return nil
	}
	switch n.Kind {
	case yaml.MappingNode:
		kvs := p.index(n).pairs
		m := make(map[string]any, len(kvs))
		for _, kv := range kvs {
			m[kv.k.Value] = p.value(f, kv.v, depth+1)
		}
		return m
	case yaml.SequenceNode:
		s := make([]any, 0, len(n.Content))
		for _, item := range n.Content {
			s = append(s, p.value(f, item, depth+1))
		}
		return s
	case yaml.ScalarNode:
		return scalarValue(n)
	}
	return nil
}

// scalarValue decodes a scalar by its resolved tag. Numbers become float64
// like JSON's; infinities and NaN, which JSON cannot hold, and timestamps
// and custom tags stay the text they were written as. The common spellings
// are parsed directly: yaml.v3's Decode is slow for millions of scalars.
func scalarValue(n *yaml.Node) any {
	switch n.ShortTag() {
	case "!!null":
		return nil
	case "!!bool":
		switch n.Value {
		case "true":
			return true
		case "false":
			return false
		}
		var b bool
		if n.Decode(&b) == nil {
			return b
		}
	case "!!int", "!!float":
		if i, err := strconv.ParseInt(n.Value, 0, 64); err == nil {
			return float64(i)
		}
		if f, err := strconv.ParseFloat(n.Value, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return f
		}
		var v any
		if n.Decode(&v) == nil {
			var f float64
			switch x := v.(type) {
			case int:
				f = float64(x)
			case int64:
				f = float64(x)
			case uint64:
				f = float64(x)
			case float64:
				f = x
			default:
				return n.Value
			}
			if math.IsInf(f, 0) || math.IsNaN(f) {
				return n.Value
			}
			return f
		}
	}
	return n.Value
}

// extensions collects an object's x-* fields.
func (p *asyncParser) extensions(c cursor) map[string]any {
	var out map[string]any
	for _, e := range c.entries() {
		if k := e.name(); strings.HasPrefix(k, "x-") {
			if out == nil {
				out = map[string]any{}
			}
			out[k] = p.toAny(e)
		}
	}
	return out
}

// countNodes sizes a file for the expansion budget without following aliases.
func countNodes(n *yaml.Node, depth int) int {
	if n == nil || depth > maxValueDepth*4 {
		return 0
	}
	total := 1
	for _, c := range n.Content {
		total += countNodes(c, depth+1)
	}
	return total
}
