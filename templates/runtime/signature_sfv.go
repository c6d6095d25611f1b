package runtime

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A minimal RFC 8941 Structured Field Values parser and serializer: the
// dictionaries of Signature-Input, Signature and Content-Digest. Decimals
// are kept as their text; everything else round-trips in canonical form,
// which is how the @signature-params line is rebuilt.

type rtSFBare struct {
	kind byte // 's' string, 't' token, 'i' integer, 'd' decimal, 'b' byte sequence, '?' boolean
	s    string
	i    int64
	b    []byte
	bool bool
}

type rtSFParam struct {
	key string
	val rtSFBare
}

type rtSFItem struct {
	bare   rtSFBare
	params []rtSFParam
}

// rtSFMember is one dictionary member: an inner list (items + params) or
// an item.
type rtSFMember struct {
	key    string
	inner  bool
	items  []rtSFItem
	params []rtSFParam // of the inner list
	item   rtSFItem
}

func (b rtSFBare) serialize() string {
	switch b.kind {
	case 's':
		var sb strings.Builder
		sb.Grow(len(b.s) + 2)
		sb.WriteByte('"')
		for i := 0; i < len(b.s); i++ {
			if c := b.s[i]; c == '"' || c == '\\' {
				sb.WriteByte('\\')
			}
			sb.WriteByte(b.s[i])
		}
		sb.WriteByte('"')
		return sb.String()
	case 'i':
		return strconv.FormatInt(b.i, 10)
	case 'b':
		return ":" + base64.StdEncoding.EncodeToString(b.b) + ":"
	case '?':
		if b.bool {
			return "?1"
		}
		return "?0"
	default: // token, decimal
		return b.s
	}
}

func rtSerializeParams(ps []rtSFParam) string {
	var sb strings.Builder
	for _, p := range ps {
		sb.WriteByte(';')
		sb.WriteString(p.key)
		if p.val.kind == '?' && p.val.bool {
			continue
		}
		sb.WriteByte('=')
		sb.WriteString(p.val.serialize())
	}
	return sb.String()
}

func (it rtSFItem) serialize() string { return it.bare.serialize() + rtSerializeParams(it.params) }

// serializeInner is the member's value: "(a b);p=1" for an inner list.
func (m rtSFMember) serializeInner() string {
	if !m.inner {
		return m.item.serialize()
	}
	parts := make([]string, len(m.items))
	for i, it := range m.items {
		parts[i] = it.serialize()
	}
	return "(" + strings.Join(parts, " ") + ")" + rtSerializeParams(m.params)
}

type rtSFParser struct {
	s string
	i int
}

var errSFEnd = errors.New("unexpected end of field")

func (p *rtSFParser) peek() (byte, bool) {
	if p.i >= len(p.s) {
		return 0, false
	}
	return p.s[p.i], true
}

func (p *rtSFParser) skip(set string) {
	for p.i < len(p.s) && strings.IndexByte(set, p.s[p.i]) >= 0 {
		p.i++
	}
}

// rtParseSFDictionary parses a Dictionary field value. A repeated key keeps
// its position and takes the last value, as RFC 8941 §4.2.2 says.
func rtParseSFDictionary(s string) ([]rtSFMember, error) {
	p := &rtSFParser{s: s}
	p.skip(" ")
	var out []rtSFMember
	for p.i < len(p.s) {
		m, err := p.member()
		if err != nil {
			return nil, err
		}
		replaced := false
		for i := range out {
			if out[i].key == m.key {
				out[i], replaced = m, true
			}
		}
		if !replaced {
			out = append(out, m)
		}
		p.skip(" \t")
		if p.i >= len(p.s) {
			return out, nil
		}
		if p.s[p.i] != ',' {
			return nil, fmt.Errorf("expected ',' at offset %d", p.i)
		}
		p.i++
		p.skip(" \t")
		if p.i >= len(p.s) {
			return nil, errors.New("trailing comma")
		}
	}
	return out, nil
}

func (p *rtSFParser) member() (rtSFMember, error) {
	key, err := p.key()
	if err != nil {
		return rtSFMember{}, err
	}
	m := rtSFMember{key: key}
	if c, ok := p.peek(); !ok || c != '=' {
		m.item.bare = rtSFBare{kind: '?', bool: true}
		m.item.params, err = p.params()
		return m, err
	}
	p.i++
	if c, ok := p.peek(); ok && c == '(' {
		m.inner = true
		m.items, m.params, err = p.innerList()
		return m, err
	}
	m.item, err = p.item()
	return m, err
}

func (p *rtSFParser) innerList() ([]rtSFItem, []rtSFParam, error) {
	p.i++ // '('
	var items []rtSFItem
	for {
		p.skip(" ")
		c, ok := p.peek()
		if !ok {
			return nil, nil, errSFEnd
		}
		if c == ')' {
			p.i++
			ps, err := p.params()
			return items, ps, err
		}
		it, err := p.item()
		if err != nil {
			return nil, nil, err
		}
		items = append(items, it)
		if c, ok := p.peek(); !ok || (c != ' ' && c != ')') {
			return nil, nil, fmt.Errorf("expected ' ' or ')' at offset %d", p.i)
		}
	}
}

