package rules

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/accord-dev/accord/contracts"
	"github.com/getkin/kin-openapi/openapi3"
)

// Helpers shared by the engine (to pair elements) and by checks (to judge
// them), so that both read "the same" the same way.

// RefName is the last token of a $ref: the component name.
func RefName(ref string) string {
	if i := strings.LastIndexByte(ref, '/'); i >= 0 {
		ref = ref[i+1:]
	} else if i := strings.LastIndexByte(ref, '#'); i >= 0 {
		ref = ref[i+1:]
	}
	return strings.ReplaceAll(strings.ReplaceAll(ref, "~1", "/"), "~0", "~")
}

// SunsetOf returns the x-sunset value of a deprecated element, "" when the
// element is not deprecated or has none. The policy pass parses the date.
func SunsetOf(deprecated bool, ext map[string]any) string {
	if !deprecated {
		return ""
	}
	switch v := ext["x-sunset"].(type) {
	case string:
		return strings.TrimSpace(v)
	case time.Time:
		return v.Format("2006-01-02")
	}
	return ""
}

// ValueKey renders a JSON value canonically, so that 1 and 1.0 or a value
// written in YAML and in JSON compare equal.
func ValueKey(x any) string {
	switch v := x.(type) {
	case string:
		return strconv.Quote(v)
	case float64:
		return strconv.FormatFloat(v, 'g', -1, 64)
	case int:
		return strconv.Itoa(v)
	case int64:
		return strconv.FormatInt(v, 10)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "null"
	}
	b, err := json.Marshal(x) // maps marshal with sorted keys
	if err != nil {
		return "?"
	}
	return string(b)
}

// ValueList renders values for Before/After, sorted.
func ValueList(keys []string) string {
	sort.Strings(keys)
	return "[" + join(keys, ", ") + "]"
}

// valueSet indexes values by ValueKey.
func valueSet(values []any) map[string]bool {
	m := make(map[string]bool, len(values))
	for _, x := range values {
		m[ValueKey(x)] = true
	}
	return m
}

// Missing returns the keys of from that are not in to, sorted.
func Missing(from, to []any) []string {
	in := valueSet(to)
	var out []string
	seen := map[string]bool{}
	for _, x := range from {
		k := ValueKey(x)
		if !in[k] && !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// checkedFormats are the formats validators actually enforce: JSON Schema's
// and the OpenAPI format registry's. Any other format (Stripe's "currency",
// "unix-time", a team's "customer-id") is an annotation that no standard
// validator checks, and formats like "binary" and "password" only describe
// how to handle the value; changing them changes nothing on the wire.
var checkedFormats = map[string]bool{
	"date": true, "date-time": true, "time": true, "duration": true,
	"email": true, "idn-email": true, "hostname": true, "idn-hostname": true,
	"ipv4": true, "ipv6": true, "uri": true, "uri-reference": true, "iri": true,
	"iri-reference": true, "uri-template": true, "uuid": true, "json-pointer": true,
	"relative-json-pointer": true, "regex": true, "byte": true,
	"int8": true, "int16": true, "int32": true, "int64": true, "uint8": true,
	"float": true, "double": true, "decimal": true, "decimal128": true, "char": true,
}

// normalFormat drops formats that do not restrict values.
func normalFormat(f string) string {
	if !checkedFormats[f] {
		return ""
	}
	return f
}

// FormatAccepts reports whether a value valid for format from is also valid
// for format to: no format accepts everything, int64 accepts int32 and
// double accepts float.
func FormatAccepts(to, from string) bool {
	to, from = normalFormat(to), normalFormat(from)
	switch {
	case to == from || to == "":
		return true
	case to == "int64" && from == "int32", to == "double" && from == "float":
		return true
	case to == "int64" && from == "", to == "double" && from == "":
		// The widest machine types: what JSON parsers read numbers into
		// anyway, so declaring them restricts nothing in practice.
		return true
	case to == "" && (from == "int64" || from == "double"):
		return true
	}
	return false
}

// MediaKey normalises a media type for matching: lower case, parameters
// (charset, ...) dropped.
func MediaKey(mt string) string {
	if i := strings.IndexByte(mt, ';'); i >= 0 {
		mt = mt[:i]
	}
	return strings.ToLower(strings.TrimSpace(mt))
}

// MediaCovers reports whether media range head accepts media type base.
func MediaCovers(head, base string) bool {
	head, base = MediaKey(head), MediaKey(base)
	if head == base || head == "*/*" {
		return true
	}
	if t, ok := strings.CutSuffix(head, "/*"); ok {
		bt, _, _ := strings.Cut(base, "/")
		return bt == t
	}
	return false
}

// MatchMedia finds the entry of head that serves base's media type: the
// same string; else the same type once parameters are dropped (the
// candidate with the same parameters wins, ties go to the smallest key, so
// the choice never depends on map order); else a range covering it. ok is
// false when none does.
func MatchMedia(base string, head openapi3.Content) (string, bool) {
	if _, ok := head[base]; ok {
		return base, true
	}
	key := MediaKey(base)
	best := ""
	for mt := range head {
		if MediaKey(mt) != key {
			continue
		}
		if strings.EqualFold(mt, base) {
			return mt, true
		}
		if best == "" || mt < best {
			best = mt
		}
	}
	if best != "" {
		return best, true
	}
	for mt := range head {
		if MediaCovers(mt, base) && (best == "" || mt < best) {
			best = mt
		}
	}
	return best, best != ""
}

// IsSuccess reports whether a response key is a 2xx status or the 2XX range.
func IsSuccess(code string) bool {
	return len(code) == 3 && code[0] == '2'
}

func isRange(code string) bool {
	return len(code) == 3 && (code[1] == 'X' || code[1] == 'x')
}

// MatchStatus returns the head responses that answer where base's response
// code did: the same code; for an explicit code, its range; for a range,
// the same range or else the explicit codes inside it.
func MatchStatus(code string, head *openapi3.Responses) []string {
	if head == nil {
		return nil
	}
	if head.Value(code) != nil {
		return []string{code}
	}
	if len(code) != 3 {
		return nil // "default", or a malformed key only an exact match serves
	}
	if !isRange(code) {
		for _, r := range []string{code[:1] + "XX", code[:1] + "xx"} {
			if head.Value(r) != nil {
				return []string{r}
			}
		}
		return nil
	}
	for _, r := range []string{strings.ToUpper(code), strings.ToLower(code)} {
		if head.Value(r) != nil {
			return []string{r}
		}
	}
	var out []string
	for k := range head.Map() {
		if !isRange(k) && len(k) == 3 && k[0] == code[0] {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func itoa(i int) string { return strconv.Itoa(i) }

func join(xs []string, sep string) string { return strings.Join(xs, sep) }

func sprintf(format string, args ...any) string { return fmt.Sprintf(format, args...) }

// MessageName names an AsyncAPI message: its key, name, or title.
func MessageName(m *contracts.Message) string {
	for _, s := range []string{m.Key, m.Name, RefName(m.Ref), m.Title} {
		if s != "" {
			return s
		}
	}
	return "message"
}
