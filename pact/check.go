package pact

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/contracts"
)

// Kinds of findings.
const (
	KindUnknownPath         = "unknown-path"
	KindMethodNotAllowed    = "method-not-allowed"
	KindMissingParameter    = "missing-parameter"
	KindInvalidParameter    = "invalid-parameter"
	KindUnknownParameter    = "unknown-parameter"
	KindMissingCredentials  = "missing-credentials"
	KindMissingBody         = "missing-request-body"
	KindUnexpectedBody      = "unexpected-request-body"
	KindUnsupportedMedia    = "unsupported-media-type"
	KindInvalidRequestBody  = "invalid-request-body"
	KindUndeclaredStatus    = "undeclared-status"
	KindInvalidHeader       = "invalid-response-header"
	KindUndeclaredHeader    = "undeclared-response-header"
	KindUndeclaredBody      = "undeclared-response-body"
	KindInvalidResponseBody = "invalid-response-body"
	KindUnknownProperty     = "unknown-response-property"
	SeverityError           = "error"
	SeverityWarning         = "warning"
)

// deliberate says whether a consumer expecting a 4xx may mean a request
// finding of this kind.
func deliberate(kind string) bool {
	switch kind {
	case KindMissingParameter, KindInvalidParameter, KindMissingBody, KindUnexpectedBody, KindUnsupportedMedia, KindInvalidRequestBody:
		return true
	}
	return false
}

// Finding is one way an interaction disagrees with the provider's contract.
type Finding struct {
	// Interaction is the interaction's description, Index its position in
	// the pact's interactions array.
	Interaction string `json:"interaction"`
	Index       int    `json:"index"`
	Operation   string `json:"operation,omitempty"`
	Kind        string `json:"kind"`
	Severity    string `json:"severity"`
	Message     string `json:"message"`
	Method      string `json:"method"`
	Path        string `json:"path"`
	Status      int    `json:"status,omitempty"`
	// Pointer locates what the finding is about in the contract (JSON
	// pointer), Position the same as file:line:col.
	Pointer  string             `json:"pointer,omitempty"`
	Position contracts.Position `json:"position"`
}

// Report is the outcome of a check; its JSON form is part of the CLI contract.
type Report struct {
	Pact         string    `json:"pact"`
	Contract     string    `json:"contract"`
	Consumer     string    `json:"consumer"`
	Provider     string    `json:"provider"`
	Spec         string    `json:"pactSpecification"`
	Interactions int       `json:"interactions"`
	Findings     []Finding `json:"findings"`
	Notes        []string  `json:"notes,omitempty"`
}

// Failed says whether any finding is an error.
func (r *Report) Failed() bool {
	for _, f := range r.Findings {
		if f.Severity == SeverityError {
			return true
		}
	}
	return false
}

// Check checks every HTTP interaction of p against doc. name is how the
// report names the pact file.
func Check(p *Pact, name string, doc *contracts.Document) (*Report, error) {
	if doc.Kind != contracts.KindOpenAPI || doc.OpenAPI == nil {
		return nil, fmt.Errorf("pact check needs an OpenAPI contract; %s is %s", doc.Name, doc.Kind)
	}
	c := &checker{doc: doc, rep: &Report{Pact: name, Contract: doc.Name, Consumer: p.Consumer, Provider: p.Provider, Spec: p.Spec,
		Interactions: len(p.Interactions), Findings: []Finding{}, Notes: append([]string(nil), p.Skipped...)}}
	c.routes = routes(doc.OpenAPI)
	c.bases = basePaths(doc.OpenAPI)
	c.signatures, _ = doc.SignatureSchemes()
	c.opts = []openapi3.SchemaValidationOption{openapi3.MultiErrors(),
		openapi3.WithStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
		openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
	}
	if doc.OpenAPI.IsOpenAPI31OrLater() {
		c.opts = append(c.opts, openapi3.EnableJSONSchema2020())
	}
	for _, in := range p.Interactions {
		c.interaction(in)
	}
	return c.rep, nil
}

type checker struct {
	doc        *contracts.Document
	rep        *Report
	routes     []route
	bases      []string
	signatures map[string]contracts.SignatureScheme
	opts       []openapi3.SchemaValidationOption
}

