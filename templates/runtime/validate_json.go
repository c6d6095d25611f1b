package runtime

import (
	"encoding/json"
	"math"
	"strconv"
	"unicode/utf8"
)

// rtMaxJSONDepth is encoding/json's nesting limit, kept so that the
// validator and the handler's decoder refuse the same bodies.
const rtMaxJSONDepth = 10000

// JSONKind is the kind of a JSON value.
type JSONKind uint8

// The kinds of JSON values; the zero JSONKind is no value (a member that
// is absent).
const (
	JSONNull JSONKind = iota + 1
	JSONBool
	JSONNumber
	JSONString
	JSONArray
	JSONObject
)

// rtJSONNode is one value of a parsed text. Containers are followed by
// their contents in document order: an array by its items, an object by
// its members, each a key (a string node) then the value.
type rtJSONNode struct {
	num  float64 // a number's value; 1 or 0 for a boolean
	off  int32   // a string's bytes: src[off:end], or text[off:end] when esc
	end  int32
	next int32 // the node after this value and everything inside it
	n    int32 // an array's items, an object's members
	kind JSONKind
	esc  bool
}

// JSONDoc is a JSON text parsed into a flat list of nodes, for generated
// validators: no map or interface is built, and a reused JSONDoc parses a
// body without allocating once its slices have grown. Decoding into
// map[string]any was most of what validating a body cost.
//
//accord:generated-only
type JSONDoc struct {
	src   []byte
	nodes []rtJSONNode
	text  []byte // strings whose escapes or invalid UTF-8 had to be rewritten
	// dup is the object holding a member name twice, -1 when none.
	dup     int32
	dupName []byte
	// query is a request's query split into pairs once (QueryValues).
	query    [][2]string
	queryRaw string
	queryOK  bool
}

// JSON is one value of a JSONDoc; generated validators take it by value.
//
//accord:generated-only
type JSON struct {
	d *JSONDoc
	i int32
}

func (d *JSONDoc) reset(src []byte) {
	d.src, d.nodes, d.text, d.dup, d.dupName = src, d.nodes[:0], d.text[:0], -1, nil
}

// rtParseJSON parses b into d, reusing d's memory. It accepts what
// encoding/json accepts; ok is false otherwise. A member name given twice
// in one object is recorded in d (rtDuplicate): the handler's decoder
// keeps the last value, so a validator that saw only one would check a
// value other than the one acted upon.
func rtParseJSON(d *JSONDoc, b []byte) (JSON, bool) {
	d.reset(b)
	if want := len(b)/6 + 8; cap(d.nodes) < want && want <= rtMaxPooledNodes {
		// One allocation of about the size a body needs, not a series of
		// doublings, for a document new or emptied by the collector.
		d.nodes = make([]rtJSONNode, 0, want)
	}
	p := rtJSONParser{d: d, b: b}
	p.ws()
	if !p.value(0) {
		return JSON{}, false
	}
	p.ws()
	return JSON{d: d, i: 0}, p.i == len(p.b)
}

type rtJSONParser struct {
	d *JSONDoc
	b []byte
	i int
}

func (p *rtJSONParser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *rtJSONParser) add(n rtJSONNode) int32 {
	p.d.nodes = append(p.d.nodes, n)
	return int32(len(p.d.nodes) - 1)
}

func (p *rtJSONParser) done(at int32) { p.d.nodes[at].next = int32(len(p.d.nodes)) }

func (p *rtJSONParser) lit(word string, n rtJSONNode) bool {
	if len(p.b)-p.i < len(word) || string(p.b[p.i:p.i+len(word)]) != word {
		return false
	}
	p.i += len(word)
	p.done(p.add(n))
	return true
}

func (p *rtJSONParser) value(depth int) bool {
	if p.i >= len(p.b) || depth > rtMaxJSONDepth {
		return false
	}
	switch c := p.b[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		return p.str()
	case c == 't':
		return p.lit("true", rtJSONNode{kind: JSONBool, num: 1})
	case c == 'f':
		return p.lit("false", rtJSONNode{kind: JSONBool})
	case c == 'n':
		return p.lit("null", rtJSONNode{kind: JSONNull})
	case c == '-' || '0' <= c && c <= '9':
		return p.number()
	}
	return false
}

func (p *rtJSONParser) object(depth int) bool {
	p.i++ // {
	at := p.add(rtJSONNode{kind: JSONObject})
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == '}' {
		p.i++
		p.done(at)
		return true
	}
	// names has a bit per hash of the names read so far: only a name whose
	// bit is set is compared with the others.
	var names uint64
	for n := int32(1); ; n++ {
		if p.i >= len(p.b) || p.b[p.i] != '"' || !p.str() {
			return false
		}
		if bit := p.nameBit(); names&bit == 0 {
			names |= bit
		} else {
			p.noteDuplicate(at)
		}
		p.ws()
		if p.i >= len(p.b) || p.b[p.i] != ':' {
			return false
		}
		p.i++
		p.ws()
		if !p.value(depth + 1) {
			return false
		}
		p.ws()
		if p.i >= len(p.b) {
			return false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
			p.ws()
		case '}':
			p.i++
			p.d.nodes[at].n = n
			p.done(at)
			return true
		default:
			return false
		}
	}
}

