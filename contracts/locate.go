package contracts

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// locator maps RFC 6901 JSON pointers to positions in one file. kin-openapi
// records no origins for JSON input, and compat and AsyncAPI need positions
// for arbitrary elements, so accord finds them itself.
//
// It is lazy at two levels. Nothing is prepared until the first lookup, so
// loading and comparing pay nothing when no position is printed. And a lookup
// only indexes the containers on its path: the first lookup under
// /components/schemas tabulates that one object's keys, later lookups reuse
// the table. A full index of a large contract would hold a map entry for each
// of its hundreds of thousands of nodes; this holds a few tables.
//
// YAML is walked through its JSON conversion (see yamlToJSON), with a table
// of marks mapping JSON offsets back to YAML lines and columns.
type locator struct {
	name string
	data []byte // the file as read; positions are reported in it

	once  sync.Once
	text  []byte    // the JSON walked: data itself, or data converted from YAML
	marks []posMark // for YAML: JSON offset -> position in data, sorted by offset
	lines []int32   // byte offset of each line start in data (JSON files)
	root  int       // offset of the root value in text; -1 when unusable

	mu     sync.Mutex
	tables map[int32]*container // by value offset, built on first visit

	// re, when set, is a mapped YAML file that positions stream again
	// instead of keeping its conversion (lean_restream.go).
	re *restreamSource
	// mapped says data is a file mapping whose pages positions release
	// as they go (see locator.positions).
	mapped bool
}

// posMark records where a JSON key or array item came from in the YAML.
type posMark struct {
	off       int32
	line, col int32
}

// member is an object member or array item: where its key (or, for items,
// the item itself) starts and where its value starts.
type member struct{ key, value int32 }

type container struct {
	keys  map[string]member // objects
	items []member          // arrays
}

func newLocator(name string, data []byte) *locator {
	return &locator{name: name, data: data}
}

// newConvertedLocator reuses a YAML file's JSON conversion made at load time.
func newConvertedLocator(name string, data, text []byte, marks []posMark) *locator {
	l := &locator{name: name, data: data}
	l.once.Do(func() { l.text, l.marks = text, marks; l.root = l.findRoot() })
	return l
}

func (l *locator) prepare() {
	l.root = -1
	if l.re != nil {
		l.prepareRestream()
		return
	}
	if looksJSON(l.data) {
		l.text, l.lines = l.data, lineStarts(l.data)
		l.root = l.findRoot()
		return
	}
	text, marks, err := yamlToJSONMarked(l.data)
	if err != nil || len(text) > 1<<31-1 {
		return
	}
	l.text, l.marks = text, marks
	l.root = l.findRoot()
}

func (l *locator) findRoot() int {
	i := 0
	if bytes.HasPrefix(l.text, []byte("\ufeff")) {
		i = 3 // a byte-order mark is not JSON whitespace but editors write one
	}
	i = skipSpace(l.text, i)
	if i >= len(l.text) {
		return -1
	}
	return i
}

// Pos returns the position of pointer, or of its nearest ancestor that exists.
func (l *locator) Pos(pointer string) Position {
	key, _ := l.find(pointer)
	if key < 0 {
		return Position{File: l.name}
	}
	return l.position(key)
}

// Has reports whether pointer names an element in the file.
func (l *locator) Has(pointer string) bool {
	_, ok := l.find(pointer)
	return ok
}

// find walks pointer and returns the offset of the deepest element reached
// (its key, for an object member) and whether the whole pointer resolved.
func (l *locator) find(pointer string) (int, bool) {
	l.once.Do(l.prepare)
	if l.root < 0 {
		return -1, false
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	at, key := int32(l.root), int32(l.root)
	if pointer == "" {
		return int(key), true
	}
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		c := l.table(at)
		if c == nil {
			return int(key), false
		}
		var m member
		var ok bool
		if c.keys != nil {
			m, ok = c.keys[unescapePointerToken(tok)]
		} else if n, err := strconv.Atoi(tok); err == nil && n >= 0 && n < len(c.items) {
			m, ok = c.items[n], true
		}
		if !ok {
			return int(key), false
		}
		key, at = m.key, m.value
	}
	return int(key), true
}