func (p *rtSFParser) item() (rtSFItem, error) {
	b, err := p.bare()
	if err != nil {
		return rtSFItem{}, err
	}
	ps, err := p.params()
	return rtSFItem{bare: b, params: ps}, err
}

func (p *rtSFParser) params() ([]rtSFParam, error) {
	var out []rtSFParam
	for {
		if c, ok := p.peek(); !ok || c != ';' {
			return out, nil
		}
		p.i++
		p.skip(" ")
		key, err := p.key()
		if err != nil {
			return nil, err
		}
		val := rtSFBare{kind: '?', bool: true}
		if c, ok := p.peek(); ok && c == '=' {
			p.i++
			if val, err = p.bare(); err != nil {
				return nil, err
			}
		}
		replaced := false
		for i := range out {
			if out[i].key == key {
				out[i].val, replaced = val, true
			}
		}
		if !replaced {
			out = append(out, rtSFParam{key: key, val: val})
		}
	}
}

func (p *rtSFParser) key() (string, error) {
	start := p.i
	c, ok := p.peek()
	if !ok || !(c >= 'a' && c <= 'z' || c == '*') {
		return "", fmt.Errorf("expected a key at offset %d", p.i)
	}
	for p.i < len(p.s) {
		c := p.s[p.i]
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || strings.IndexByte("_-.*", c) >= 0) {
			break
		}
		p.i++
	}
	return p.s[start:p.i], nil
}

func (p *rtSFParser) bare() (rtSFBare, error) {
	c, ok := p.peek()
	if !ok {
		return rtSFBare{}, errSFEnd
	}
	switch {
	case c == '"':
		return p.str()
	case c == ':':
		p.i++
		end := strings.IndexByte(p.s[p.i:], ':')
		if end < 0 {
			return rtSFBare{}, errSFEnd
		}
		enc := p.s[p.i : p.i+end]
		p.i += end + 1
		b, err := base64.StdEncoding.DecodeString(enc)
		if err != nil {
			return rtSFBare{}, fmt.Errorf("byte sequence: %w", err)
		}
		return rtSFBare{kind: 'b', b: b}, nil
	case c == '?':
		if p.i+1 >= len(p.s) || (p.s[p.i+1] != '0' && p.s[p.i+1] != '1') {
			return rtSFBare{}, fmt.Errorf("bad boolean at offset %d", p.i)
		}
		v := p.s[p.i+1] == '1'
		p.i += 2
		return rtSFBare{kind: '?', bool: v}, nil
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '*':
		start := p.i
		for p.i < len(p.s) {
			c := p.s[p.i]
			if c <= ' ' || c >= 0x7f || strings.IndexByte(`"(),;<=>?@[\]{}`, c) >= 0 {
				break
			}
			p.i++
		}
		return rtSFBare{kind: 't', s: p.s[start:p.i]}, nil
	}
	return rtSFBare{}, fmt.Errorf("unexpected %q at offset %d", c, p.i)
}

func (p *rtSFParser) str() (rtSFBare, error) {
	p.i++ // '"'
	var sb strings.Builder
	for p.i < len(p.s) {
		c := p.s[p.i]
		p.i++
		switch {
		case c == '\\':
			if p.i >= len(p.s) || (p.s[p.i] != '"' && p.s[p.i] != '\\') {
				return rtSFBare{}, errors.New("bad escape in string")
			}
			sb.WriteByte(p.s[p.i])
			p.i++
		case c == '"':
			return rtSFBare{kind: 's', s: sb.String()}, nil
		case c < 0x20 || c > 0x7e:
			return rtSFBare{}, errors.New("string holds a non-printable character")
		default:
			sb.WriteByte(c)
		}
	}
	return rtSFBare{}, errSFEnd
}

func (p *rtSFParser) number() (rtSFBare, error) {
	start := p.i
	if p.s[p.i] == '-' {
		p.i++
	}
	digits, dot := 0, false
	for p.i < len(p.s) {
		c := p.s[p.i]
		if c == '.' && !dot {
			dot = true
		} else if c < '0' || c > '9' {
			break
		} else {
			digits++
		}
		p.i++
	}
	text := p.s[start:p.i]
	if digits == 0 || digits > 15 || strings.HasSuffix(text, ".") {
		return rtSFBare{}, fmt.Errorf("bad number %q", text)
	}
	if dot {
		return rtSFBare{kind: 'd', s: text}, nil
	}
	i, err := strconv.ParseInt(text, 10, 64)
	if err != nil {
		return rtSFBare{}, fmt.Errorf("bad integer %q", text)
	}
	return rtSFBare{kind: 'i', i: i}, nil
}