// current is the interaction and operation findings are about.
type current struct {
	in      Interaction
	op      *openapi3.Operation
	item    *openapi3.PathItem
	tmpl    string
	method  string
	pointer string
}

func (c *checker) add(cur *current, kind, sev string, status int, pointer, msg string) {
	if pointer == "" {
		pointer = cur.pointer
	}
	if st := cur.in.Response.Status; status == 0 && st >= 400 && st < 500 && sev == SeverityError && deliberate(kind) {
		// A consumer testing the provider's refusal sends what the
		// provider refuses; that is the point, not a violation.
		sev = SeverityWarning
		msg += fmt.Sprintf(" (the consumer expects %d, so this may be deliberate)", st)
	}
	f := Finding{Interaction: cur.in.Description, Index: cur.in.Index, Kind: kind, Severity: sev, Message: msg,
		Method: cur.in.Request.Method, Path: cur.in.Request.Path, Status: status, Pointer: pointer}
	if cur.op != nil {
		f.Operation = cur.op.OperationID
	}
	if pointer != "" {
		f.Position = c.doc.Pos(pointer)
	} else {
		f.Position = contracts.Position{File: c.doc.Name}
	}
	c.rep.Findings = append(c.rep.Findings, f)
}

func (c *checker) interaction(in Interaction) {
	cur := &current{in: in}
	rq := in.Request
	u, err := url.Parse(rq.Path)
	path := rq.Path
	if err == nil {
		path = u.Path
	}
	var matched []match
	for _, base := range c.bases {
		rest, ok := strings.CutPrefix(path, base)
		if !ok || (rest != "" && !strings.HasPrefix(rest, "/")) {
			continue
		}
		for _, rt := range c.routes {
			if vals, ok := rt.match(rest); ok {
				matched = append(matched, match{rt, vals})
			}
		}
		if len(matched) > 0 {
			break
		}
	}
	if len(matched) == 0 {
		c.add(cur, KindUnknownPath, SeverityError, 0, "/paths", fmt.Sprintf("no path of the contract matches %s", path))
		return
	}
	sort.SliceStable(matched, func(i, j int) bool { return matched[i].literals > matched[j].literals })
	var chosen *match
	for i := range matched {
		if op := operation(matched[i].item, rq.Method); op != nil {
			chosen = &matched[i]
			break
		}
	}
	if chosen == nil {
		best := matched[0]
		cur.pointer = contracts.Pointer("paths", best.tmpl)
		c.add(cur, KindMethodNotAllowed, SeverityError, 0, "", fmt.Sprintf("%s is not an operation of %s (declared: %s)",
			rq.Method, best.tmpl, strings.Join(methods(best.item), ", ")))
		return
	}
	cur.item, cur.tmpl = chosen.item, chosen.tmpl
	cur.method = rq.Method
	cur.op = operation(chosen.item, rq.Method)
	if rq.Method == http.MethodHead && chosen.item.Head == nil {
		cur.method = http.MethodGet
	}
	cur.pointer = contracts.Pointer("paths", chosen.tmpl, strings.ToLower(cur.method))
	c.parameters(cur, chosen.values)
	c.security(cur)
	c.requestBody(cur)
	c.response(cur)
}

type match struct {
	route
	values map[string]string
}

func operation(item *openapi3.PathItem, method string) *openapi3.Operation {
	if op := item.GetOperation(method); op != nil {
		return op
	}
	if method == http.MethodHead {
		return item.Get // a GET answers HEAD
	}
	return nil
}

func methods(item *openapi3.PathItem) []string {
	var out []string
	for m := range item.Operations() {
		out = append(out, m)
	}
	sort.Strings(out)
	return out
}

// route matches request paths to one path template.
type route struct {
	tmpl     string
	item     *openapi3.PathItem
	segs     []segment
	literals int
}

type segment struct {
	literal string
	re      *regexp.Regexp
	names   []string
}

var paramRe = regexp.MustCompile(`\{([^}]+)\}`)

