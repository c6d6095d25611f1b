package pact

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/contracts"
)

// requestBody checks the body the consumer sends in full: the provider
// must accept exactly that.
func (c *checker) requestBody(cur *current) {
	b := cur.in.Request.Body
	rb := cur.op.RequestBody
	ptr := contracts.Pointer("paths", cur.tmpl, strings.ToLower(cur.method), "requestBody")
	if rb == nil || rb.Value == nil || len(rb.Value.Content) == 0 {
		if b.Present && len(b.Raw) > 0 {
			c.add(cur, KindUnexpectedBody, SeverityError, 0, "", "the request has a body; the operation declares none")
		}
		return
	}
	if !b.Present {
		if rb.Value.Required {
			c.add(cur, KindMissingBody, SeverityError, 0, ptr, "the operation requires a request body; the request has none")
		}
		return
	}
	ct, mt := media(rb.Value.Content, b)
	if mt == nil {
		c.add(cur, KindUnsupportedMedia, SeverityError, 0, ptr, fmt.Sprintf("the request's Content-Type %q is not declared (declared: %s)",
			b.ContentType, strings.Join(keys(rb.Value.Content), ", ")))
		return
	}
	if !b.JSON || !isJSONType(ct) || mt.Schema == nil || mt.Schema.Value == nil {
		return
	}
	var v any
	if err := json.Unmarshal(b.Raw, &v); err != nil {
		c.add(cur, KindInvalidRequestBody, SeverityError, 0, ptr, "the request body is not JSON: "+err.Error())
		return
	}
	opts := append([]openapi3.SchemaValidationOption{openapi3.VisitAsRequest()}, c.opts...)
	if err := mt.Schema.Value.VisitJSON(v, opts...); err != nil {
		c.add(cur, KindInvalidRequestBody, SeverityError, 0, ptr+"/content/"+escape(ct)+"/schema", "the request body does not match its schema: "+schemaErrors(err))
	}
}

// media finds the declared media type of a body: its own Content-Type, else
// for a JSON body the first JSON media type declared.
func media(content openapi3.Content, b Body) (string, *openapi3.MediaType) {
	if b.ContentType != "" {
		ct, _, _ := strings.Cut(b.ContentType, ";")
		ct = strings.TrimSpace(ct)
		if mt := content.Get(b.ContentType); mt != nil {
			for _, k := range keys(content) {
				if content[k] == mt {
					return k, mt
				}
			}
			return ct, mt
		}
		return ct, nil
	}
	if b.JSON {
		for _, k := range keys(content) {
			if isJSONType(k) {
				return k, content[k]
			}
		}
	}
	return "", nil
}

