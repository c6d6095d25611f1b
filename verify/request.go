package verify

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/mock"
)

// request is one request to send, before signing.
type request struct {
	path   string
	query  url.Values
	header http.Header
	body   []byte
	// schema is the JSON request body's schema, for the negative probes.
	schema *openapi3.Schema
}

// build makes the valid request of an operation from its examples, else
// from its schemas; skip says why an operation cannot be probed.
func (r *runner) build(o op) (request, string) {
	g := mock.NewGenerator(r.o.Seed, o.id, mock.Request)
	rq := request{query: url.Values{}, header: http.Header{}}
	var path strings.Builder
	for i, seg := range strings.Split(o.path, "/") {
		if i > 0 {
			path.WriteByte('/')
		}
		path.WriteString(r.expand(o, seg, g))
	}
	rq.path = path.String()
	for _, p := range params(o.item, o.op) {
		if p.In == openapi3.ParameterInPath || !p.Required {
			continue
		}
		if p.In == openapi3.ParameterInHeader && http.CanonicalHeaderKey(p.Name) == idempotencyHeaderName {
			continue
		}
		v := paramValue(p, g)
		switch p.In {
		case openapi3.ParameterInQuery:
			rq.query.Set(p.Name, v)
		case openapi3.ParameterInHeader:
			rq.header.Set(p.Name, v)
		case openapi3.ParameterInCookie:
			rq.header.Add("Cookie", (&http.Cookie{Name: p.Name, Value: v}).String())
		}
	}
	if o.keyed {
		rq.header.Set(idempotencyHeaderName, newKey())
	}
	r.credentials(o, rq.header)
	if rb := o.op.RequestBody; rb != nil && rb.Value != nil && len(rb.Value.Content) > 0 {
		ct, mt := jsonMedia(rb.Value.Content)
		if mt == nil {
			if rb.Value.Required {
				return rq, fmt.Sprintf("skipped: request bodies of %s are not synthesised", strings.Join(sortedKeys(rb.Value.Content), ", "))
			}
		} else {
			v, ok := example(mt)
			if !ok {
				v = g.Value(mt.Schema)
			}
			body, err := json.Marshal(v)
			if err != nil {
				return rq, "skipped: the request example does not encode as JSON: " + err.Error()
			}
			rq.body = body
			rq.header.Set("Content-Type", ct)
			if mt.Schema != nil {
				rq.schema = mt.Schema.Value
			}
		}
	}
	return rq, ""
}

// expand fills one path segment's parameters: an id the run created for
// this collection, else the parameter's example, else a synthesised value.
func (r *runner) expand(o op, seg string, g *mock.Generator) string {
	if !strings.Contains(seg, "{") {
		return seg
	}
	parent := o.path[:strings.Index(o.path, seg)]
	out := seg
	for _, p := range params(o.item, o.op) {
		if p.In != openapi3.ParameterInPath || !strings.Contains(seg, "{"+p.Name+"}") {
			continue
		}
		v := ""
		if id, ok := r.created[strings.TrimSuffix(parent, "/")]; ok && seg == "{"+p.Name+"}" {
			v = id
		} else {
			v = paramValue(p, g)
		}
		out = strings.ReplaceAll(out, "{"+p.Name+"}", url.PathEscape(v))
	}
	return out
}

func paramValue(p *openapi3.Parameter, g *mock.Generator) string {
	var v any
	switch {
	case p.Example != nil:
		v = p.Example
	case len(p.Examples) > 0:
		for _, k := range sortedKeys(p.Examples) {
			if ex := p.Examples[k]; ex != nil && ex.Value != nil {
				v = ex.Value.Value
				break
			}
		}
	}
	if v == nil {
		v = g.Value(p.Schema)
	}
	switch x := v.(type) {
	case string:
		return x
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			parts[i] = fmt.Sprint(e)
		}
		return strings.Join(parts, ",")
	case nil:
		return "x"
	}
	return fmt.Sprint(v)
}