func routes(doc *openapi3.T) []route {
	var out []route
	if doc.Paths == nil {
		return nil
	}
	for _, tmpl := range doc.Paths.InMatchingOrder() {
		item := doc.Paths.Value(tmpl)
		if item == nil {
			continue
		}
		rt := route{tmpl: tmpl, item: item}
		for _, s := range strings.Split(strings.Trim(tmpl, "/"), "/") {
			if !strings.Contains(s, "{") {
				rt.segs = append(rt.segs, segment{literal: s})
				rt.literals++
				continue
			}
			var re strings.Builder
			var names []string
			last := 0
			for _, m := range paramRe.FindAllStringSubmatchIndex(s, -1) {
				re.WriteString(regexp.QuoteMeta(s[last:m[0]]))
				re.WriteString(`(.+?)`)
				names = append(names, s[m[2]:m[3]])
				last = m[1]
			}
			re.WriteString(regexp.QuoteMeta(s[last:]))
			rt.segs = append(rt.segs, segment{re: regexp.MustCompile("^" + re.String() + "$"), names: names})
		}
		out = append(out, rt)
	}
	return out
}

func (rt route) match(path string) (map[string]string, bool) {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	if len(parts) != len(rt.segs) {
		return nil, false
	}
	vals := map[string]string{}
	for i, s := range rt.segs {
		if s.re == nil {
			if parts[i] != s.literal {
				return nil, false
			}
			continue
		}
		m := s.re.FindStringSubmatch(parts[i])
		if m == nil {
			return nil, false
		}
		for j, n := range s.names {
			v, err := url.PathUnescape(m[j+1])
			if err != nil {
				v = m[j+1]
			}
			vals[n] = v
		}
	}
	return vals, true
}

// basePaths are the path prefixes of the contract's servers, longest
// first, then "" (a pact may be written against the bare paths).
func basePaths(doc *openapi3.T) []string {
	seen := map[string]bool{"": true}
	var out []string
	for _, s := range doc.Servers {
		if s == nil {
			continue
		}
		raw := s.URL
		for name, v := range s.Variables {
			if v != nil {
				raw = strings.ReplaceAll(raw, "{"+name+"}", v.Default)
			}
		}
		u, err := url.Parse(raw)
		if err != nil {
			continue
		}
		p := strings.TrimSuffix(u.Path, "/")
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	sort.Slice(out, func(i, j int) bool { return len(out[i]) > len(out[j]) })
	return append(out, "")
}

func params(item *openapi3.PathItem, o *openapi3.Operation) []*openapi3.Parameter {
	byKey := map[string]*openapi3.Parameter{}
	var order []string
	for _, ps := range []openapi3.Parameters{item.Parameters, o.Parameters} {
		for _, p := range ps {
			if p.Value == nil {
				continue
			}
			k := p.Value.In + ":" + strings.ToLower(p.Value.Name)
			if _, ok := byKey[k]; !ok {
				order = append(order, k)
			}
			byKey[k] = p.Value // operation parameters override the path's
		}
	}
	out := make([]*openapi3.Parameter, len(order))
	for i, k := range order {
		out[i] = byKey[k]
	}
	return out
}

// parameters checks path, query and header parameters; query keys the
// operation does not declare are warnings (providers usually ignore them,
// but the consumer believes they mean something).
func (c *checker) parameters(cur *current, pathVals map[string]string) {
	rq := cur.in.Request
	declaredQuery := map[string]bool{}
	for i, p := range params(cur.item, cur.op) {
		ptr := contracts.Pointer("paths", cur.tmpl, strings.ToLower(cur.method), "parameters", strconv.Itoa(i))
		var vals []string
		switch p.In {
		case openapi3.ParameterInPath:
			if v, ok := pathVals[p.Name]; ok {
				vals = []string{v}
			}
		case openapi3.ParameterInQuery:
			declaredQuery[p.Name] = true
			vals = rq.Query[p.Name]
		case openapi3.ParameterInHeader:
			switch http.CanonicalHeaderKey(p.Name) {
			case "Accept", "Content-Type", "Authorization":
				continue // OpenAPI ignores these as parameters
			}
			vals = rq.Header.Values(p.Name)
		case openapi3.ParameterInCookie:
			if ck, err := (&http.Request{Header: rq.Header}).Cookie(p.Name); err == nil {
				vals = []string{ck.Value}
			}
		}
		if len(vals) == 0 {
			if p.Required {
				c.add(cur, KindMissingParameter, SeverityError, 0, ptr, fmt.Sprintf("the %s parameter %s is required", p.In, p.Name))
			}
			continue
		}
		if p.Schema == nil || p.Schema.Value == nil {
			continue
		}
		if err := p.Schema.Value.VisitJSON(paramValue(p, vals), c.opts...); err != nil {
			c.add(cur, KindInvalidParameter, SeverityError, 0, ptr, fmt.Sprintf("the %s parameter %s=%q: %s", p.In, p.Name, strings.Join(vals, ","), schemaErrors(err)))
		}
	}
	keys := make([]string, 0, len(rq.Query))
	for k := range rq.Query {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if !declaredQuery[k] && !c.apiKeyQuery(k) {
			c.add(cur, KindUnknownParameter, SeverityWarning, 0, "", fmt.Sprintf("the query parameter %s is not declared; the provider may ignore it", k))
		}
	}
}

func (c *checker) apiKeyQuery(name string) bool {
	comps := c.doc.OpenAPI.Components
	if comps == nil {
		return false
	}
	for _, ref := range comps.SecuritySchemes {
		if ref != nil && ref.Value != nil && ref.Value.Type == "apiKey" && ref.Value.In == "query" && ref.Value.Name == name {
			return true
		}
	}
	return false
}

// paramValue turns a parameter's strings into the JSON value its schema
// describes: numbers and booleans parsed, arrays from repeated keys or a
// comma-separated value (form and simple styles).
func paramValue(p *openapi3.Parameter, vals []string) any {
	s := p.Schema.Value
	if is(s, "array") {
		parts := vals
		if len(vals) == 1 && !(p.In == openapi3.ParameterInQuery && p.Explode != nil && *p.Explode && p.Style != "") {
			parts = strings.Split(vals[0], ",")
		}
		var item *openapi3.Schema
		if s.Items != nil {
			item = s.Items.Value
		}
		out := make([]any, len(parts))
		for i, v := range parts {
			out[i] = scalar(item, v)
		}
		return out
	}
	return scalar(s, vals[0])
}

func scalar(s *openapi3.Schema, v string) any {
	if s == nil {
		return v
	}
	switch {
	case is(s, "integer"), is(s, "number"):
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			return f
		}
	case is(s, "boolean"):
		if b, err := strconv.ParseBool(v); err == nil {
			return b
		}
	}
	return v
}

