package rules

import (
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// VariantPair pairs one oneOf/anyOf alternative of base with one of head; a
// nil side was removed (Base only) or added (Head only).
type VariantPair struct {
	Base, Head *Variant
}

// Label names a variant in subjects: its component name, or its position.
func (v *Variant) Label() string {
	if v.Ref.Ref != "" {
		return RefName(v.Ref.Ref)
	}
	if v.Index < 0 {
		return "self"
	}
	return itoa(v.Index)
}

// SelfVariant is the plain side of a Partial pair, read as one variant.
func SelfVariant(ref *openapi3.SchemaRef) []Variant {
	return []Variant{{Index: -1, Ref: ref}}
}

// MatchVariants pairs the alternatives of two sides in direction dir, in
// this order: same component name; same shape (an inline alternative moved
// to a $ref); same tag (a property with a single allowed value, the usual
// way alternatives name their kind; before shape, since alternatives often
// share their property names and differ only by tag). Then alternatives whose values the
// other side still accepts are dropped: in a request, a base alternative
// some head alternative accepts was only regrouped, not removed; in a
// response, a head alternative that a plain base schema accepts is nothing
// new to readers. What is left pairs by similar properties (or, for non-objects,
// by type); the rest was removed (Base only) or added (Head only).
func MatchVariants(base, head []Variant, dir Direction) []VariantPair {
	m := matcher{base: base, head: head, bUsed: make([]bool, len(base)), hUsed: make([]bool, len(head))}
	if dir == Request && len(base) == 1 && base[0].Index < 0 && (rangesCover(head, &base[0]) || enumsCover(head, &base[0])) {
		// Split by ranges that together accept every old value: pairing it
		// with one of them would report a narrowing that is not there.
		m.bUsed[0] = true
	}
	m.each(func(b, h *Variant) bool {
		return b.Ref.Ref != "" && h.Ref.Ref != "" && RefName(b.Ref.Ref) == RefName(h.Ref.Ref)
	})
	m.each(func(b, h *Variant) bool { return sharesTag(b.Ref.Value, h.Ref.Value) })
	m.each(func(b, h *Variant) bool { return shape(b.Ref.Value) == shape(h.Ref.Value) })
	switch dir {
	case Request:
		for i := range base {
			if !m.bUsed[i] && anyAccepts(head, &base[i]) {
				m.bUsed[i] = true
			}
		}
	case Response:
		// Only against a plain base: readers of a oneOf tell alternatives
		// apart, so a new one is new even if an open object of base would
		// validate it; readers of one plain object just read it.
		if len(base) != 1 || base[0].Index >= 0 {
			break
		}
		for j := range head {
			if !m.hUsed[j] && anyAccepts(base, &head[j]) {
				m.hUsed[j] = true
			}
		}
	}
	m.similar(len(base) == 1 && base[0].Index < 0 || len(head) == 1 && head[0].Index < 0)
	// An alternative structurally identical to another of its side adds or
	// removes no value: a duplicate is neither new nor gone.
	dropDuplicates(base, m.bUsed)
	dropDuplicates(head, m.hUsed)
	for i := range base {
		if !m.bUsed[i] {
			m.pairs = append(m.pairs, VariantPair{Base: &base[i]})
		}
	}
	for j := range head {
		if !m.hUsed[j] {
			m.pairs = append(m.pairs, VariantPair{Head: &head[j]})
		}
	}
	return m.pairs
}

// dropDuplicates marks as used every unused alternative whose validation
// keywords equal those of another alternative of the same list that is
// used or comes first.
func dropDuplicates(list []Variant, used []bool) {
	canon := map[int]string{}
	canonOf := func(k int) string {
		c, ok := canon[k]
		if !ok {
			c = Canon(list[k].Ref)
			canon[k] = c
		}
		return c
	}
	for i := range list {
		if used[i] {
			continue
		}
		for k := range list {
			if k == i || !(k < i || used[k]) || !maybeSame(list[i].Ref, list[k].Ref) {
				continue
			}
			if c := canonOf(i); c != "" && c == canonOf(k) {
				used[i] = true
				break
			}
		}
	}
}

// maybeSame is a cheap necessary condition for two alternatives to be
// structurally identical: $refs by name, inline schemas by type and
// property count (rendering them is the costly part).
func maybeSame(a, b *openapi3.SchemaRef) bool {
	if a.Ref != "" || b.Ref != "" {
		return a.Ref != "" && b.Ref != "" && RefName(a.Ref) == RefName(b.Ref)
	}
	x, y := a.Value, b.Value
	if len(x.Properties) != len(y.Properties) || len(x.Enum) != len(y.Enum) || len(x.AllOf) != len(y.AllOf) {
		return false
	}
	tx, ty := "", ""
	if x.Type != nil {
		tx = strings.Join(*x.Type, ",")
	}
	if y.Type != nil {
		ty = strings.Join(*y.Type, ",")
	}
	return tx == ty
}

type matcher struct {
	base, head   []Variant
	bUsed, hUsed []bool
	pairs        []VariantPair
}

func (m *matcher) pair(i, j int) {
	m.bUsed[i], m.hUsed[j] = true, true
	m.pairs = append(m.pairs, VariantPair{Base: &m.base[i], Head: &m.head[j]})
}

// each pairs, in order, every unpaired base alternative with the first
// unpaired head alternative that same accepts.
func (m *matcher) each(same func(b, h *Variant) bool) {
	for i := range m.base {
		if m.bUsed[i] {
			continue
		}
		for j := range m.head {
			if !m.hUsed[j] && same(&m.base[i], &m.head[j]) {
				m.pair(i, j)
				break
			}
		}
	}
}

// anyAccepts reports whether an alternative of others accepts v's values.
func anyAccepts(others []Variant, v *Variant) bool {
	for k := range others {
		if Accepts(others[k].Ref, v.Ref) {
			return true
		}
	}
	return false
}

// similar pairs the leftovers by property overlap (objects with at least
// half of their properties in common) or by equal type (other values),
// best score first. When a plain schema became (or stopped being) a oneOf,
// it is only paired with a lone leftover alternative: picking one among
// several would compare unrelated shapes and report noise, while listing
// them as added or removed says what happened.
func (m *matcher) similar(partial bool) {
	if partial && (count(m.bUsed) > 1 || count(m.hUsed) > 1) {
		return
	}
	for {
		bi, bj, best := -1, -1, 0.0
		for i := range m.base {
			if m.bUsed[i] {
				continue
			}
			for j := range m.head {
				if m.hUsed[j] {
					continue
				}
				if s := similarity(m.base[i].Ref.Value, m.head[j].Ref.Value); s > best {
					bi, bj, best = i, j, s
				}
			}
		}
		if bi < 0 {
			return
		}
		m.pair(bi, bj)
	}
}

func count(used []bool) int {
	n := 0
	for _, u := range used {
		if !u {
			n++
		}
	}
	return n
}

// similarity scores two alternatives from 0 (unrelated) to 1.
func similarity(a, b *openapi3.Schema) float64 {
	va, vb := NewView(&openapi3.SchemaRef{Value: a}, nil), NewView(&openapi3.SchemaRef{Value: b}, nil)
	if va.Types != vb.Types || va.Types == 0 {
		return 0
	}
	if va.Types != TObject {
		return 0.5
	}
	na, nb, common := map[string]bool{}, 0, 0
	va.OwnProps(func(p Prop) { na[p.Name] = true })
	vb.OwnProps(func(p Prop) {
		nb++
		if na[p.Name] {
			common++
		}
	})
	union := len(na) + nb - common
	if union == 0 {
		return 0.5
	}
	if s := float64(common) / float64(union); s >= 0.5 {
		return s
	}
	return 0
}

// sharesTag reports whether two alternatives pin the same property to the
// same single value (`type: {enum: [card]}`, `kind: {const: card}`).
func sharesTag(a, b *openapi3.Schema) bool {
	ta := tags(a)
	if len(ta) == 0 {
		return false
	}
	for k := range tags(b) {
		if ta[k] {
			return true
		}
	}
	return false
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func tags(s *openapi3.Schema) map[string]bool {
	var out map[string]bool
	NewView(&openapi3.SchemaRef{Value: s}, nil).OwnProps(func(p Prop) {
		ps := p.Schema()
		var v any
		switch {
		case len(ps.Enum) == 1:
			v = ps.Enum[0]
		case ps.Const != nil:
			v = ps.Const
		default:
			return
		}
		if out == nil {
			out = map[string]bool{}
		}
		out[p.Name+"="+ValueKey(v)] = true
	})
	return out
}

// Shape is a shallow structural signature of a schema, for pairing
// elements that have no name (inline AsyncAPI messages).
func Shape(s *openapi3.Schema) string { return shape(s) }

// shape is a shallow structural signature: enough to recognise the same
// alternative written inline on one side and as a $ref on the other.
func shape(s *openapi3.Schema) string {
	if s == nil {
		return ""
	}
	var b strings.Builder
	v := NewView(&openapi3.SchemaRef{Value: s}, nil)
	b.WriteString(v.Types.String())
	b.WriteByte('|')
	b.WriteString(v.Format())
	b.WriteByte('|')
	names := make([]string, 0, len(s.Properties))
	v.OwnProps(func(p Prop) { names = append(names, p.Name) })
	sort.Strings(names)
	b.WriteString(strings.Join(names, ","))
	b.WriteByte('|')
	if vals, ok := v.Enum(); ok {
		keys := make([]string, len(vals))
		for i, x := range vals {
			keys[i] = ValueKey(x)
		}
		sort.Strings(keys)
		b.WriteString(strings.Join(keys, ","))
	}
	b.WriteByte('|')
	if it := v.Items(); it != nil {
		if it.Ref != "" {
			b.WriteString(RefName(it.Ref))
		} else if it.Value != nil {
			b.WriteString(NewView(it, nil).Types.String())
		}
	}
	if d := v.Discriminator(); d != nil {
		b.WriteString("|d:" + d.PropertyName)
	}
	for _, t := range sortedKeys(tags(s)) {
		b.WriteString("|" + t)
	}
	return b.String()
}

// maxAccepts bounds how deep Accepts looks; past it, only the same
// component counts as accepting.
const maxAccepts = 8

// Accepts reports, conservatively, whether every value valid for inner is
// also valid for outer. The variant checks use it so that an alternative
// folded into another one (two object shapes merged into one that accepts
// both, a plain object split into narrower oneOf alternatives) is not
// reported as removed or added: values that were valid stay valid. It only
// looks at what decides validity for most documents (types, nullability,
// enums, formats, properties, required, items, alternatives), not at bounds.
func Accepts(outer, inner *openapi3.SchemaRef) bool {
	return accepts(outer, inner, 0)
}

func accepts(outer, inner *openapi3.SchemaRef, depth int) bool {
	if outer == nil || outer.Value == nil {
		return true
	}
	if inner == nil || inner.Value == nil {
		return false
	}
	if outer.Ref != "" && RefName(outer.Ref) == RefName(inner.Ref) {
		return true
	}
	if depth > maxAccepts {
		return false
	}
	o, i := NewView(outer, nil), NewView(inner, nil)
	if len(i.Variants) > 0 {
		for _, v := range i.Variants {
			if !accepts(outer, v.Ref, depth+1) {
				return false
			}
		}
		return !i.Nullable || o.Nullable
	}
	if len(o.Variants) > 0 {
		if i.Nullable && !o.Nullable {
			return false
		}
		for _, v := range o.Variants {
			if accepts(v.Ref, inner, depth+1) {
				return true
			}
		}
		return false
	}
	if !o.Types.Covers(i.Types) || (i.Nullable && !o.Nullable) || !FormatAccepts(o.Format(), i.Format()) {
		return false
	}
	if ov, ok := o.Enum(); ok {
		iv, iok := i.Enum()
		if !iok || len(Missing(iv, ov)) > 0 {
			return false
		}
	}
	if o.Types&TObject != 0 || i.Types&TObject != 0 {
		ok := true
		o.OwnRequired(func(name string) {
			if !i.Requires(name) {
				ok = false
			}
		})
		closed, _ := o.AdditionalProperties()
		i.OwnProps(func(p Prop) {
			if !ok {
				return
			}
			op, found := o.Prop(p.Name)
			switch {
			case !found:
				ok = closed != APClosed
			default:
				ok = accepts(op.Ref, p.Ref, depth+1)
			}
		})
		if !ok {
			return false
		}
	}
	if oi := o.Items(); oi != nil {
		if !accepts(oi, i.Items(), depth+1) {
			return false
		}
	}
	return true
}