// response checks what the consumer expects: a declared status, declared
// headers with valid values, and a body that is a valid part of what the
// provider promises. The consumer may leave out fields (required is not
// enforced), but every field it expects must be declared: a consumer
// relying on an undocumented field breaks when the provider drops it.
func (c *checker) response(cur *current) {
	r := cur.in.Response
	key, resp := declared(cur.op, r.Status)
	if resp == nil {
		c.add(cur, KindUndeclaredStatus, SeverityError, r.Status, contracts.Pointer("paths", cur.tmpl, strings.ToLower(cur.method), "responses"),
			fmt.Sprintf("status %d is not declared (declared: %s)", r.Status, strings.Join(keys(cur.op.Responses.Map()), ", ")))
		return
	}
	ptr := contracts.Pointer("paths", cur.tmpl, strings.ToLower(cur.method), "responses", key)
	names := make([]string, 0, len(r.Header))
	for k := range r.Header {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, name := range names {
		if name == "Content-Type" {
			continue
		}
		var hr *openapi3.HeaderRef
		for k, v := range resp.Headers {
			if strings.EqualFold(k, name) {
				hr = v
			}
		}
		if hr == nil || hr.Value == nil {
			c.add(cur, KindUndeclaredHeader, SeverityWarning, r.Status, ptr, fmt.Sprintf("the consumer expects the header %s, which the %s response does not declare", name, key))
			continue
		}
		if s := hr.Value.Schema; s != nil && s.Value != nil {
			v := r.Header.Get(name)
			if err := s.Value.VisitJSON(scalar(s.Value, v), c.opts...); err != nil {
				c.add(cur, KindInvalidHeader, SeverityError, r.Status, ptr+"/headers/"+escape(name), fmt.Sprintf("header %s: %q: %s", name, v, schemaErrors(err)))
			}
		}
	}
	b := r.Body
	if !b.Present {
		return
	}
	if len(resp.Content) == 0 {
		if len(b.Raw) > 0 {
			c.add(cur, KindUndeclaredBody, SeverityError, r.Status, ptr, fmt.Sprintf("the consumer expects a body; the %s response declares none", key))
		}
		return
	}
	ct, mt := media(resp.Content, b)
	if mt == nil {
		c.add(cur, KindUnsupportedMedia, SeverityError, r.Status, ptr, fmt.Sprintf("the response Content-Type %q is not declared for %s (declared: %s)",
			b.ContentType, key, strings.Join(keys(resp.Content), ", ")))
		return
	}
	if !b.JSON || !isJSONType(ct) || mt.Schema == nil || mt.Schema.Value == nil {
		return
	}
	var v any
	if err := json.Unmarshal(b.Raw, &v); err != nil {
		c.add(cur, KindInvalidResponseBody, SeverityError, r.Status, ptr, "the expected body is not JSON: "+err.Error())
		return
	}
	sptr := ptr + "/content/" + escape(ct) + "/schema"
	var w walk
	c.subset(&w, v, mt.Schema.Value, "")
	for _, p := range w.unknown {
		c.add(cur, KindUnknownProperty, SeverityError, r.Status, sptr, fmt.Sprintf("the consumer expects #%s, which the provider does not declare", p))
	}
	if len(w.invalid) > 0 {
		c.add(cur, KindInvalidResponseBody, SeverityError, r.Status, sptr, "the expected body does not match its schema: "+strings.Join(first(w.invalid, 5), "; "))
	}
}

func first(s []string, n int) []string {
	if len(s) > n {
		return append(s[:n:n], fmt.Sprintf("and %d more", len(s)-n))
	}
	return s
}

// walk collects what subset finds.
type walk struct {
	unknown []string
	invalid []string
}

// subset checks that v is a valid part of a value of s: object properties
// must be declared and valid, but required ones may be missing; arrays'
// items and scalars are checked in full.
func (c *checker) subset(w *walk, v any, s *openapi3.Schema, ptr string) {
	if s == nil {
		return
	}
	for _, alts := range []openapi3.SchemaRefs{s.OneOf, s.AnyOf} {
		if len(alts) == 0 {
			continue
		}
		var best *walk
		for _, a := range alts {
			if a == nil || a.Value == nil {
				continue
			}
			var t walk
			c.subset(&t, v, a.Value, ptr)
			if len(t.unknown)+len(t.invalid) == 0 {
				best = &t
				break
			}
			if best == nil || len(t.unknown)+len(t.invalid) < len(best.unknown)+len(best.invalid) {
				best = &t
			}
		}
		if best != nil {
			w.unknown = append(w.unknown, best.unknown...)
			w.invalid = append(w.invalid, best.invalid...)
		}
		return
	}
	switch x := v.(type) {
	case map[string]any:
		if !typeAllows(s, "object") {
			w.invalid = append(w.invalid, fmt.Sprintf("#%s: an object where the schema wants %s", ptr, typeName(s)))
			return
		}
		props, extra, open := objectShape(s)
		for _, k := range keys(x) {
			p := ptr + "/" + escape(k)
			switch {
			case props[k] != nil:
				c.subset(w, x[k], props[k], p)
			case extra != nil:
				c.subset(w, x[k], extra, p)
			case open:
			default:
				w.unknown = append(w.unknown, p)
			}
		}
	case []any:
		if !typeAllows(s, "array") {
			w.invalid = append(w.invalid, fmt.Sprintf("#%s: an array where the schema wants %s", ptr, typeName(s)))
			return
		}
		var items *openapi3.Schema
		for _, sc := range allOf(s) {
			if sc.Items != nil && sc.Items.Value != nil {
				items = sc.Items.Value
			}
		}
		for i, e := range x {
			c.subset(w, e, items, ptr+"/"+strconv.Itoa(i))
		}
	default:
		if err := s.VisitJSON(v, c.opts...); err != nil {
			w.invalid = append(w.invalid, "#"+ptr+strings.TrimPrefix(schemaErrors(err), "#"))
		}
	}
}

// allOf flattens a schema and its allOf members (recursively).
func allOf(s *openapi3.Schema) []*openapi3.Schema {
	out := []*openapi3.Schema{s}
	for _, m := range s.AllOf {
		if m != nil && m.Value != nil {
			out = append(out, allOf(m.Value)...)
		}
	}
	return out
}

// objectShape merges the properties of a schema and its allOf members;
// extra is the schema of additional properties, open says undeclared
// properties are fine (no properties declared at all, or
// additionalProperties: true).
func objectShape(s *openapi3.Schema) (props map[string]*openapi3.Schema, extra *openapi3.Schema, open bool) {
	props = map[string]*openapi3.Schema{}
	declaredAny := false
	for _, sc := range allOf(s) {
		for k, p := range sc.Properties {
			if p != nil && p.Value != nil {
				props[k] = p.Value
				declaredAny = true
			}
		}
		ap := sc.AdditionalProperties
		if ap.Schema != nil && ap.Schema.Value != nil {
			extra = ap.Schema.Value
		}
		if ap.Has != nil && *ap.Has {
			open = true
		}
		if len(sc.OneOf)+len(sc.AnyOf) > 0 {
			open = true // alternatives declare more than this shape shows
		}
	}
	if !declaredAny && extra == nil {
		open = true
	}
	return props, extra, open
}

func typeAllows(s *openapi3.Schema, typ string) bool {
	for _, sc := range allOf(s) {
		if sc.Type != nil && len(sc.Type.Slice()) > 0 && !sc.Type.Includes(typ) {
			return false
		}
	}
	return true
}

func typeName(s *openapi3.Schema) string {
	for _, sc := range allOf(s) {
		if sc.Type != nil && len(sc.Type.Slice()) > 0 {
			return strings.Join(sc.Type.Slice(), " or ")
		}
	}
	return "another type"
}

// declared finds the response a status maps to: exact, range (2XX), default.
func declared(o *openapi3.Operation, status int) (string, *openapi3.Response) {
	if o.Responses == nil {
		return "", nil
	}
	for _, k := range []string{strconv.Itoa(status), strconv.Itoa(status/100) + "XX"} {
		if ref := o.Responses.Value(k); ref != nil && ref.Value != nil {
			return k, ref.Value
		}
	}
	if ref := o.Responses.Default(); ref != nil && ref.Value != nil {
		return "default", ref.Value
	}
	return "", nil
}

func schemaErrors(err error) string {
	var parts []string
	var visit func(error)
	visit = func(e error) {
		if me, ok := e.(openapi3.MultiError); ok {
			for _, x := range me {
				visit(x)
			}
			return
		}
		if se, ok := e.(*openapi3.SchemaError); ok {
			reason := plain(se.Reason)
			if inner, ok := strings.CutPrefix(reason, "#"); ok {
				parts = append(parts, "#"+pointer(se.JSONPointer())+inner)
			} else {
				parts = append(parts, "#"+pointer(se.JSONPointer())+": "+reason)
			}
			return
		}
		parts = append(parts, plain(e.Error()))
	}
	visit(err)
	return strings.Join(first(parts, 5), "; ")
}

// plain turns a JSON Schema 2020 validation error ("jsonschema validation
// failed with URL" then "- at 'ptr': reason" lines) into its reasons.
func plain(msg string) string {
	lines := strings.Split(msg, "\n")
	if len(lines) == 1 || !strings.Contains(lines[0], "jsonschema validation failed") {
		return strings.TrimSpace(lines[0])
	}
	var out []string
	for _, l := range lines[1:] {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "-"))
		if l == "" {
			continue
		}
		if rest, ok := strings.CutPrefix(l, "at '"); ok {
			if ptr, reason, ok := strings.Cut(rest, "': "); ok {
				l = "#" + ptr + ": " + reason
			}
		}
		out = append(out, l)
	}
	return strings.Join(out, "; ")
}

func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(escape(t))
	}
	return b.String()
}

func escape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