func is(s *openapi3.Schema, typ string) bool { return s.Type != nil && s.Type.Includes(typ) }

// security warns when no security requirement of the operation is met by
// what the request carries: the consumer's real calls will, or they fail.
// Signature schemes are left out: a pact cannot hold a fresh signature.
func (c *checker) security(cur *current) {
	reqs := c.doc.OpenAPI.Security
	if cur.op.Security != nil {
		reqs = *cur.op.Security
	}
	if len(reqs) == 0 {
		return
	}
	comps := c.doc.OpenAPI.Components
	var names []string
	for _, req := range reqs {
		ok := true
		for name := range req {
			if _, sig := c.signatures[name]; sig {
				continue
			}
			var sc *openapi3.SecurityScheme
			if comps != nil && comps.SecuritySchemes[name] != nil {
				sc = comps.SecuritySchemes[name].Value
			}
			if sc == nil || !carries(sc, cur.in.Request) {
				ok = false
			}
			names = append(names, name)
		}
		if ok {
			return
		}
	}
	sort.Strings(names)
	c.add(cur, KindMissingCredentials, SeverityWarning, 0, "", fmt.Sprintf("the request carries no credentials for %s", strings.Join(names, " or ")))
}

func carries(sc *openapi3.SecurityScheme, rq Request) bool {
	switch sc.Type {
	case "http", "oauth2", "openIdConnect":
		return rq.Header.Get("Authorization") != ""
	case "apiKey":
		switch sc.In {
		case "header":
			return rq.Header.Get(sc.Name) != ""
		case "query":
			return rq.Query.Get(sc.Name) != ""
		case "cookie":
			_, err := (&http.Request{Header: rq.Header}).Cookie(sc.Name)
			return err == nil
		}
	}
	return true // mutualTLS and unknown types: nothing in a pact shows them
}
