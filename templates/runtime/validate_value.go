package runtime

import (
	"bytes"
	"strconv"
)

// Kind is x's kind; 0 when x is no value (an absent member).
func (x JSON) Kind() JSONKind {
	if x.d == nil {
		return 0
	}
	return x.d.nodes[x.i].kind
}

// Num is a number's value.
func (x JSON) Num() float64 { return x.d.nodes[x.i].num }

// Bool is a boolean's value.
func (x JSON) Bool() bool { return x.d.nodes[x.i].num != 0 }

// Bytes are a string's contents, unescaped; nil for other kinds. They
// belong to the document: copy them to keep them.
func (x JSON) Bytes() []byte {
	if x.Kind() != JSONString {
		return nil
	}
	n := &x.d.nodes[x.i]
	if n.esc {
		return x.d.text[n.off:n.end:n.end]
	}
	return x.d.src[n.off:n.end:n.end]
}

// StringIs reports whether x is the string s.
func (x JSON) StringIs(s string) bool { return x.Kind() == JSONString && string(x.Bytes()) == s }

// Len is an array's items or an object's members.
func (x JSON) Len() int { return int(x.d.nodes[x.i].n) }

// JSONItems walks an array's items: for it := x.Items(); it.Next(); {...}.
//
//accord:generated-only
type JSONItems struct {
	d               *JSONDoc
	next, cur, left int32
	idx             int
}

// Items walks x's items.
func (x JSON) Items() JSONItems {
	return JSONItems{d: x.d, next: x.i + 1, left: x.d.nodes[x.i].n, idx: -1}
}

// Next moves to the next item, false after the last.
func (it *JSONItems) Next() bool {
	if it.left == 0 {
		return false
	}
	it.cur, it.next = it.next, it.d.nodes[it.next].next
	it.left--
	it.idx++
	return true
}

// Value is the current item.
func (it *JSONItems) Value() JSON { return JSON{it.d, it.cur} }

// Index is the current item's position.
func (it *JSONItems) Index() int { return it.idx }

// JSONMembers walks an object's members in document order.
//
//accord:generated-only
type JSONMembers struct {
	d               *JSONDoc
	next, key, left int32
}

// Members walks x's members.
func (x JSON) Members() JSONMembers {
	return JSONMembers{d: x.d, next: x.i + 1, left: x.d.nodes[x.i].n}
}

// Next moves to the next member, false after the last.
func (m *JSONMembers) Next() bool {
	if m.left == 0 {
		return false
	}
	m.key, m.next = m.next, m.d.nodes[m.next+1].next
	m.left--
	return true
}

// Key is the current member's name, unescaped (see JSON.Bytes).
func (m *JSONMembers) Key() []byte { return JSON{m.d, m.key}.Bytes() }

// Value is the current member's value.
func (m *JSONMembers) Value() JSON { return JSON{m.d, m.key + 1} }

// Member is the value of x's member name; no value (Kind 0) when x is not
// an object or has no such member.
func (x JSON) Member(name string) JSON {
	if x.Kind() != JSONObject {
		return JSON{}
	}
	for m := x.Members(); m.Next(); {
		if string(m.Key()) == name {
			return m.Value()
		}
	}
	return JSON{}
}

// Same reports whether x and y are equal JSON values (uniqueItems).
func (x JSON) Same(y JSON) bool {
	k := x.Kind()
	if k != y.Kind() {
		return false
	}
	switch k {
	case JSONNull:
		return true
	case JSONBool, JSONNumber:
		return x.Num() == y.Num()
	case JSONString:
		return bytes.Equal(x.Bytes(), y.Bytes())
	case JSONArray:
		if x.Len() != y.Len() {
			return false
		}
		a, b := x.Items(), y.Items()
		for a.Next() && b.Next() {
			if !a.Value().Same(b.Value()) {
				return false
			}
		}
		return true
	case JSONObject:
		if x.Len() != y.Len() {
			return false
		}
		// Member names are unique (rtParseJSON refuses others), so equal
		// sizes and every member of x found equal in y is equality.
		for m := x.Members(); m.Next(); {
			yv := y.Member(string(m.Key()))
			if yv.Kind() == 0 || !m.Value().Same(yv) {
				return false
			}
		}
		return true
	}
	return false
}

// Equal reports whether x equals want, a value as encoding/json decodes
// into an any (the contract's enum and const values).
func (x JSON) Equal(want any) bool {
	switch w := want.(type) {
	case nil:
		return x.Kind() == JSONNull
	case bool:
		return x.Kind() == JSONBool && x.Bool() == w
	case float64:
		return x.Kind() == JSONNumber && x.Num() == w
	case string:
		return x.StringIs(w)
	case []any:
		if x.Kind() != JSONArray || x.Len() != len(w) {
			return false
		}
		for it := x.Items(); it.Next(); {
			if !it.Value().Equal(w[it.Index()]) {
				return false
			}
		}
		return true
	case map[string]any:
		if x.Kind() != JSONObject || x.Len() != len(w) {
			return false
		}
		for m := x.Members(); m.Next(); {
			wv, ok := w[string(m.Key())]
			if !ok || !m.Value().Equal(wv) {
				return false
			}
		}
		return true
	}
	return false
}

// Any is x as encoding/json decodes it into an any.
func (x JSON) Any() any {
	switch x.Kind() {
	case JSONBool:
		return x.Bool()
	case JSONNumber:
		return x.Num()
	case JSONString:
		return string(x.Bytes())
	case JSONArray:
		out := make([]any, 0, x.Len())
		for it := x.Items(); it.Next(); {
			out = append(out, it.Value().Any())
		}
		return out
	case JSONObject:
		out := make(map[string]any, x.Len())
		for m := x.Members(); m.Next(); {
			out[string(m.Key())] = m.Value().Any()
		}
		return out
	}
	return nil
}

// rtPointerTo is the JSON pointer of node target, found by descending from
// the root through the containers whose node ranges hold it. Only invalid
// bodies pay for it.
func rtPointerTo(d *JSONDoc, target int32) string {
	var b []byte
	x := JSON{d, 0}
	for x.i != target {
		found := false
		switch x.Kind() {
		case JSONArray:
			for it := x.Items(); it.Next(); {
				if v := it.Value(); v.i <= target && target < d.nodes[v.i].next {
					b = strconv.AppendInt(append(b, '/'), int64(it.Index()), 10)
					x, found = v, true
					break
				}
			}
		case JSONObject:
			for m := x.Members(); m.Next(); {
				if v := m.Value(); v.i <= target && target < d.nodes[v.i].next {
					b = rtAppendEscaped(append(b, '/'), m.Key())
					x, found = v, true
					break
				}
			}
		}
		if !found {
			break // target is a key or outside d: the pointer so far
		}
	}
	return string(b)
}
