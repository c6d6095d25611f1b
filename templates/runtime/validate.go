package runtime

import (
	"encoding/base64"
	"fmt"
	"math"
	"net/http"
	"net/mail"
	"net/netip"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// Violation is one way a request breaks its contract. Body violations carry
// a JSON pointer (RFC 6901) into the body ("" is the whole body); parameter
// violations name the parameter and where it is sent.
type Violation struct {
	In        string `json:"in"` // body, path, query, header or cookie
	Parameter string `json:"parameter,omitempty"`
	Pointer   string `json:"pointer"`
	Detail    string `json:"detail"`
}

func (v Violation) String() string {
	if v.In == "body" {
		return v.Pointer + ": " + v.Detail
	}
	return v.In + " parameter " + v.Parameter + ": " + v.Detail
}

// rtMaxViolations caps the violations one answer lists: enough to fix a
// request in one round trip, too few to make a huge invalid body an
// amplification of work or response size.
const rtMaxViolations = 50

// Violations collects the violations of one request. Its zero value is
// ready; nothing is allocated while a request is valid.
//
//accord:generated-only
type Violations struct {
	list      []Violation
	truncated bool
	// in and param say where the value being checked came from: "" is
	// the body, else a parameter's location and name.
	in, param string
	syntax    bool // the body is not JSON
	// n counts violations without recording them, for the trial runs of
	// oneOf/anyOf alternatives.
	n     int
	count bool
}

func (v *Violations) ok() bool { return v.n == 0 && len(v.list) == 0 }

// Full says no further violation will be recorded; generated loops stop early.
func (v *Violations) Full() bool { return v.truncated || (v.count && v.n > 0) }

// At says where the values checked next come from: a parameter's location
// and name, or ("", "") for the body.
func (v *Violations) At(in, param string) { v.in, v.param = in, param }

// Add records a violation at p (nil: the value itself).
func (v *Violations) Add(p *JSONPointer, detail string) {
	if v.count {
		v.n++
		return
	}
	if len(v.list) >= rtMaxViolations {
		v.truncated = true
		return
	}
	in := v.in
	if in == "" {
		in = "body"
	}
	v.list = append(v.list, Violation{In: in, Parameter: v.param, Pointer: p.String(), Detail: detail})
}

// Matches reports whether x passes f, for anyOf, oneOf and not: the trial
// run only counts, and stops at the first violation.
//
//accord:generated-only
func Matches(f func(any, *JSONPointer, *Violations), x any, v *Violations) bool {
	// The trial counts on v itself, its list untouched: a collector of its
	// own would escape through f and cost an allocation per trial.
	count, n := v.count, v.n
	v.count, v.n = true, 0
	f(x, nil, v)
	ok := v.n == 0
	v.count, v.n = count, n
	return ok
}

// JSONPointer is a JSON pointer built as a chain of stack frames, turned into a
// string only when a violation is recorded: a valid request pays nothing.
//
//accord:generated-only
type JSONPointer struct {
	Up    *JSONPointer
	Key   string // the property name, unless Array
	Index int    // the item index, when Array
	Array bool
}

func (p *JSONPointer) String() string {
	if p == nil {
		return ""
	}
	return string(p.appendTo(make([]byte, 0, 32)))
}

// appendTo copies bytes, never p's strings, so that no pointer of the chain
// leaks: the chain's frames then stay on the stack.
func (p *JSONPointer) appendTo(b []byte) []byte {
	if p == nil {
		return b
	}
	b = append(p.Up.appendTo(b), '/')
	if p.Array {
		return strconv.AppendInt(b, int64(p.Index), 10)
	}
	for i := 0; i < len(p.Key); i++ {
		switch c := p.Key[i]; c {
		case '~':
			b = append(b, '~', '0')
		case '/':
			b = append(b, '~', '1')
		default:
			b = append(b, c)
		}
	}
	return b
}

// rtTypeName names a decoded JSON value's type for a violation's detail.
func rtTypeName(x any) string {
	switch x := x.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if x == math.Trunc(x) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return fmt.Sprintf("%T", x)
}

// IsInteger is called by generated validators.
//
//accord:generated-only
func IsInteger(f float64) bool { return f == math.Trunc(f) && !math.IsInf(f, 0) }

// MultipleOf tolerates the rounding of decimal fractions in binary
// (0.3 is a multiple of 0.1), as JSON Schema validators commonly do.
//
//accord:generated-only
func MultipleOf(f, m float64) bool {
	q := f / m
	if math.IsInf(q, 0) || math.IsNaN(q) {
		return false
	}
	return math.Abs(q-math.Round(q)) < 1e-9
}

// RuneCount is called by generated validators.
//
//accord:generated-only
func RuneCount(s string) int { return utf8.RuneCountInString(s) }

func rtFmtNum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// FormatValid reports whether s is in one of the formats the validator checks.
//
//accord:generated-only
func FormatValid(format, s string) bool {
	switch format {
	case "date-time":
		_, err := time.Parse(time.RFC3339Nano, s)
		return err == nil
	case "date":
		_, err := time.Parse(time.DateOnly, s)
		return err == nil
	case "uuid":
		return rtIsUUID(s)
	case "email":
		a, err := mail.ParseAddress(s)
		return err == nil && a.Address == s
	case "uri":
		u, err := url.Parse(s)
		return err == nil && u.Scheme != ""
	case "ipv4":
		a, err := netip.ParseAddr(s)
		return err == nil && a.Is4()
	case "ipv6":
		a, err := netip.ParseAddr(s)
		return err == nil && a.Is6() && a.Zone() == ""
	case "byte":
		_, err := base64.StdEncoding.DecodeString(s)
		return err == nil
	}
	return true
}

func rtIsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < 36; i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}

