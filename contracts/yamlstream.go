package contracts

import (
	"bytes"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// yamlStream converts the YAML that real contracts are written in straight
// to JSON and position marks, without yaml.v3's node tree: on Stripe's 4 MB
// contracts the tree is ~100 MB of short-lived nodes, the peak of a compat
// run. It reads block mappings and sequences, plain, quoted and block
// scalars, single-line flow collections and comments. Anything else
// (anchors, aliases, tags, merge keys, duplicate keys, multi-line quoted or
// flow text, directives, several documents, tabs, CR line ends, unusual
// characters) returns ok=false and yaml.v3 converts the file instead, so a
// result is only ever the tree path's result: the same bytes and the same
// marks (TestYAMLStreamMatchesTree and FuzzYAMLStream hold it to that).
// Scalars are resolved by yaml.v3 itself (a plain scalar's tag is
// yaml.Node.ShortTag's), so only the structure is read here.
func yamlStream(data []byte) (text []byte, marks []posMark, ok bool) {
	text, marks, _, ok = yamlStreamWith(data, streamOptions{})
	return text, marks, ok
}

// streamOptions are what the mapped read path (see lean_restream.go) asks
// of the streamer beyond yamlStream's conversion.
type streamOptions struct {
	// noMarks: the marks are not wanted (positions will stream the file
	// again), which spares their table.
	noMarks bool
	// mapped: data is a file mapping; its pages are released behind the
	// streamer, and their checksum is returned.
	mapped bool
	// loc, when set, makes the streamer a locator: it keeps no JSON text
	// and no marks, and records the positions loc asks for instead.
	loc *streamLocator
}

// yamlStreamWith is yamlStream with options; sum is the CRC-32C of data
// when o.mapped.
func yamlStreamWith(data []byte, o streamOptions) (text []byte, marks []posMark, sum uint32, ok bool) {
	if !streamable(data, o.mapped) {
		return nil, nil, 0, false
	}
	s := &yamlStreamer{data: data, line: 1, noMarks: o.noMarks || o.loc != nil, mapped: o.mapped, loc: o.loc}
	s.w.budget = 1 << 62
	if s.loc == nil {
		// Block YAML's JSON is about two thirds of its size (indentation and
		// line breaks go, quotes and commas come).
		s.w.buf.Grow(len(data)*2/3 + 512)
	}
	if !s.noMarks {
		s.w.marks = make([]posMark, 0, bytes.Count(data, []byte{'\n'})+1)
	}
	defer func() {
		if r := recover(); r != nil {
			if _, is := r.(streamBail); !is {
				panic(r)
			}
			text, marks, sum, ok = nil, nil, 0, false
		}
	}()
	s.document()
	if s.mapped {
		s.releaseTo(len(data))
	}
	if s.loc != nil {
		return nil, nil, s.sum, true
	}
	// The buffers are kept for positions as long as the document lives:
	// one much larger than what it holds is copied to size.
	return trimmed(s.w.buf.Bytes()), trimmed(s.w.marks), s.sum, true
}

func trimmed[T any](b []T) []T {
	if cap(b)-len(b) <= len(b)/8 {
		return b
	}
	return append(make([]T, 0, len(b)), b...)
}

// streamable rejects, up front, the characters the streamer does not
// model: tabs (YAML's indentation rules for them), CR and the Unicode line
// breaks (line counting), byte order marks, control characters that YAML
// refuses, invalid UTF-8, and directives or document markers. mapped
// releases data's pages behind the scan.
func streamable(data []byte, mapped bool) bool {
	released := 0
	if mapped {
		defer func() { releasePages(data[released:]) }()
	}
	for i := 0; i < len(data); {
		c := data[i]
		switch {
		case c == '\n':
			if mapped && i-released > 2*streamReleaseStep {
				upTo := (i - streamReleaseStep) &^ (pageSize - 1)
				releasePages(data[released:upTo])
				released = upTo
			}
			if i+1 < len(data) && (data[i+1] == '-' || data[i+1] == '.' || data[i+1] == '%') {
				if bytes.HasPrefix(data[i+1:], []byte("---")) || bytes.HasPrefix(data[i+1:], []byte("...")) || data[i+1] == '%' {
					return false
				}
			}
			i++
		case c < 0x20 || c == 0x7f:
			return false
		case c < 0x80:
			i++
		default:
			r, n := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError || (r >= 0x80 && r <= 0x9f) || r == 0x2028 || r == 0x2029 || r == 0xfeff || r == 0xfffe || r == 0xffff {
				return false
			}
			i += n
		}
	}
	return !bytes.HasPrefix(data, []byte("---")) && !bytes.HasPrefix(data, []byte("...")) && !bytes.HasPrefix(data, []byte("%"))
}

type streamBail struct{}

// maxStreamDepth keeps the streamer well inside yaml.v3's and the tree
// path's nesting limits; deeper documents take the tree path.
const maxStreamDepth = 200

type yamlStreamer struct {
	data  []byte
	i     int // read offset
	line  int // 1-based line of i
	ls    int // offset where the line of i starts
	depth int
	w     jsonWriter
	// keys holds, for each open mapping, the spans of its keys in the
	// output (JSON text is equal exactly when the decoded keys are).
	keys []span
	// sc is the node scalars are resolved through.
	sc  yaml.Node
	tmp []byte
	// noMarks, mapped and loc are streamOptions'; released is how far the
	// mapping's pages are released, sum their checksum so far.
	noMarks  bool
	mapped   bool
	loc      *streamLocator
	released int
	sum      uint32
}

type span struct{ start, end int32 }

func (s *yamlStreamer) bail() { panic(streamBail{}) }

func (s *yamlStreamer) at(i int) byte {
	if i < len(s.data) {
		return s.data[i]
	}
	return 0
}

// eol says whether i is at a line break or the end.
func (s *yamlStreamer) eol(i int) bool { return i >= len(s.data) || s.data[i] == '\n' }

// blankz: a space, a line break or the end.
func (s *yamlStreamer) blankz(i int) bool { return s.eol(i) || s.data[i] == ' ' }

// mark records that what is written next came from offset i of the current line.
func (s *yamlStreamer) mark(i int) {
	col := 1
	if seg := s.data[s.ls:i]; isASCII(seg) {
		col += len(seg)
	} else {
		col += utf8.RuneCount(seg)
	}
	switch {
	case s.loc != nil:
		// What was written since the last mark is read no more: the
		// locator's text is only ever the current key and scalar.
		s.loc.line, s.loc.col = int32(s.line), int32(col)
		s.w.buf.Reset()
	case !s.noMarks:
		s.w.marks = append(s.w.marks, posMark{off: int32(s.w.buf.Len()), line: int32(s.line), col: int32(col)})
	}
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

func (s *yamlStreamer) enter() {
	if s.depth++; s.depth > maxStreamDepth {
		s.bail()
	}
}

// endLine finishes the current line: spaces, a comment after a space, then
// the break (consumed) or the end.
func (s *yamlStreamer) endLine() {
	start := s.i
	for s.i < len(s.data) && s.data[s.i] == ' ' {
		s.i++
	}
	if s.i < len(s.data) && s.data[s.i] == '#' {
		if s.i == start && s.i != s.ls {
			s.bail() // "x#y" is not a comment
		}
		for !s.eol(s.i) {
			s.i++
		}
	}
	if s.i < len(s.data) {
		if s.data[s.i] != '\n' {
			s.bail()
		}
		s.newline()
	}
}

func (s *yamlStreamer) newline() {
	s.i++
	s.line++
	s.ls = s.i
	if s.mapped && s.i-s.released > 2*streamReleaseStep {
		s.releaseTo(s.i - streamReleaseStep)
	}
}

// nextContent moves from the start of a line to the next line holding
// content, past blank and comment lines, and returns its indentation, or -1
// at the end; s.i is then at the content.
func (s *yamlStreamer) nextContent() int {
	for {
		j := s.i
		for j < len(s.data) && s.data[j] == ' ' {
			j++
		}
		if j >= len(s.data) {
			s.i = j
			return -1
		}
		switch s.data[j] {
		case '\n':
			s.i = j
			s.newline()
			continue
		case '#':
			s.i = j
			for !s.eol(s.i) {
				s.i++
			}
			if s.i < len(s.data) {
				s.newline()
			}
			continue
		}
		s.i = j
		return j - s.ls
	}
}

func (s *yamlStreamer) document() {
	m := s.nextContent()
	if m < 0 {
		s.bail() // empty documents: the tree path's "null"
	}
	s.mark(s.i)
	if s.loc != nil {
		s.loc.enterRoot()
	}
	switch {
	case s.seqEntry():
		m = s.blockSeq(m)
	case s.keyLine():
		m = s.blockMap(m)
	default:
		s.bail()
	}
	if m != -1 {
		s.bail()
	}
}

// seqEntry: a block sequence entry ("- " or "-" at the end of the line).
func (s *yamlStreamer) seqEntry() bool {
	return s.at(s.i) == '-' && s.blankz(s.i+1)
}

// keyLine says whether an implicit mapping key starts at s.i.
func (s *yamlStreamer) keyLine() bool {
	j := s.i
	switch c := s.at(j); c {
	case '\'', '"':
		end, ok := s.quotedEnd(j)
		if !ok {
			return false
		}
		for end < len(s.data) && s.data[end] == ' ' {
			end++
		}
		return s.at(end) == ':' && s.blankz(end+1)
	}
	if !s.plainStart(j) {
		return false
	}
	for ; !s.eol(j); j++ {
		switch s.data[j] {
		case ':':
			if s.blankz(j + 1) {
				return true
			}
		case '#':
			if s.data[j-1] == ' ' {
				return false
			}
		}
	}
	return false
}

// quotedEnd finds the end (after the closing quote) of a quoted scalar on
// the current line.
func (s *yamlStreamer) quotedEnd(j int) (int, bool) {
	q := s.data[j]
	for j++; !s.eol(j); j++ {
		switch c := s.data[j]; {
		case c == '\\' && q == '"':
			j++
			if s.eol(j) {
				return 0, false
			}
		case c == q:
			if q == '\'' && s.at(j+1) == '\'' {
				j++
				continue
			}
			return j + 1, true
		}
	}
	return 0, false
}

// plainStart: a plain scalar may start at j (block context). The
// indicators that may start one when followed by a non-space ("-1", "?x",
// ":x") are refused but for '-', as the tree path handles them fine.
func (s *yamlStreamer) plainStart(j int) bool {
	switch s.at(j) {
	case 0, ' ', '\n', '?', ':', ',', '[', ']', '{', '}', '#', '&', '*', '!', '|', '>', '\'', '"', '%', '@', '`':
		return false
	case '-':
		return !s.blankz(j + 1)
	}
	return true
}

// blockMap reads a block mapping whose keys are at indentation n, from its
// first key; it returns the indentation of the line after it (-1 at the end).
func (s *yamlStreamer) blockMap(n int) int {
	s.enter()
	s.w.buf.WriteByte('{')
	base := len(s.keys)
	var index map[string]struct{}
	m := n
	for first := true; m == n; first = false {
		if !first {
			s.w.buf.WriteByte(',')
		}
		if s.seqEntry() || !s.keyLine() {
			s.bail()
		}
		s.mark(s.i)
		start := s.w.buf.Len()
		s.w.str(s.key())
		sp := span{int32(start), int32(s.w.buf.Len())}
		key := s.w.buf.Bytes()[start:]
		if s.loc != nil {
			// The file is the one that streamed before (its checksum says
			// so): no duplicate keys to look for.
			s.w.buf.WriteByte(':')
			s.i++
			parent := s.loc.cur
			s.loc.cur = s.loc.key(parent, key)
			m = s.value(n)
			s.loc.cur = parent
			continue
		}
		if index != nil {
			if _, dup := index[string(key)]; dup {
				s.bail()
			}
			index[string(key)] = struct{}{}
		} else {
			for _, o := range s.keys[base:] {
				if bytes.Equal(s.w.buf.Bytes()[o.start:o.end], key) {
					s.bail() // the tree path keeps the last value at the first place
				}
			}
			if len(s.keys)-base >= 32 {
				index = make(map[string]struct{}, 64)
				for _, o := range s.keys[base:] {
					index[string(s.w.buf.Bytes()[o.start:o.end])] = struct{}{}
				}
				index[string(key)] = struct{}{}
			}
		}
		s.keys = append(s.keys, sp)
		s.w.buf.WriteByte(':')
		// s.i is at the ':' (keyLine checked a blank follows).
		s.i++
		m = s.value(n)
	}
	if m > n {
		s.bail()
	}
	s.keys = s.keys[:base]
	s.w.buf.WriteByte('}')
	s.depth--
	return m
}

// key reads an implicit key up to its ':' (left at s.i).
func (s *yamlStreamer) key() string {
	var k string
	switch s.data[s.i] {
	case '\'':
		k = s.singleQuoted()
	case '"':
		k = s.doubleQuoted()
	default:
		j := s.i
		for !(s.data[j] == ':' && s.blankz(j+1)) {
			j++
		}
		end := j
		for end > s.i && s.data[end-1] == ' ' {
			end--
		}
		k = string(s.data[s.i:end])
		if k == "<<" {
			s.bail() // a merge key
		}
		s.i = j
	}
	for s.at(s.i) == ' ' {
		s.i++
	}
	if s.at(s.i) != ':' || len(k) > 1000 {
		s.bail() // libyaml's implicit keys stop at 1024 characters
	}
	return k
}

// value reads a mapping value after its ':'; n is the mapping's indentation.
func (s *yamlStreamer) value(n int) int {
	for s.at(s.i) == ' ' {
		s.i++
	}
	if s.eol(s.i) || (s.data[s.i] == '#' && s.data[s.i-1] == ' ') {
		s.endLine()
		m := s.nextContent()
		switch {
		case m > n:
			return s.nodeOnLine(m, n)
		case m == n && s.seqEntry():
			return s.blockSeq(m)
		}
		s.w.buf.WriteString("null")
		return m
	}
	if s.data[s.i] == '#' {
		s.bail()
	}
	return s.inline(n)
}

// nodeOnLine reads a node that starts a line, at indentation m, inside a
// block at indentation n.
func (s *yamlStreamer) nodeOnLine(m, n int) int {
	switch {
	case s.seqEntry():
		return s.blockSeq(m)
	case s.keyLine():
		return s.blockMap(m)
	case s.at(s.i) == '|' || s.at(s.i) == '>':
		s.bail()
	}
	return s.inline(n)
}

// inline reads a node that starts after a key or a sequence entry
// indicator on the current line; n is the enclosing block's indentation.
func (s *yamlStreamer) inline(n int) int {
	switch c := s.data[s.i]; c {
	case '|', '>':
		return s.blockScalar(n)
	case '\'', '"':
		var v string
		if c == '\'' {
			v = s.singleQuoted()
		} else {
			v = s.doubleQuoted()
		}
		s.scalar(v, yaml.SingleQuotedStyle)
	case '[', '{':
		s.flow()
	default:
		if !s.plainStart(s.i) {
			s.bail()
		}
		return s.plain(n)
	}
	s.endLine()
	return s.nextContent()
}

// blockSeq reads a block sequence whose entries are at indentation n.
func (s *yamlStreamer) blockSeq(n int) int {
	s.enter()
	s.w.buf.WriteByte('[')
	m := n
	var parent []*locNode
	if s.loc != nil {
		parent = s.loc.cur
		defer func() { s.loc.cur = parent }()
	}
	for item, first := 0, true; m == n; item, first = item+1, false {
		if !s.seqEntry() {
			break // a mapping key at n: the sequence was a compact mapping value
		}
		if !first {
			s.w.buf.WriteByte(',')
		}
		s.i++
		for s.at(s.i) == ' ' {
			s.i++
		}
		if s.eol(s.i) || (s.data[s.i] == '#' && s.data[s.i-1] == ' ') {
			s.endLine()
			if m = s.nextContent(); m <= n {
				s.bail() // an empty entry
			}
			s.mark(s.i)
			s.itemMark(parent, item)
			m = s.nodeOnLine(m, n)
			continue
		}
		s.mark(s.i)
		s.itemMark(parent, item)
		c := s.i - s.ls
		switch {
		case s.seqEntry():
			m = s.blockSeq(c)
		case s.keyLine():
			m = s.blockMap(c)
		default:
			m = s.inline(n)
		}
	}
	if m > n {
		s.bail()
	}
	s.w.buf.WriteByte(']')
	s.depth--
	return m
}
