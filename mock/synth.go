package mock

import (
	"encoding/base64"
	"fmt"
	"maps"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// Direction says which side of the exchange a synthesised value is for:
// readOnly properties appear only in responses, writeOnly only in requests.
type Direction int

const (
	Response Direction = iota
	Request
)

// maxDepth bounds nesting so recursive schemas (a tree node holding its
// children) synthesise a finite value.
const maxDepth = 16

// baseTime anchors synthesised date-times so a seed gives the same values on
// every run, whatever the clock says.
var baseTime = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// Generator synthesises JSON values that satisfy schemas. It is
// deterministic: the same seed and the same sequence of calls give the same
// values. Not safe for concurrent use; make one per goroutine or per value.
type Generator struct {
	rng *rand.Rand
	dir Direction
	// stack holds the schemas being expanded, to cut recursion.
	stack []*openapi3.Schema
}

// NewGenerator returns a generator seeded with seed and a salt (an
// operation id, say) so that unrelated values do not share a sequence.
func NewGenerator(seed uint64, salt string, dir Direction) *Generator {
	return &Generator{rng: rand.New(rand.NewPCG(seed, fnv64(salt))), dir: dir}
}

func fnv64(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

// Value returns a value valid against s (nil for a nil schema).
func (g *Generator) Value(s *openapi3.SchemaRef) any {
	if s == nil || s.Value == nil {
		return nil
	}
	return g.value(s.Value)
}

func (g *Generator) value(s *openapi3.Schema) any {
	if s.Always != nil {
		return map[string]any{}
	}
	if s.Const != nil {
		return s.Const
	}
	if len(s.Examples) > 0 {
		return s.Examples[0]
	}
	if s.Example != nil {
		return s.Example
	}
	if s.Default != nil {
		return s.Default
	}
	if len(s.Enum) > 0 {
		for _, e := range s.Enum {
			if e != nil { // null is a legal member but a poor example
				return e
			}
		}
		return nil
	}
	if slices.Contains(g.stack, s) || len(g.stack) >= maxDepth {
		return g.empty(s)
	}
	g.stack = append(g.stack, s)
	defer func() { g.stack = g.stack[:len(g.stack)-1] }()

	if len(s.AllOf) > 0 {
		return g.allOf(s)
	}
	if alts := firstNonEmpty(s.OneOf, s.AnyOf); len(alts) > 0 {
		// The first alternative keeps answers stable across seeds for the
		// common nullable-wrapper pattern (oneOf: [X, null]).
		for _, a := range alts {
			if a.Value != nil && !isNullOnly(a.Value) {
				v := g.value(a.Value)
				if m, ok := v.(map[string]any); ok && len(s.Properties) > 0 {
					maps.Copy(m, g.object(s))
				}
				return v
			}
		}
		return nil
	}
	switch typeOf(s) {
	case "object":
		return g.object(s)
	case "array":
		return g.array(s)
	case "integer":
		return g.integer(s)
	case "number":
		return g.number(s)
	case "boolean":
		return g.rng.IntN(2) == 0
	case "null":
		return nil
	}
	return g.str(s)
}

func firstNonEmpty(a, b openapi3.SchemaRefs) openapi3.SchemaRefs {
	if len(a) > 0 {
		return a
	}
	return b
}

func isNullOnly(s *openapi3.Schema) bool {
	return s.Type != nil && s.Type.Is("null")
}

// typeOf picks the schema's type: the first non-null one declared, else what
// its keywords imply.
func typeOf(s *openapi3.Schema) string {
	if s.Type != nil {
		for _, t := range s.Type.Slice() {
			if t != "null" {
				return t
			}
		}
		if s.Type.Is("null") {
			return "null"
		}
	}
	for _, parts := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, p := range parts {
			if p.Value != nil && p.Value != s {
				if t := typeOf(p.Value); t != "string" || p.Value.Type != nil {
					return t
				}
			}
		}
	}
	switch {
	case len(s.Properties) > 0 || s.AdditionalProperties.Schema != nil:
		return "object"
	case s.Items != nil:
		return "array"
	case s.Min != nil || s.Max != nil:
		return "number"
	}
	return "string"
}

// properties merges an object schema's properties and required names with
// those of its allOf parts (how resources are usually composed).
func properties(s *openapi3.Schema) (openapi3.Schemas, []string) {
	if len(s.AllOf) == 0 {
		return s.Properties, s.Required
	}
	props := openapi3.Schemas{}
	var req []string
	var walk func(*openapi3.Schema, int)
	walk = func(x *openapi3.Schema, depth int) {
		if x == nil || depth > maxDepth {
			return
		}
		for _, p := range x.AllOf {
			walk(p.Value, depth+1)
		}
		maps.Copy(props, x.Properties)
		req = append(req, x.Required...)
	}
	walk(s, 0)
	return props, req
}

func (g *Generator) empty(s *openapi3.Schema) any {
	switch typeOf(s) {
	case "object":
		return map[string]any{}
	case "array":
		return []any{}
	case "integer", "number":
		return 0
	case "boolean":
		return false
	case "null":
		return nil
	}
	return ""
}

func (g *Generator) allOf(s *openapi3.Schema) any {
	out := map[string]any{}
	var last any
	for _, part := range s.AllOf {
		if part.Value == nil {
			continue
		}
		v := g.value(part.Value)
		if m, ok := v.(map[string]any); ok {
			maps.Copy(out, m)
			continue
		}
		last = v
	}
	if len(s.Properties) > 0 {
		maps.Copy(out, g.object(s))
	}
	if len(out) == 0 && last != nil {
		return last
	}
	return out
}

func (g *Generator) object(s *openapi3.Schema) map[string]any {
	out := make(map[string]any, len(s.Properties))
	names := make([]string, 0, len(s.Properties))
	for name := range s.Properties {
		names = append(names, name)
	}
	slices.Sort(names) // map order would break determinism
	for _, name := range names {
		p := s.Properties[name]
		if p == nil || p.Value == nil {
			continue
		}
		if (g.dir == Response && p.Value.WriteOnly) || (g.dir == Request && p.Value.ReadOnly) {
			continue
		}
		if slices.Contains(g.stack, p.Value) && !slices.Contains(s.Required, name) {
			continue // an optional recursive link: leave it out
		}
		out[name] = g.value(p.Value)
	}
	if len(s.Properties) == 0 && s.AdditionalProperties.Schema != nil && s.AdditionalProperties.Schema.Value != nil {
		out["key1"] = g.value(s.AdditionalProperties.Schema.Value)
	}
	return out
}

func (g *Generator) array(s *openapi3.Schema) []any {
	if s.Items != nil && s.MinItems == 0 && slices.Contains(g.stack, s.Items.Value) {
		return []any{} // a recursive list (a node's children) ends here
	}
	n := max(int(s.MinItems), 1)
	if s.MaxItems != nil && uint64(n) > *s.MaxItems {
		n = int(*s.MaxItems)
	}
	out := make([]any, 0, n)
	for i, p := range s.PrefixItems {
		if i >= n {
			break
		}
		out = append(out, g.Value(p))
	}
	for len(out) < n {
		if s.Items == nil {
			out = append(out, g.word(6))
			continue
		}
		out = append(out, g.Value(s.Items))
	}
	return out
}

// bounds turns minimum/maximum and both styles of exclusive bounds into a
// closed interval, with a small default range where the schema is open.
func bounds(s *openapi3.Schema, step float64) (lo, hi float64) {
	lo, hi = math.Inf(-1), math.Inf(1)
	if s.Min != nil {
		lo = *s.Min
		if s.ExclusiveMin.IsTrue() {
			lo += step
		}
	}
	if v := s.ExclusiveMin.Value; v != nil {
		lo = max(lo, *v+step)
	}
	if s.Max != nil {
		hi = *s.Max
		if s.ExclusiveMax.IsTrue() {
			hi -= step
		}
	}
	if v := s.ExclusiveMax.Value; v != nil {
		hi = min(hi, *v-step)
	}
	switch {
	case math.IsInf(lo, -1) && math.IsInf(hi, 1):
		lo, hi = 1, 1000
	case math.IsInf(lo, -1):
		lo = hi - 1000
	case math.IsInf(hi, 1):
		hi = lo + 1000
	}
	if hi < lo {
		hi = lo
	}
	return lo, hi
}

func (g *Generator) integer(s *openapi3.Schema) any {
	lo, hi := bounds(s, 1)
	l, h := int64(math.Ceil(lo)), int64(math.Floor(hi))
	if h < l {
		h = l
	}
	v := l + g.rng.Int64N(h-l+1)
	if s.MultipleOf != nil && *s.MultipleOf >= 1 {
		m := int64(*s.MultipleOf)
		v = (v / m) * m
		if v < l {
			v += m
		}
	}
	return v
}

func (g *Generator) number(s *openapi3.Schema) any {
	lo, hi := bounds(s, 0.01)
	v := lo + g.rng.Float64()*(hi-lo)
	if s.MultipleOf != nil && *s.MultipleOf > 0 {
		m := *s.MultipleOf
		v = math.Ceil(lo/m) * m
		return v
	}
	return math.Round(v*100) / 100
}

func (g *Generator) str(s *openapi3.Schema) string {
	v := g.format(s)
	if v == "" && s.Pattern != "" {
		v = g.pattern(s.Pattern)
	}
	if v == "" {
		n := 8
		if s.MaxLength != nil && int(*s.MaxLength) < n {
			n = int(*s.MaxLength)
		}
		n = max(n, int(s.MinLength))
		return g.word(n)
	}
	// Pad or cut a format's value only when the bounds demand it.
	if r := []rune(v); s.MaxLength != nil && uint64(len(r)) > *s.MaxLength {
		v = string(r[:*s.MaxLength])
	}
	for uint64(len([]rune(v))) < s.MinLength {
		v += "x"
	}
	return v
}

func (g *Generator) format(s *openapi3.Schema) string {
	r := g.rng
	switch s.Format {
	case "date-time":
		return baseTime.Add(time.Duration(r.IntN(365*24*3600)) * time.Second).Format(time.RFC3339)
	case "date":
		return baseTime.AddDate(0, 0, r.IntN(365)).Format(time.DateOnly)
	case "time":
		return fmt.Sprintf("%02d:%02d:%02dZ", r.IntN(24), r.IntN(60), r.IntN(60))
	case "uuid":
		var b [16]byte
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
	case "email", "idn-email":
		return g.word(6) + "@example.com"
	case "uri", "url", "iri":
		return "https://example.com/" + g.word(6)
	case "uri-reference", "iri-reference":
		return "/" + g.word(6)
	case "hostname", "idn-hostname":
		return g.word(6) + ".example.com"
	case "ipv4":
		return fmt.Sprintf("192.0.2.%d", 1+r.IntN(254))
	case "ipv6":
		return fmt.Sprintf("2001:db8::%x", 1+r.IntN(0xfffe))
	case "byte":
		return base64.StdEncoding.EncodeToString([]byte(g.word(6)))
	case "duration":
		return fmt.Sprintf("PT%dS", 1+r.IntN(3600))
	}
	return ""
}

const letters = "abcdefghijklmnopqrstuvwxyz"

func (g *Generator) word(n int) string {
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(letters[g.rng.IntN(len(letters))])
	}
	return b.String()
}

// pattern returns a string matching the regular expression, or "" when the
// expression is beyond what the generator (or Go's regexp) handles.
func (g *Generator) pattern(expr string) string {
	re, err := regexp.Compile(expr)
	if err != nil {
		return ""
	}
	for range 4 {
		if v, ok := g.fromRegexp(expr); ok && re.MatchString(v) {
			return v
		}
	}
	return ""
}