// table returns the children of the container value at off, or nil when the
// value is a scalar or malformed. The text was parsed successfully elsewhere,
// so scanning is lenient: anything unexpected ends the table.
func (l *locator) table(off int32) *container {
	if c, ok := l.tables[off]; ok {
		return c
	}
	if l.tables == nil {
		l.tables = map[int32]*container{}
	}
	t := l.text
	i := int(off)
	var c *container
	switch {
	case i < len(t) && t[i] == '{':
		c = &container{keys: map[string]member{}}
		i++
		for {
			i = skipSpace(t, i)
			if i >= len(t) || t[i] == '}' {
				break
			}
			if t[i] == ',' {
				i++
				continue
			}
			keyAt := i
			k, next, ok := readString(t, i)
			if !ok {
				break
			}
			i = skipSpace(t, next)
			if i >= len(t) || t[i] != ':' {
				break
			}
			i = skipSpace(t, i+1)
			c.keys[k] = member{key: int32(keyAt), value: int32(i)}
			if i = skipValue(t, i); i < 0 {
				break
			}
		}
	case i < len(t) && t[i] == '[':
		c = &container{}
		i++
		for {
			i = skipSpace(t, i)
			if i >= len(t) || t[i] == ']' {
				break
			}
			if t[i] == ',' {
				i++
				continue
			}
			c.items = append(c.items, member{key: int32(i), value: int32(i)})
			if i = skipValue(t, i); i < 0 {
				break
			}
		}
	}
	l.tables[off] = c
	return c
}

// position converts an offset in text to a position in the file as read.
func (l *locator) position(off int) Position {
	if l.marks != nil {
		i := sort.Search(len(l.marks), func(i int) bool { return int(l.marks[i].off) > off }) - 1
		if i < 0 {
			return Position{File: l.name}
		}
		return Position{File: l.name, Line: int(l.marks[i].line), Col: int(l.marks[i].col)}
	}
	return offsetPosition(l.name, l.data, l.lines, off)
}

// offsetPosition turns a byte offset into a line and a column counted in
// characters. lines may be nil; it is then computed.
func offsetPosition(name string, data []byte, lines []int32, off int) Position {
	if lines == nil {
		lines = lineStarts(data)
	}
	off = min(max(off, 0), len(data))
	line := sort.Search(len(lines), func(i int) bool { return int(lines[i]) > off })
	start := 0
	if line > 0 {
		start = int(lines[line-1])
	}
	return Position{File: name, Line: line, Col: utf8.RuneCount(data[start:off]) + 1}
}

func lineStarts(data []byte) []int32 {
	lines := make([]int32, 1, bytes.Count(data, []byte{'\n'})+1)
	for i, b := range data {
		if b == '\n' {
			lines = append(lines, int32(i+1))
		}
	}
	return lines
}

func skipSpace(t []byte, i int) int {
	for i < len(t) {
		switch t[i] {
		case ' ', '\t', '\r', '\n':
			i++
		default:
			return i
		}
	}
	return i
}

// skipValue returns the offset just past the JSON value at i, or -1. It
// counts brackets instead of recursing, so nesting depth costs nothing.
func skipValue(t []byte, i int) int {
	depth := 0
	for i < len(t) {
		switch t[i] {
		case '"':
			_, next, ok := readString(t, i)
			if !ok {
				return -1
			}
			i = next
			if depth == 0 {
				return i
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				return i // the end of a scalar that closes its container
			}
			if depth--; depth == 0 {
				return i + 1
			}
		case ',', ' ', '\t', '\r', '\n':
			if depth == 0 {
				return i
			}
		}
		i++
	}
	return -1
}

// readString reads the JSON string at i and returns its decoded value and
// the offset just past it.
func readString(t []byte, i int) (string, int, bool) {
	if i >= len(t) || t[i] != '"' {
		return "", i, false
	}
	escaped := false
	for j := i + 1; j < len(t); j++ {
		switch t[j] {
		case '\\':
			escaped = true
			j++
		case '"':
			if !escaped {
				return string(t[i+1 : j]), j + 1, true
			}
			v, err := strconv.Unquote(string(t[i : j+1]))
			if err != nil {
				return string(t[i+1 : j]), j + 1, true
			}
			return v, j + 1, true
		}
	}
	return "", i, false
}

// escapePointerToken escapes one reference token per RFC 6901.
func escapePointerToken(s string) string {
	if strings.IndexByte(s, '~') < 0 && strings.IndexByte(s, '/') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// unescapePointerToken reverses escapePointerToken.
func unescapePointerToken(s string) string {
	if strings.IndexByte(s, '~') < 0 {
		return s
	}
	return strings.ReplaceAll(strings.ReplaceAll(s, "~1", "/"), "~0", "~")
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

// looksJSON reports whether data starts like a JSON document. YAML is a
// superset of JSON, but JSON is walked directly.
func looksJSON(data []byte) bool {
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	return len(t) > 0 && (t[0] == '{' || t[0] == '[')
}
