package contracts

import (
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// The leanDec scanner: strings, numbers, literals and skipped values.

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