// JSONEqual compares two decoded JSON values (enum, const, uniqueItems).
//
//accord:generated-only
func JSONEqual(a, b any) bool {
	switch a := a.(type) {
	case nil:
		return b == nil
	case bool:
		b, ok := b.(bool)
		return ok && a == b
	case float64:
		b, ok := b.(float64)
		return ok && a == b
	case string:
		b, ok := b.(string)
		return ok && a == b
	case []any:
		b, ok := b.([]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for i := range a {
			if !JSONEqual(a[i], b[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		b, ok := b.(map[string]any)
		if !ok || len(a) != len(b) {
			return false
		}
		for k, av := range a {
			bv, ok := b[k]
			if !ok || !JSONEqual(av, bv) {
				return false
			}
		}
		return true
	}
	return false
}

// UniqueItems reports whether no two items are equal. Quadratic, but arrays
// whose items must be unique are short in practice and bodies are bounded.
//
//accord:generated-only
func UniqueItems(items []any) bool {
	for i := range items {
		for j := i + 1; j < len(items); j++ {
			if JSONEqual(items[i], items[j]) {
				return false
			}
		}
	}
	return true
}

// ParamValue converts a parameter's raw text to the JSON value its schema
// type says, so that parameters and bodies are checked by the same code.
// typ is the schema's type ("" for untyped: the text as a string).
//
//accord:generated-only
func ParamValue(typ, raw string) (any, bool) {
	switch typ {
	case "integer":
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return nil, false
		}
		return float64(n), true
	case "number":
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return nil, false
		}
		return f, true
	case "boolean":
		switch raw {
		case "true":
			return true, true
		case "false":
			return false, true
		}
		return nil, false
	}
	return raw, true
}

// ParamArray splits an array parameter's values by its style: exploded
// form repeats the name (sep "": values as given), the other styles join
// the items with sep in one value.
//
//accord:generated-only
func ParamArray(values []string, sep string) []string {
	if sep == "" {
		return values
	}
	if len(values) == 0 {
		return nil
	}
	if values[0] == "" {
		return []string{}
	}
	return strings.Split(values[0], sep)
}

// ExtraKeys lists, sorted, the keys of m that known does not accept; nil,
// without allocating, when there are none.
//
//accord:generated-only
func ExtraKeys(m map[string]any, known func(string) bool) []string {
	n := 0
	for k := range m {
		if !known(k) {
			n++
		}
	}
	if n == 0 {
		return nil
	}
	out := make([]string, 0, n)
	for k := range m {
		if !known(k) {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// CountTrue is called by generated validators.
//
//accord:generated-only
func CountTrue(ok bool) int {
	if ok {
		return 1
	}
	return 0
}

// NonEmpty is a path value as a parameter's values: none when empty.
//
//accord:generated-only
func NonEmpty(s string) []string {
	if s == "" {
		return nil
	}
	return []string{s}
}

// CookieValues is a cookie as a parameter's values.
//
//accord:generated-only
func CookieValues(r *http.Request, name string) []string {
	c, err := r.Cookie(name)
	if err != nil {
		return nil // http.ErrNoCookie: the only error Cookie returns
	}
	return []string{c.Value}
}
