package contracts

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// locator maps RFC 6901 JSON pointers to positions in one file. kin-openapi
// records no origins for JSON input, and AsyncAPI and compat need positions
// for arbitrary elements, so accord indexes the raw bytes itself. The index is
// built on first use: loading and comparing pay nothing unless a position is
// actually printed.
type locator struct {
	name string
	data []byte

	once  sync.Once
	index map[string]int32 // pointer -> byte offset of the key (or item)
	lines []int32          // byte offset of each line start
}

func newLocator(name string, data []byte) *locator {
	return &locator{name: name, data: data}
}

// Pos returns the position of pointer, or of its nearest ancestor that exists.
func (l *locator) Pos(pointer string) Position {
	l.once.Do(l.build)
	for p := pointer; ; {
		if off, ok := l.index[p]; ok {
			return l.offsetPos(int(off))
		}
		if p == "" {
			return Position{File: l.name}
		}
		i := strings.LastIndexByte(p, '/')
		if i < 0 {
			p = ""
		} else {
			p = p[:i]
		}
	}
}

// Has reports whether pointer names an element in the file.
func (l *locator) Has(pointer string) bool {
	l.once.Do(l.build)
	_, ok := l.index[pointer]
	return ok
}

func (l *locator) offsetPos(off int) Position {
	line := sort.Search(len(l.lines), func(i int) bool { return int(l.lines[i]) > off })
	start := 0
	if line > 0 {
		start = int(l.lines[line-1])
	}
	col := utf8.RuneCount(l.data[start:off]) + 1
	return Position{File: l.name, Line: line, Col: col}
}

func (l *locator) build() {
	l.lines = append(l.lines, 0)
	for i, b := range l.data {
		if b == '\n' {
			l.lines = append(l.lines, int32(i+1))
		}
	}
	l.index = map[string]int32{}
	if looksJSON(l.data) {
		s := jsonIndexer{data: l.data, index: l.index}
		// A byte-order mark is not JSON whitespace but editors write one.
		if bytes.HasPrefix(l.data, []byte("\ufeff")) {
			s.i = 3
		}
		s.skipSpace()
		s.index[""] = int32(s.i)
		s.value("", 0)
		return
	}
	var root yaml.Node
	if err := yaml.Unmarshal(l.data, &root); err != nil {
		l.index[""] = 0
		return
	}
	y := yamlIndexer{lines: l.lines, data: l.data, index: l.index}
	y.node(&root, "", 0)
}

// looksJSON reports whether data starts like a JSON document. YAML is a
// superset of JSON, but the dedicated JSON path is much faster on the
// multi-megabyte contracts that are usually shipped as JSON.
func looksJSON(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

// escapePointerToken escapes one reference token per RFC 6901.
func escapePointerToken(s string) string {
	if !strings.ContainsAny(s, "~/") {
		return s
	}
	return strings.NewReplacer("~", "~0", "/", "~1").Replace(s)
}

// unescapePointerToken reverses escapePointerToken.
func unescapePointerToken(s string) string {
	if !strings.Contains(s, "~") {
		return s
	}
	return strings.NewReplacer("~1", "/", "~0", "~").Replace(s)
}

// Pointer joins reference tokens into an RFC 6901 JSON pointer.
func Pointer(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escapePointerToken(t))
	}
	return b.String()
}

// maxIndexDepth keeps hostile nesting from turning indexing into a stack hazard.
const maxIndexDepth = 512

type jsonIndexer struct {
	data  []byte
	i     int
	index map[string]int32
}

func (s *jsonIndexer) skipSpace() {
	for s.i < len(s.data) {
		switch s.data[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		default:
			return
		}
	}
}

// value indexes the value at s.i. It is lenient: the input was already parsed
// successfully elsewhere, so on anything unexpected it simply stops.
func (s *jsonIndexer) value(ptr string, depth int) bool {
	s.skipSpace()
	if s.i >= len(s.data) || depth > maxIndexDepth {
		return false
	}
	switch s.data[s.i] {
	case '{':
		s.i++
		for {
			s.skipSpace()
			if s.i >= len(s.data) {
				return false
			}
			if s.data[s.i] == '}' {
				s.i++
				return true
			}
			if s.data[s.i] == ',' {
				s.i++
				continue
			}
			keyAt := s.i
			key, ok := s.str()
			if !ok {
				return false
			}
			s.skipSpace()
			if s.i >= len(s.data) || s.data[s.i] != ':' {
				return false
			}
			s.i++
			child := ptr + "/" + escapePointerToken(key)
			s.index[child] = int32(keyAt)
			if !s.value(child, depth+1) {
				return false
			}
		}
	case '[':
		s.i++
		for n := 0; ; {
			s.skipSpace()
			if s.i >= len(s.data) {
				return false
			}
			switch s.data[s.i] {
			case ']':
				s.i++
				return true
			case ',':
				s.i++
				continue
			}
			child := ptr + "/" + strconv.Itoa(n)
			s.index[child] = int32(s.i)
			n++
			if !s.value(child, depth+1) {
				return false
			}
		}
	case '"':
		_, ok := s.str()
		return ok
	default:
		for s.i < len(s.data) {
			switch s.data[s.i] {
			case ',', '}', ']', ' ', '\t', '\r', '\n':
				return true
			}
			s.i++
		}
		return true
	}
}

// str reads a JSON string at s.i and returns its decoded value.
func (s *jsonIndexer) str() (string, bool) {
	if s.i >= len(s.data) || s.data[s.i] != '"' {
		return "", false
	}
	start := s.i + 1
	escaped := false
	for j := start; j < len(s.data); j++ {
		switch s.data[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			s.i = j + 1
			if !escaped {
				return string(s.data[start:j]), true
			}
			v, err := strconv.Unquote(string(s.data[start-1 : j+1]))
			if err != nil {
				return string(s.data[start:j]), true
			}
			return v, true
		}
	}
	return "", false
}

type yamlIndexer struct {
	lines []int32
	data  []byte
	index map[string]int32
}

// offset converts yaml.v3's 1-based line/column (in runes) back to a byte offset.
func (y *yamlIndexer) offset(line, col int) int32 {
	if line < 1 || line > len(y.lines) {
		return 0
	}
	start := int(y.lines[line-1])
	off := start
	for n := 1; n < col && off < len(y.data); n++ {
		_, size := utf8.DecodeRune(y.data[off:])
		off += size
	}
	return int32(off)
}

func (y *yamlIndexer) node(n *yaml.Node, ptr string, depth int) {
	if depth > maxIndexDepth {
		return
	}
	switch n.Kind {
	case yaml.DocumentNode:
		if len(n.Content) > 0 {
			y.index[""] = y.offset(n.Content[0].Line, n.Content[0].Column)
			y.node(n.Content[0], ptr, depth+1)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			if k.Value == "<<" && k.Tag == "!!merge" {
				continue
			}
			child := ptr + "/" + escapePointerToken(k.Value)
			y.index[child] = y.offset(k.Line, k.Column)
			y.node(v, child, depth+1)
		}
	case yaml.SequenceNode:
		for i, v := range n.Content {
			child := ptr + "/" + strconv.Itoa(i)
			y.index[child] = y.offset(v.Line, v.Column)
			y.node(v, child, depth+1)
		}
	}
}