// credentials sets what the first security requirement the options can
// satisfy asks for.
func (r *runner) credentials(o op, h http.Header) {
	reqs := r.doc.OpenAPI.Security
	if o.op.Security != nil {
		reqs = *o.op.Security
	}
	comps := r.doc.OpenAPI.Components
	if comps == nil {
		return
	}
	for _, req := range reqs {
		for name := range req {
			ref := comps.SecuritySchemes[name]
			cred, ok := r.o.Credentials[name]
			if ref == nil || ref.Value == nil || !ok {
				continue
			}
			sc := ref.Value
			switch {
			case sc.Type == "http" && strings.EqualFold(sc.Scheme, "basic"):
				h.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(cred)))
			case sc.Type == "http":
				h.Set("Authorization", sc.Scheme+" "+cred)
			case sc.Type == "oauth2" || sc.Type == "openIdConnect":
				h.Set("Authorization", "Bearer "+cred)
			case sc.Type == "apiKey" && sc.In == "header":
				h.Set(sc.Name, cred)
			case sc.Type == "apiKey" && sc.In == "cookie":
				h.Add("Cookie", (&http.Cookie{Name: sc.Name, Value: cred}).String())
			}
		}
	}
}

func jsonMedia(content openapi3.Content) (string, *openapi3.MediaType) {
	for _, ct := range sortedKeys(content) {
		if ct == "application/json" || strings.HasSuffix(ct, "+json") || strings.HasSuffix(ct, "/json") {
			return ct, content[ct]
		}
	}
	return "", nil
}

func example(mt *openapi3.MediaType) (any, bool) {
	if mt.Example != nil {
		return mt.Example, true
	}
	for _, k := range sortedKeys(mt.Examples) {
		if ex := mt.Examples[k]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
			return ex.Value.Value, true
		}
	}
	return nil, false
}

// checkResponse reports an undeclared status, missing or invalid declared
// headers, and a body its schema does not allow.
func (r *runner) checkResponse(o op, res *result) {
	resp := declared(o.op, res.status)
	if resp == nil {
		r.add(o, KindUndeclaredStatus, SeverityError, res.status,
			fmt.Sprintf("status %d is not declared (declared: %s)", res.status, strings.Join(sortedKeys(o.op.Responses.Map()), ", ")))
		return
	}
	opts := []openapi3.SchemaValidationOption{openapi3.VisitAsResponse(), openapi3.MultiErrors(),
		// Formats kin-openapi leaves unchecked by default, per validation
		// (never registered process-wide).
		openapi3.WithStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
		openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
	}
	if r.doc.OpenAPI.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.EnableJSONSchema2020())
	}
	for _, name := range sortedKeys(resp.Headers) {
		hr := resp.Headers[name]
		if hr == nil || hr.Value == nil || strings.EqualFold(name, "Content-Type") {
			continue
		}
		v := res.header.Get(name)
		if v == "" {
			if hr.Value.Required {
				r.add(o, KindMissingHeader, SeverityError, res.status, fmt.Sprintf("the %d answer lacks the required header %s", res.status, name))
			}
			continue
		}
		if hr.Value.Schema != nil && hr.Value.Schema.Value != nil {
			if err := hr.Value.Schema.Value.VisitJSON(headerValue(hr.Value.Schema.Value, v), opts...); err != nil {
				r.add(o, KindInvalidHeader, SeverityError, res.status, fmt.Sprintf("header %s: %q: %s", name, v, firstLine(err)))
			}
		}
	}
	if len(resp.Content) == 0 {
		return
	}
	ct := res.header.Get("Content-Type")
	mt := resp.Content.Get(ct)
	if mt == nil {
		if len(res.body) > 0 || ct != "" {
			r.add(o, KindInvalidBody, SeverityError, res.status, fmt.Sprintf("Content-Type %q is not declared for %d (declared: %s)", ct, res.status, strings.Join(sortedKeys(resp.Content), ", ")))
		}
		return
	}
	if mt.Schema == nil || mt.Schema.Value == nil || !isJSONType(ct) {
		return
	}
	var v any
	if err := json.Unmarshal(res.body, &v); err != nil {
		r.add(o, KindInvalidBody, SeverityError, res.status, "the body is not JSON: "+err.Error())
		return
	}
	if err := mt.Schema.Value.VisitJSON(v, opts...); err != nil {
		r.add(o, KindInvalidBody, SeverityError, res.status, "the body does not match its schema: "+schemaErrors(err))
	}
}

