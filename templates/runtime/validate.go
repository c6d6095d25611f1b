package runtime

import (
	"encoding/base64"
	"math"
	"net/http"
	"net/mail"
	"net/netip"
	"net/url"
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
	doc   *JSONDoc // parameters' values, reused (ParamValue)
}

// scratch is v's document for parameter values, emptied.
func (v *Violations) scratch() *JSONDoc {
	if v.doc == nil {
		v.doc = &JSONDoc{}
	}
	v.doc.reset(nil)
	return v.doc
}

func (v *Violations) ok() bool { return v.n == 0 && len(v.list) == 0 }

// Full says no further violation will be recorded; generated loops stop early.
func (v *Violations) Full() bool { return v.truncated || (v.count && v.n > 0) }

// At says where the values checked next come from: a parameter's location
// and name, or ("", "") for the body.
func (v *Violations) At(in, param string) { v.in, v.param = in, param }

// Add records a violation of x, a value of the document being checked.
// Its pointer is found from x's place in the document, only now: checking
// a valid request builds no pointers.
func (v *Violations) Add(x JSON, detail string) {
	if v.count {
		v.n++
		return
	}
	if x.d == nil {
		v.addAt("", detail)
		return
	}
	v.addAt(rtPointerTo(x.d, x.i), detail)
}

// AddMember records a violation of x's member name, which may be absent
// (a required member).
func (v *Violations) AddMember(x JSON, name, detail string) {
	if v.count {
		v.n++
		return
	}
	v.addAt(rtPointerTo(x.d, x.i)+"/"+string(rtAppendEscaped(nil, name)), detail)
}

// Fail records a violation of the value being checked as a whole: a
// missing parameter, a body that is not JSON.
func (v *Violations) Fail(detail string) { v.addAt("", detail) }

func (v *Violations) addAt(pointer, detail string) {
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
	v.list = append(v.list, Violation{In: in, Parameter: v.param, Pointer: pointer, Detail: detail})
}

// Matches reports whether x passes f, for anyOf, oneOf and not: the trial
// run only counts, and stops at the first violation.
//
//accord:generated-only
func Matches(f func(JSON, *Violations), x JSON, v *Violations) bool {
	// The trial counts on v itself, its list untouched: a collector of its
	// own would escape through f and cost an allocation per trial.
	count, n := v.count, v.n
	v.count, v.n = true, 0
	f(x, v)
	ok := v.n == 0
	v.count, v.n = count, n
	return ok
}

