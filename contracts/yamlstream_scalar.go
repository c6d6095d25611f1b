package contracts

import (
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// plain reads a plain scalar in block context, folding continuation lines
// (indented deeper than n) as libyaml does, and returns the indentation of
// the next content line.
func (s *yamlStreamer) plain(n int) int {
	b, comment := s.plainLine(s.tmp[:0])
	for {
		// s.i is before a comment, at a break or at the end; trailing
		// spaces were not copied.
		if comment || s.i >= len(s.data) {
			return s.endScalar(b)
		}
		// Look ahead over blank lines to the next line with content.
		save, saveLine, saveLS := s.i, s.line, s.ls
		breaks := 0
		s.newline()
		for {
			j := s.i
			for j < len(s.data) && s.data[j] == ' ' {
				j++
			}
			if j < len(s.data) && s.data[j] == '\n' {
				breaks++
				s.i = j
				s.newline()
				continue
			}
			s.i = j
			break
		}
		if s.i >= len(s.data) || s.i-s.ls <= n || s.data[s.i] == '#' {
			// The scalar ended on the line before; what follows is
			// read by the caller (a comment line, a key, the end).
			s.i, s.line, s.ls = save, saveLine, saveLS
			return s.endScalar(b)
		}
		if breaks == 0 {
			b = append(b, ' ')
		}
		for ; breaks > 0; breaks-- {
			b = append(b, '\n')
		}
		b, comment = s.plainLine(b)
	}
}

func (s *yamlStreamer) endScalar(b []byte) int {
	s.tmp = b
	if s.loc == nil {
		s.scalar(string(b), 0)
	}
	s.endLine()
	return s.nextContent()
}

// plainLine copies a plain scalar's text on the current line from s.i to
// before a comment or the break, without trailing spaces, and says whether
// a comment follows. ": " would make the text a key, which the tree path
// refuses in a value: that bails.
func (s *yamlStreamer) plainLine(b []byte) ([]byte, bool) {
	start, end := s.i, s.i
	for ; !s.eol(s.i); s.i++ {
		switch s.data[s.i] {
		case ' ':
			if s.at(s.i+1) == '#' {
				return append(b, s.data[start:end]...), true
			}
			continue
		case ':':
			if s.blankz(s.i + 1) {
				s.bail()
			}
		}
		end = s.i + 1
	}
	return append(b, s.data[start:end]...), false
}

// blockScalar reads a literal (|) or folded (>) scalar whose header is at
// s.i, inside a block at indentation n, following libyaml's
// scan_block_scalar; the explicit indentation indicator bails.
func (s *yamlStreamer) blockScalar(n int) int {
	if n < 0 {
		s.bail()
	}
	folded := s.data[s.i] == '>'
	s.i++
	chomp := 0
	switch s.at(s.i) {
	case '-':
		chomp = -1
		s.i++
	case '+':
		chomp = 1
		s.i++
	}
	if c := s.at(s.i); c >= '0' && c <= '9' {
		s.bail()
	}
	if !s.blankz(s.i) {
		s.bail()
	}
	s.endLine()

	b := s.tmp[:0]
	var leadingBreak, trailing []byte
	// The indentation: the deepest of the leading blank lines and the
	// first content line, at least one more than the enclosing block.
	indent, maxIndent := 0, 0
	breaks := func() {
		for {
			for (indent == 0 || s.i-s.ls < indent) && s.at(s.i) == ' ' {
				s.i++
			}
			if s.i-s.ls > maxIndent {
				maxIndent = s.i - s.ls
			}
			if s.i >= len(s.data) || s.data[s.i] != '\n' {
				return
			}
			trailing = append(trailing, '\n')
			s.newline()
		}
	}
	breaks()
	indent = max(maxIndent, n+1, 1)
	if c := s.i - s.ls; s.i < len(s.data) && c != indent && c > n {
		s.bail() // text neither in the scalar nor clearly after it
	}
	leadingBlank := false
	for s.i-s.ls == indent && s.i < len(s.data) {
		trailingBlank := s.data[s.i] == ' '
		if folded && len(leadingBreak) > 0 && leadingBreak[0] == '\n' && !leadingBlank && !trailingBlank {
			if len(trailing) == 0 {
				b = append(b, ' ')
			}
			leadingBreak = leadingBreak[:0]
		} else {
			b = append(b, leadingBreak...)
			leadingBreak = leadingBreak[:0]
		}
		b = append(b, trailing...)
		trailing = trailing[:0]
		leadingBlank = s.data[s.i] == ' '
		start := s.i
		for !s.eol(s.i) {
			s.i++
		}
		b = append(b, s.data[start:s.i]...)
		if s.i >= len(s.data) {
			break
		}
		leadingBreak = append(leadingBreak, '\n')
		s.newline()
		breaks()
	}
	if chomp != -1 {
		b = append(b, leadingBreak...)
	}
	if chomp == 1 {
		b = append(b, trailing...)
	}
	s.tmp = b
	style := yaml.LiteralStyle
	if folded {
		style = yaml.FoldedStyle
	}
	if s.loc == nil {
		s.scalar(string(b), style)
	}
	// s.i is on the line that ended the scalar (less indented), past some
	// of its spaces, or at the end.
	if s.i >= len(s.data) {
		return -1
	}
	s.i = s.ls
	return s.nextContent()
}

// flow reads a flow collection that ends on the line it starts.
func (s *yamlStreamer) flow() {
	s.enter()
	defer func() { s.depth-- }()
	open := s.data[s.i]
	s.i++
	if open == '[' {
		s.w.buf.WriteByte('[')
	} else {
		s.w.buf.WriteByte('{')
	}
	base := len(s.keys)
	closer := byte(']')
	if open == '{' {
		closer = '}'
	}
	s.flowSpace()
	if s.at(s.i) == closer {
		s.i++
		s.w.buf.WriteByte(closer)
		return
	}
	var parent []*locNode
	if s.loc != nil {
		parent = s.loc.cur
		defer func() { s.loc.cur = parent }()
	}
	for item, first := 0, true; ; item, first = item+1, false {
		if !first {
			s.w.buf.WriteByte(',')
		}
		s.mark(s.i)
		if open == '[' {
			s.itemMark(parent, item)
			s.flowNode()
		} else {
			start := s.w.buf.Len()
			switch s.at(s.i) {
			case '\'':
				s.w.str(s.singleQuoted())
			case '"':
				s.w.str(s.doubleQuoted())
			default:
				s.w.str(s.flowPlainText())
			}
			key := s.w.buf.Bytes()[start:]
			if s.loc != nil {
				s.loc.cur = s.loc.key(parent, key)
			} else {
				for _, o := range s.keys[base:] {
					if string(s.w.buf.Bytes()[o.start:o.end]) == string(key) {
						s.bail()
					}
				}
				s.keys = append(s.keys, span{int32(start), int32(s.w.buf.Len())})
			}
			s.flowSpace()
			if s.at(s.i) != ':' || !s.blankz(s.i+1) {
				s.bail()
			}
			s.i++
			s.w.buf.WriteByte(':')
			s.flowSpace()
			s.flowNode()
		}
		s.flowSpace()
		switch s.at(s.i) {
		case ',':
			s.i++
			s.flowSpace()
			if c := s.at(s.i); c == ']' || c == '}' {
				s.bail() // a trailing comma
			}
			continue
		case closer:
			s.i++
			s.keys = s.keys[:base]
			s.w.buf.WriteByte(closer)
			return
		}
		s.bail()
	}
}

func (s *yamlStreamer) flowSpace() {
	for s.at(s.i) == ' ' {
		s.i++
	}
	if s.eol(s.i) || s.data[s.i] == '#' {
		s.bail() // flow text over several lines, or comments in it
	}
}

func (s *yamlStreamer) flowNode() {
	switch s.at(s.i) {
	case '[', '{':
		s.flow()
	case '\'':
		s.scalar(s.singleQuoted(), yaml.SingleQuotedStyle)
	case '"':
		s.scalar(s.doubleQuoted(), yaml.DoubleQuotedStyle)
	default:
		s.scalar(s.flowPlainText(), 0)
	}
}

// flowPlainText reads a plain scalar inside a flow collection; ':' and '?'
// (whose meaning there differs between YAML versions) bail.
func (s *yamlStreamer) flowPlainText() string {
	if !s.plainStart(s.i) {
		s.bail()
	}
	start, end := s.i, s.i
	for ; !s.eol(s.i); s.i++ {
		switch s.data[s.i] {
		case ' ':
			if s.at(s.i+1) == '#' {
				s.bail()
			}
			continue
		case ',', '[', ']', '{', '}':
			return string(s.data[start:end])
		case ':', '?':
			if s.blankz(s.i+1) && s.i > start {
				return string(s.data[start:end])
			}
			s.bail()
		}
		end = s.i + 1
	}
	s.bail()
	return ""
}

// scalar writes a scalar as the tree path does, resolving plain ones
// through yaml.v3.
func (s *yamlStreamer) scalar(v string, style yaml.Style) {
	if s.loc != nil {
		return // a locator reads no values
	}
	s.sc = yaml.Node{Kind: yaml.ScalarNode, Value: v, Style: style}
	s.w.scalar(&s.sc)
}

func (s *yamlStreamer) singleQuoted() string {
	b := s.tmp[:0]
	for s.i++; ; s.i++ {
		if s.eol(s.i) {
			s.bail() // multi-line quoted text folds: the tree path reads it
		}
		c := s.data[s.i]
		if c == '\'' {
			if s.at(s.i+1) != '\'' {
				s.i++
				break
			}
			s.i++
		}
		b = append(b, c)
	}
	s.tmp = b
	return string(b)
}

func (s *yamlStreamer) doubleQuoted() string {
	b := s.tmp[:0]
	for s.i++; ; {
		if s.eol(s.i) {
			s.bail()
		}
		c := s.data[s.i]
		switch c {
		case '"':
			s.i++
			s.tmp = b
			return string(b)
		case '\\':
			s.i++
			e := s.at(s.i)
			s.i++
			switch e {
			case '0':
				b = append(b, 0)
			case 'a':
				b = append(b, '\a')
			case 'b':
				b = append(b, '\b')
			case 't':
				b = append(b, '\t')
			case 'n':
				b = append(b, '\n')
			case 'v':
				b = append(b, '\v')
			case 'f':
				b = append(b, '\f')
			case 'r':
				b = append(b, '\r')
			case 'e':
				b = append(b, 0x1b)
			case ' ', '"', '/', '\\':
				b = append(b, e)
			case 'N':
				b = utf8.AppendRune(b, 0x85)
			case '_':
				b = utf8.AppendRune(b, 0xa0)
			case 'L':
				b = utf8.AppendRune(b, 0x2028)
			case 'P':
				b = utf8.AppendRune(b, 0x2029)
			case 'x':
				b = utf8.AppendRune(b, s.hex(2))
			case 'u':
				b = utf8.AppendRune(b, s.hex(4))
			case 'U':
				b = utf8.AppendRune(b, s.hex(8))
			default:
				s.bail()
			}
		default:
			b = append(b, c)
			s.i++
		}
	}
}

func (s *yamlStreamer) hex(n int) rune {
	var r rune
	for k := 0; k < n; k++ {
		c := s.at(s.i)
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			s.bail()
		}
		s.i++
	}
	if (r >= 0xd800 && r <= 0xdfff) || r > 0x10ffff {
		s.bail()
	}
	return r
}