// nameBit hashes the name just read to one of 64 bits.
func (p *rtJSONParser) nameBit() uint64 {
	k := JSON{p.d, int32(len(p.d.nodes) - 1)}.Bytes()
	h := uint(len(k))
	if len(k) > 0 {
		h = h*31 + uint(k[0])*7 + uint(k[len(k)-1]) + uint(k[len(k)/2])*131
	}
	return 1 << (h & 63)
}

// noteDuplicate compares the key just read with the object's earlier keys.
// Quadratic in an object's size, which a body's 10 MiB cap bounds; bodies'
// objects are small in practice.
func (p *rtJSONParser) noteDuplicate(obj int32) {
	d := p.d
	if d.dup >= 0 {
		return
	}
	key := int32(len(d.nodes) - 1)
	k := JSON{d, key}.Bytes()
	for j := obj + 1; j < key; j = d.nodes[j+1].next {
		n := &d.nodes[j]
		if int(n.end-n.off) != len(k) {
			continue
		}
		other := d.src
		if n.esc {
			other = d.text
		}
		if string(other[n.off:n.end]) == string(k) {
			d.dup, d.dupName = obj, k
			return
		}
	}
}

func (p *rtJSONParser) array(depth int) bool {
	p.i++ // [
	at := p.add(rtJSONNode{kind: JSONArray})
	p.ws()
	if p.i < len(p.b) && p.b[p.i] == ']' {
		p.i++
		p.done(at)
		return true
	}
	for n := int32(1); ; n++ {
		if !p.value(depth + 1) {
			return false
		}
		p.ws()
		if p.i >= len(p.b) {
			return false
		}
		switch p.b[p.i] {
		case ',':
			p.i++
			p.ws()
		case ']':
			p.i++
			p.d.nodes[at].n = n
			p.done(at)
			return true
		default:
			return false
		}
	}
}

// str reads a string literal at p.i (an opening quote). Its bytes are used
// in place unless it has escapes or invalid UTF-8; those are handed to
// encoding/json so that their unescaping and U+FFFD replacement are
// exactly what the handler's decoder will see.
func (p *rtJSONParser) str() bool {
	b := p.b
	start := p.i
	escaped, ascii := false, true
	for i := start + 1; i < len(b); {
		c := b[i]
		if 0x20 <= c && c < utf8.RuneSelf && c != '"' && c != '\\' {
			i++ // the common byte: nothing to note
			continue
		}
		switch {
		case c == '"':
			p.i = i + 1
			body := b[start+1 : i]
			if !escaped && (ascii || utf8.Valid(body)) {
				p.done(p.add(rtJSONNode{kind: JSONString, off: int32(start + 1), end: int32(i)}))
				return true
			}
			var s string
			if json.Unmarshal(b[start:p.i], &s) != nil {
				return false
			}
			off := len(p.d.text)
			p.d.text = append(p.d.text, s...)
			p.done(p.add(rtJSONNode{kind: JSONString, esc: true, off: int32(off), end: int32(len(p.d.text))}))
			return true
		case c == '\\':
			escaped = true
			i += 2
			continue
		case c < 0x20:
			return false
		default:
			ascii = false
		}
		i++
	}
	return false
}

// rtHasFraction reports whether a number has a fraction or an exponent.
func rtHasFraction(num []byte) bool {
	for _, c := range num {
		if c == '.' || c == 'e' || c == 'E' {
			return true
		}
	}
	return false
}

func (p *rtJSONParser) number() bool {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.b) && '0' <= p.b[p.i] && p.b[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.b[p.i] == '-' {
		p.i++
	}
	if p.i < len(p.b) && p.b[p.i] == '0' {
		p.i++
	} else if digits() == 0 {
		return false
	}
	if p.i < len(p.b) && p.b[p.i] == '.' {
		p.i++
		if digits() == 0 {
			return false
		}
	}
	if p.i < len(p.b) && (p.b[p.i] == 'e' || p.b[p.i] == 'E') {
		p.i++
		if p.i < len(p.b) && (p.b[p.i] == '+' || p.b[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return false
		}
	}
	if n := p.i - start; n <= 15 && !rtHasFraction(p.b[start:p.i]) {
		// Integers of up to 15 digits are exact in a float64: no need for
		// ParseFloat's general path.
		var v int64
		neg := p.b[start] == '-'
		for _, c := range p.b[start:p.i] {
			if c != '-' {
				v = v*10 + int64(c-'0')
			}
		}
		if neg {
			v = -v
		}
		f := float64(v)
		if neg && v == 0 {
			f = math.Copysign(0, -1)
		}
		p.done(p.add(rtJSONNode{kind: JSONNumber, num: f}))
		return true
	}
	f, err := strconv.ParseFloat(string(p.b[start:p.i]), 64)
	if err != nil {
		return false // out of float64's range: encoding/json refuses it too
	}
	p.done(p.add(rtJSONNode{kind: JSONNumber, num: f}))
	return true
}