// rtAppendEscaped appends a member name as a JSON pointer token (RFC 6901).
func rtAppendEscaped[S string | []byte](b []byte, key S) []byte {
	for i := 0; i < len(key); i++ {
		switch c := key[i]; c {
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
func RuneCount(s []byte) int { return utf8.RuneCount(s) }

func rtFmtNum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// FormatValid reports whether s is in one of the formats the validator
// checks. date-time, date and uuid, the common ones, are read in place;
// the others convert s to a string (an allocation).
//
//accord:generated-only
func FormatValid(format string, s []byte) bool {
	switch format {
	case "date-time":
		return rtIsDateTime(s)
	case "date":
		return len(s) == len(time.DateOnly) && rtIsDate(s)
	case "uuid":
		return rtIsUUID(s)
	case "email":
		a, err := mail.ParseAddress(string(s))
		return err == nil && a.Address == string(s)
	case "uri":
		u, err := url.Parse(string(s))
		return err == nil && u.Scheme != ""
	case "ipv4":
		a, err := netip.ParseAddr(string(s))
		return err == nil && a.Is4()
	case "ipv6":
		a, err := netip.ParseAddr(string(s))
		return err == nil && a.Is6() && a.Zone() == ""
	case "byte":
		_, err := base64.StdEncoding.DecodeString(string(s))
		return err == nil
	}
	return true
}

// rtIsDateTime accepts what time.Time's JSON decoding accepts on its
// strict path: RFC 3339 with a 'T', seconds 00-59, a day that exists.
func rtIsDateTime(s []byte) bool {
	if len(s) < len("2006-01-02T15:04:05Z") || !rtIsDate(s[:10]) || s[10] != 'T' ||
		!rtNum2(s[11:13], 23) || s[13] != ':' || !rtNum2(s[14:16], 59) || s[16] != ':' || !rtNum2(s[17:19], 59) {
		return false
	}
	s = s[19:]
	if len(s) >= 2 && s[0] == '.' {
		n := 1
		for n < len(s) && '0' <= s[n] && s[n] <= '9' {
			n++
		}
		if n == 1 {
			return false
		}
		s = s[n:]
	}
	if len(s) == 1 {
		return s[0] == 'Z'
	}
	return len(s) == 6 && (s[0] == '+' || s[0] == '-') && rtNum2(s[1:3], 23) && s[3] == ':' && rtNum2(s[4:6], 59)
}

// rtIsDate accepts YYYY-MM-DD naming a day that exists.
func rtIsDate(s []byte) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' || !rtNum2(s[5:7], 12) || !rtNum2(s[8:10], 31) {
		return false
	}
	year := 0
	for _, c := range s[:4] {
		if c < '0' || c > '9' {
			return false
		}
		year = year*10 + int(c-'0')
	}
	month := time.Month(10*(s[5]-'0') + s[6] - '0')
	day := int(10*(s[8]-'0') + s[9] - '0')
	// The day after the month's last is the next month's first.
	last := time.Date(year, month+1, 0, 0, 0, 0, 0, time.UTC).Day()
	return month >= 1 && day >= 1 && day <= last
}

// rtNum2 accepts two digits of at most max.
func rtNum2(s []byte, max int) bool {
	return len(s) == 2 && '0' <= s[0] && s[0] <= '9' && '0' <= s[1] && s[1] <= '9' && int(10*(s[0]-'0')+s[1]-'0') <= max
}

func rtIsUUID(s []byte) bool {
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

// UniqueItems reports whether no two items of the array x are equal.
// Quadratic, but arrays whose items must be unique are short in practice
// and bodies are bounded.
//
//accord:generated-only
func UniqueItems(x JSON) bool {
	for a := x.Items(); a.Next(); {
		b := a
		for b.Next() {
			if a.Value().Same(b.Value()) {
				return false
			}
		}
	}
	return true
}

// ParamValue converts a parameter's raw text to the JSON value its schema
// type says, so that parameters and bodies are checked by the same code.
// typ is the schema's type ("" for untyped: the text as a string). The
// value lives in v's scratch document until the next ParamValue or
// ParamItems call.
//
//accord:generated-only
func ParamValue(v *Violations, typ, raw string) (JSON, bool) {
	d := v.scratch()
	n, ok := rtParamNode(d, typ, raw)
	if !ok {
		return JSON{}, false
	}
	d.nodes = append(d.nodes, n)
	return JSON{d, 0}, true
}

// ParamItems is ParamValue for an array parameter: values split by the
// style's separator (sep "" for exploded form: the values as given), each
// item converted to itemType. Items that do not convert are violations
// (detail); ok is false when there were any.
//
//accord:generated-only
func ParamItems(v *Violations, values []string, sep, itemType, detail string) (JSON, bool) {
	d := v.scratch()
	d.nodes = append(d.nodes, rtJSONNode{kind: JSONArray})
	ok := true
	item := func(raw string) {
		i := len(d.nodes) - 1
		n, good := rtParamNode(d, itemType, raw)
		if !good {
			v.addAt("/"+strconv.Itoa(i), detail)
			ok = false
		}
		d.nodes = append(d.nodes, n)
	}
	switch {
	case sep == "":
		for _, raw := range values {
			item(raw)
		}
	case len(values) > 0 && values[0] != "":
		for raw := range strings.SplitSeq(values[0], sep) {
			item(raw)
		}
	}
	d.nodes[0].n, d.nodes[0].next = int32(len(d.nodes)-1), int32(len(d.nodes))
	return JSON{d, 0}, ok
}

func rtParamNode(d *JSONDoc, typ, raw string) (rtJSONNode, bool) {
	next := int32(len(d.nodes) + 1)
	switch typ {
	case "integer":
		n, err := strconv.ParseInt(raw, 10, 64)
		if err != nil {
			return rtJSONNode{}, false
		}
		return rtJSONNode{kind: JSONNumber, num: float64(n), next: next}, true
	case "number":
		f, err := strconv.ParseFloat(raw, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return rtJSONNode{}, false
		}
		return rtJSONNode{kind: JSONNumber, num: f, next: next}, true
	case "boolean":
		switch raw {
		case "true":
			return rtJSONNode{kind: JSONBool, num: 1, next: next}, true
		case "false":
			return rtJSONNode{kind: JSONBool, next: next}, true
		}
		return rtJSONNode{}, false
	}
	off := len(d.text)
	d.text = append(d.text, raw...)
	return rtJSONNode{kind: JSONString, esc: true, off: int32(off), end: int32(len(d.text)), next: next}, true
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

// PathValues is a path value as a parameter's values, appended to buf:
// none when empty. A caller's stack array as buf keeps it from allocating.
//
//accord:generated-only
func PathValues(r *http.Request, name string, buf []string) []string {
	if s := r.PathValue(name); s != "" {
		return append(buf, s)
	}
	return buf
}

// CookieValues is a cookie's value as a parameter's values, appended to
// buf. It reads the Cookie headers as http.Request.Cookie does (the first
// valid cookie of the name), without parsing every cookie into a struct.
//
//accord:generated-only
func CookieValues(r *http.Request, name string, buf []string) []string {
	for _, line := range r.Header["Cookie"] {
		for part := range strings.SplitSeq(line, ";") {
			k, val, _ := strings.Cut(strings.TrimSpace(part), "=")
			if k != name {
				continue
			}
			if len(val) > 1 && val[0] == '"' && val[len(val)-1] == '"' {
				val = val[1 : len(val)-1]
			}
			if rtCookieValueOK(val) {
				return append(buf, val)
			}
		}
	}
	return buf
}

// rtCookieValueOK is net/http's rule for a cookie value's bytes.
func rtCookieValueOK(v string) bool {
	for i := 0; i < len(v); i++ {
		if b := v[i]; !(0x20 <= b && b < 0x7f && b != '"' && b != ';' && b != '\\') {
			return false
		}
	}
	return true
}

// QueryValues is a query parameter's values, appended to buf, as
// url.ParseQuery reads them (pairs split at '&', a pair with ';' or a bad
// escape skipped), without building the whole query's map: the pairs are
// split once per request into v's document and looked up from there.
//
//accord:generated-only
func QueryValues(v *Violations, rawQuery, name string, buf []string) []string {
	if v.doc == nil {
		v.doc = &JSONDoc{}
	}
	d := v.doc
	if !d.queryOK || d.queryRaw != rawQuery {
		d.query, d.queryRaw, d.queryOK = rtSplitQuery(d.query[:0], rawQuery), rawQuery, true
	}
	for _, q := range d.query {
		if q[0] == name {
			buf = append(buf, q[1])
		}
	}
	return buf
}

func rtSplitQuery(out [][2]string, rawQuery string) [][2]string {
	for pair := range strings.SplitSeq(rawQuery, "&") {
		if pair == "" || strings.Contains(pair, ";") {
			continue
		}
		k, val, _ := strings.Cut(pair, "=")
		if rtEscaped(k) {
			u, err := url.QueryUnescape(k)
			if err != nil {
				continue
			}
			k = u
		}
		if rtEscaped(val) {
			u, err := url.QueryUnescape(val)
			if err != nil {
				continue
			}
			val = u
		}
		out = append(out, [2]string{k, val})
	}
	return out
}

func rtEscaped(s string) bool {
	return strings.IndexByte(s, '%') >= 0 || strings.IndexByte(s, '+') >= 0
}
