package contracts

import (
	"bytes"
	"errors"
	"fmt"
	"math"
	"regexp"
	"strconv"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// errExpansion reports YAML whose aliases expand far beyond the file's size.
var errExpansion = errors.New("YAML aliases expand to far more data than the file holds")

// yamlToJSON re-encodes a YAML document as JSON for kin-openapi. Handing it
// JSON takes its fast path: its own YAML path converts through a generic tree
// and costs about a third more time and memory on large contracts such as
// Stripe's. Merge keys and aliases are expanded (within a budget, so an alias
// bomb fails instead of exhausting memory), mapping order is kept, and
// numbers keep their exact text where JSON allows it.
func yamlToJSON(data []byte) ([]byte, error) {
	text, _, err := yamlToJSONMarked(data)
	return text, err
}

// yamlToJSONMarked also returns, for the root, every key and every sequence
// item, where it was in the YAML: the locator maps JSON offsets back to YAML
// lines through these marks instead of parsing the YAML again. The streaming
// reader takes the files it can read (see yamlStream); yaml.v3's tree the rest.
func yamlToJSONMarked(data []byte) ([]byte, []posMark, error) {
	if text, marks, ok := yamlStream(data); ok {
		return text, marks, nil
	}
	return yamlToJSONTree(data)
}

// yamlToJSONTree converts through yaml.v3's node tree: any YAML, at the
// cost of the tree.
func yamlToJSONTree(data []byte) ([]byte, []posMark, error) {
	var root yaml.Node
	if err := yaml.Unmarshal(data, &root); err != nil {
		return nil, nil, err
	}
	if len(root.Content) == 0 {
		return []byte("null"), nil, nil
	}
	nodes := countNodes(&root, 0)
	w := jsonWriter{budget: 16*nodes + 1<<20, marks: make([]posMark, 0, nodes/2+1)}
	w.buf.Grow(len(data) + len(data)/4)
	w.mark(root.Content[0])
	if err := w.node(root.Content[0], 0); err != nil {
		return nil, nil, err
	}
	return w.buf.Bytes(), w.marks, nil
}

type jsonWriter struct {
	buf    bytes.Buffer
	budget int
	marks  []posMark
}

// mark records that what is written next came from n.
func (w *jsonWriter) mark(n *yaml.Node) {
	w.marks = append(w.marks, posMark{off: int32(w.buf.Len()), line: int32(n.Line), col: int32(n.Column)})
}

func (w *jsonWriter) node(n *yaml.Node, depth int) error {
	n = unalias(n)
	if n == nil {
		w.buf.WriteString("null")
		return nil
	}
	if w.budget--; w.budget < 0 {
		return errExpansion
	}
	if depth > maxValueDepth {
		return fmt.Errorf("YAML nested deeper than %d levels at line %d", maxValueDepth, n.Line)
	}
	switch n.Kind {
	case yaml.MappingNode:
		m := &mappingIndex{index: map[string]int{}}
		collectPairs(m, n, 0, true)
		w.buf.WriteByte('{')
		for i, kv := range m.pairs {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			w.mark(kv.k)
			w.str(kv.k.Value)
			w.buf.WriteByte(':')
			if err := w.node(kv.v, depth+1); err != nil {
				return err
			}
		}
		w.buf.WriteByte('}')
	case yaml.SequenceNode:
		w.buf.WriteByte('[')
		for i, item := range n.Content {
			if i > 0 {
				w.buf.WriteByte(',')
			}
			w.mark(item)
			if err := w.node(item, depth+1); err != nil {
				return err
			}
		}
		w.buf.WriteByte(']')
	case yaml.ScalarNode:
		w.scalar(n)
	default:
		w.buf.WriteString("null")
	}
	return nil
}

// jsonNumber is the JSON number grammar: YAML numbers written this way are
// copied verbatim, so a 64-bit integer keeps every digit.
var jsonNumber = regexp.MustCompile(`^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)

func (w *jsonWriter) scalar(n *yaml.Node) {
	switch tag := n.ShortTag(); {
	case (tag == "!!int" || tag == "!!float") && jsonNumber.MatchString(n.Value):
		w.buf.WriteString(n.Value)
		return
	case tag == "!!str":
		w.str(n.Value)
		return
	}
	switch v := scalarValue(n).(type) {
	case nil:
		w.buf.WriteString("null")
	case bool:
		w.buf.WriteString(strconv.FormatBool(v))
	case float64:
		if math.IsInf(v, 0) || math.IsNaN(v) {
			w.str(n.Value)
			return
		}
		w.buf.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	default:
		w.str(n.Value)
	}
}

func (w *jsonWriter) str(s string) {
	w.buf.Write(appendJSONString(w.buf.AvailableBuffer(), s))
}

// appendJSONString appends s as encoding/json marshals a string (HTML
// characters, U+2028 and U+2029 escaped, invalid UTF-8 as U+FFFD), without
// its allocation per call: conversions write hundreds of thousands of
// strings. TestAppendJSONString and FuzzAppendJSONString hold it to
// json.Marshal.
func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' && c != '<' && c != '>' && c != '&' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\b':
				b = append(b, '\\', 'b')
			case '\f':
				b = append(b, '\\', 'f')
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += n
			start = i
			continue
		}
		if r == '\u2028' || r == '\u2029' {
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
			i += n
			start = i
			continue
		}
		i += n
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}