// declared finds the response a status maps to: exact, range (2XX), default.
func declared(o *openapi3.Operation, status int) *openapi3.Response {
	if o.Responses == nil {
		return nil
	}
	for _, k := range []string{strconv.Itoa(status), strconv.Itoa(status/100) + "XX"} {
		if ref := o.Responses.Value(k); ref != nil && ref.Value != nil {
			return ref.Value
		}
	}
	if ref := o.Responses.Default(); ref != nil && ref.Value != nil {
		return ref.Value
	}
	return nil
}

func isJSONType(ct string) bool {
	ct, _, _ = strings.Cut(ct, ";")
	ct = strings.TrimSpace(ct)
	return ct == "application/json" || strings.HasSuffix(ct, "+json") || strings.HasSuffix(ct, "/json")
}

// headerValue converts a header string to the schema's type for validation.
func headerValue(s *openapi3.Schema, v string) any {
	if s.Type != nil && (s.Type.Is("integer") || s.Type.Is("number")) {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	}
	if s.Type != nil && s.Type.Is("boolean") {
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return v
}

func schemaErrors(err error) string {
	var parts []string
	var walk func(error)
	walk = func(e error) {
		if me, ok := e.(openapi3.MultiError); ok {
			for _, x := range me {
				walk(x)
			}
			return
		}
		if se, ok := e.(*openapi3.SchemaError); ok {
			parts = append(parts, "#"+jsonPointer(se.JSONPointer())+": "+se.Reason)
			return
		}
		parts = append(parts, firstLine(e))
	}
	walk(err)
	if len(parts) > 5 {
		parts = append(parts[:5], fmt.Sprintf("and %d more", len(parts)-5))
	}
	return strings.Join(parts, "; ")
}

func jsonPointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		b.WriteString(strings.ReplaceAll(strings.ReplaceAll(t, "~", "~0"), "/", "~1"))
	}
	return b.String()
}

func firstLine(err error) string {
	s, _, _ := strings.Cut(err.Error(), "\n")
	return s
}

// negative sends bodies the contract forbids: the wrong JSON type and an
// object missing a required property. A provider must answer 4xx, never 5xx
// and never accept them.
func (r *runner) negative(ctx context.Context, o op, valid request) error {
	if valid.schema == nil || valid.body == nil {
		return nil
	}
	type variant struct{ what, body string }
	var vs []variant
	switch typeOfSchema(valid.schema) {
	case "object":
		vs = append(vs, variant{"a JSON array where an object is required", "[]"})
		var obj map[string]any
		if json.Unmarshal(valid.body, &obj) == nil && len(valid.schema.Required) > 0 {
			missing := valid.schema.Required[0]
			delete(obj, missing)
			b, _ := json.Marshal(obj)
			vs = append(vs, variant{"an object without the required property " + missing, string(b)})
		}
	case "array":
		vs = append(vs, variant{"a JSON object where an array is required", "{}"})
	case "string", "integer", "number", "boolean":
		vs = append(vs, variant{"a JSON object where a " + typeOfSchema(valid.schema) + " is required", `{"unexpected":true}`})
	}
	for _, v := range vs {
		bad := valid
		bad.body = []byte(v.body)
		bad.header = valid.header.Clone()
		if o.keyed {
			bad.header.Set(idempotencyHeaderName, newKey())
		}
		res, err := r.send(ctx, o, bad)
		if err != nil {
			return err
		}
		if res == nil {
			continue
		}
		switch {
		case res.status >= 500:
			r.add(o, KindServerErrorInvalid, SeverityError, res.status, fmt.Sprintf("%s got %d; invalid input must get a 4xx", v.what, res.status))
		case res.status < 400:
			r.add(o, KindAcceptedInvalid, SeverityError, res.status, fmt.Sprintf("%s was accepted with %d", v.what, res.status))
		}
	}
	return nil
}

func typeOfSchema(s *openapi3.Schema) string {
	if s.Type != nil {
		for _, t := range s.Type.Slice() {
			if t != "null" {
				return t
			}
		}
	}
	if len(s.Properties) > 0 || len(s.Required) > 0 {
		return "object"
	}
	if s.Items != nil {
		return "array"
	}
	return ""
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
