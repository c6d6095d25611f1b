package generator

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/mock"
)

// The pact part (Parts.Pact) writes one test file behind the pact build
// tag: a pact-go consumer interaction per client operation, driven by the
// generated client against pact's mock server, from the contract's
// examples or, where it gives none, values synthesised from its schemas
// (mock.Generator, the synthesiser accord mock and verify use). The pact it
// writes is what `accord pact check` and provider verification read.

// PactFile is the generated consumer pact test's name. It ends in _test.go
// so the package itself never imports pact-go.
const PactFile = "accord_pact.gen_test.go"

// pactSeed seeds the synthesised examples: the same contract gives the same
// test file.
const pactSeed = 1

// pactPlan is what the pact test needs from the contract, by operation ID.
// It is read before prepare() and oapi-codegen change the document.
type pactPlan map[string]*pactOp

// pactOp is one operation's interaction as read from the contract.
type pactOp struct {
	// Skip says why the operation gets no interaction; the rest is unset.
	Skip string
	// Synthesised: some example came from the schemas, not the contract.
	Synthesised bool
	State       string
	StateParams map[string]any
	// PathValues are the path parameters' example values (JSON), by name.
	PathValues map[string]string
	// Path is the request path with the values in place.
	Path string
	// Params is the params struct's example as a JSON object (oapi-codegen
	// tags its fields with the parameters' names), "" without parameters.
	Params  string
	Query   []pactValues
	Headers []pactValues
	// Auth are the security schemes of the requirement the client meets.
	Auth []string

	// BodyType is the request's JSON media type, "" without a body.
	BodyType  string
	Body      string
	BodyRules map[string]pactRule
	// BodyRaw is a form or text body as the client sends it when it takes
	// the body as bytes.
	BodyRaw string

	Status          int
	ResponseType    string
	ResponseBody    string
	ResponseRules   map[string]pactRule
	ResponseHeaders []pactValues
}

// pactValues is a parameter or header and the values the request carries.
type pactValues struct {
	Name   string
	Values []string
}

// pactRule is the generated accPactRule: how a value at a JSON pointer of
// an example is matched (types by default).
type pactRule struct {
	Regex   string
	Integer bool
	Min     int
}

// planPacts reads every path operation's examples, synthesising the
// missing ones.
func planPacts(doc *contracts.Document, pols []contracts.OperationPolicy) pactPlan {
	plan := pactPlan{}
	t := doc.OpenAPI
	for _, p := range pols {
		if p.Webhook || t.Paths == nil {
			continue // the provider sends webhooks; its consumer tests are not the client's
		}
		item := t.Paths.Value(p.Path)
		if item == nil || item.GetOperation(p.Method) == nil {
			continue
		}
		plan[p.ID] = planPact(t, p, item, item.GetOperation(p.Method))
	}
	return plan
}

func planPact(t *openapi3.T, p contracts.OperationPolicy, item *openapi3.PathItem, op *openapi3.Operation) *pactOp {
	po := &pactOp{PathValues: map[string]string{}, StateParams: map[string]any{}}
	skip := func(format string, args ...any) *pactOp { return &pactOp{Skip: fmt.Sprintf(format, args...)} }
	g := mock.NewGenerator(pactSeed, p.ID, mock.Request)
	path := p.Path
	params := map[string]any{}
	var states []string
	for _, prm := range pactParams(item, op) {
		v, synth := pactParamValue(prm, g)
		switch prm.In {
		case openapi3.ParameterInPath:
			s, ok := pactScalar(v)
			if !ok {
				return skip("the path parameter %s is not a scalar", prm.Name)
			}
			po.Synthesised = po.Synthesised || synth
			js, _ := json.Marshal(v)
			po.PathValues[prm.Name] = string(js)
			path = strings.ReplaceAll(path, "{"+prm.Name+"}", pactPathEscape(s))
			po.StateParams[prm.Name] = v
			states = append(states, prm.Name+" "+s+" exists")
			continue
		case openapi3.ParameterInHeader:
			switch http.CanonicalHeaderKey(prm.Name) {
			case "Accept", "Content-Type", "Authorization":
				continue // not parameters in OpenAPI
			}
		case openapi3.ParameterInCookie:
			if prm.Required {
				return skip("the cookie parameter %s is required; the pact test sends no cookies", prm.Name)
			}
			continue
		}
		if synth && !prm.Required {
			continue // an optional parameter without an example is left out
		}
		vals, ok := pactParamStrings(prm, v)
		if !ok {
			if prm.Required {
				return skip("the %s parameter %s takes an object, which the pact test does not serialise", prm.In, prm.Name)
			}
			continue
		}
		po.Synthesised = po.Synthesised || synth
		params[prm.Name] = v
		if prm.In == openapi3.ParameterInQuery {
			po.Query = append(po.Query, pactValues{prm.Name, vals})
		} else {
			po.Headers = append(po.Headers, pactValues{prm.Name, vals})
		}
	}
	po.Path = path
	po.State = strings.Join(states, " and ")
	if po.State == "" {
		po.State = "the provider accepts " + p.ID
	}
	if len(params) > 0 || op.Parameters != nil || item.Parameters != nil {
		js, _ := json.Marshal(params)
		po.Params = string(js)
	}
	auth, reason := pactAuth(t, op)
	if reason != "" {
		return skip("%s", reason)
	}
	po.Auth = auth
	if rb := op.RequestBody; rb != nil && rb.Value != nil && len(rb.Value.Content) > 0 {
		ct, mt := pactJSONMedia(rb.Value.Content)
		if mt == nil {
			ct, mt = pactBuiltMedia(rb.Value.Content)
		}
		if mt == nil {
			return skip("the request body is %s; the pact test sends JSON, form and text bodies only", strings.Join(sortedKeys(rb.Value.Content), ", "))
		}
		v, synth := pactMediaValue(mt, g)
		po.Synthesised = po.Synthesised || synth
		js, err := json.Marshal(v)
		if err != nil {
			return skip("the request body example does not encode as JSON: %v", err)
		}
		po.BodyType, po.Body = ct, string(js)
		if !pactIsJSON(ct) {
			raw, ok := pactEncode(ct, v)
			if !ok {
				return skip("the %s request body example has values the pact test does not encode", ct)
			}
			po.BodyRaw = raw
		}
		po.BodyRules = pactRules(v, schemaOf(mt.Schema))
	}
	po.Status = 200
	var resp *openapi3.Response
	if rs := op.Responses; rs != nil {
		for _, code := range sortedStatuses(rs) {
			if code >= 200 && code < 300 {
				po.Status, resp = code, rs.Status(code).Value
				break
			}
		}
		if resp == nil {
			if r := rs.Value("2XX"); r != nil {
				resp = r.Value
			} else if r := rs.Default(); r != nil {
				resp = r.Value
			}
		}
	}
	if resp == nil {
		return skip("it declares no 2xx or default answer to expect")
	}
	rg := mock.NewGenerator(pactSeed, p.ID, mock.Response)
	for _, name := range sortedKeys(resp.Headers) {
		h := resp.Headers[name]
		if h == nil || h.Value == nil || !h.Value.Required || strings.EqualFold(name, "Content-Type") {
			continue
		}
		v, synth := pactParamValue(&h.Value.Parameter, rg)
		vals, ok := pactParamStrings(&h.Value.Parameter, v)
		if !ok {
			continue
		}
		po.Synthesised = po.Synthesised || synth
		po.ResponseHeaders = append(po.ResponseHeaders, pactValues{name, []string{strings.Join(vals, ",")}})
	}
	if len(resp.Content) == 0 {
		return po
	}
	ct, mt := pactJSONMedia(resp.Content)
	if mt == nil {
		return skip("the %d response is %s; the pact test expects JSON bodies only", po.Status, strings.Join(sortedKeys(resp.Content), ", "))
	}
	v, synth := pactMediaValue(mt, rg)
	po.Synthesised = po.Synthesised || synth
	// The consumer expects only what the provider must send: a provider
	// that leaves out an optional field still honours the contract.
	v = pactRequired(v, schemaOf(mt.Schema))
	js, err := json.Marshal(v)
	if err != nil {
		return skip("the response example does not encode as JSON: %v", err)
	}
	po.ResponseType, po.ResponseBody = ct, string(js)
	po.ResponseRules = pactRules(v, schemaOf(mt.Schema))
	return po
}

// pactParams are the operation's parameters, the operation's overriding
// the path item's of the same name and location.
func pactParams(item *openapi3.PathItem, op *openapi3.Operation) []*openapi3.Parameter {
	var out []*openapi3.Parameter
	at := map[string]int{}
	for _, ps := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, ref := range ps {
			if ref == nil || ref.Value == nil {
				continue
			}
			k := ref.Value.In + ":" + strings.ToLower(ref.Value.Name)
			if i, ok := at[k]; ok {
				out[i] = ref.Value
				continue
			}
			at[k] = len(out)
			out = append(out, ref.Value)
		}
	}
	return out
}

// pactParamValue is the parameter's example (its own, then its schema's)
// or a synthesised value; synth says which.
func pactParamValue(p *openapi3.Parameter, g *mock.Generator) (v any, synth bool) {
	if p.Example != nil {
		return p.Example, false
	}
	for _, k := range sortedKeys(p.Examples) {
		if ex := p.Examples[k]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
			return ex.Value.Value, false
		}
	}
	if s := schemaOf(p.Schema); s != nil && (s.Example != nil || len(s.Examples) > 0) {
		return g.Value(p.Schema), false
	}
	return g.Value(p.Schema), true
}

// pactMediaValue is the media type's example or a synthesised value.
func pactMediaValue(mt *openapi3.MediaType, g *mock.Generator) (any, bool) {
	if mt.Example != nil {
		return mt.Example, false
	}
	for _, k := range sortedKeys(mt.Examples) {
		if ex := mt.Examples[k]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
			return ex.Value.Value, false
		}
	}
	s := schemaOf(mt.Schema)
	return g.Value(mt.Schema), s == nil || (s.Example == nil && len(s.Examples) == 0)
}

func schemaOf(ref *openapi3.SchemaRef) *openapi3.Schema {
	if ref == nil {
		return nil
	}
	return ref.Value
}

func pactScalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool, float64, float32, int, int64, int32, uint64, json.Number:
		return fmt.Sprint(x), true
	}
	return "", false
}

// pactParamStrings serialises a query or header parameter's value as the
// client does: arrays repeated (exploded query) or comma-separated.
func pactParamStrings(p *openapi3.Parameter, v any) ([]string, bool) {
	if s, ok := pactScalar(v); ok {
		return []string{s}, true
	}
	arr, ok := v.([]any)
	if !ok || len(arr) == 0 {
		return nil, false
	}
	var out []string
	for _, e := range arr {
		s, ok := pactScalar(e)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	explode := p.In == openapi3.ParameterInQuery && (p.Explode == nil || *p.Explode)
	if !explode {
		return []string{strings.Join(out, ",")}, true
	}
	return out, true
}

// pactPathEscape escapes a path value as the request builders do.
func pactPathEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-._~", c) >= 0 {
			b.WriteByte(c)
			continue
		}
		fmt.Fprintf(&b, "%%%02X", c)
	}
	return b.String()
}

func pactJSONMedia(content openapi3.Content) (string, *openapi3.MediaType) {
	if mt := content["application/json"]; mt != nil {
		return "application/json", mt
	}
	for _, ct := range sortedKeys(content) {
		base, _, _ := strings.Cut(ct, ";")
		if strings.HasSuffix(base, "+json") || strings.HasSuffix(base, "/json") {
			return ct, content[ct]
		}
	}
	return "", nil
}

// pactBuiltMedia is a form or text body: the test has the request builder
// encode the example and expects those bytes.
func pactBuiltMedia(content openapi3.Content) (string, *openapi3.MediaType) {
	for _, ct := range sortedKeys(content) {
		base, _, _ := strings.Cut(ct, ";")
		if base == "application/x-www-form-urlencoded" || base == "text/plain" {
			return ct, content[ct]
		}
	}
	return "", nil
}

// pactEncode encodes a form (flat: scalars and arrays of them) or text
// example.
func pactEncode(ct string, v any) (string, bool) {
	if !strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
		s, ok := pactScalar(v)
		return s, ok
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return "", false
	}
	form := url.Values{}
	for _, k := range sortedKeys(obj) {
		if s, ok := pactScalar(obj[k]); ok {
			form.Add(k, s)
			continue
		}
		arr, ok := obj[k].([]any)
		if !ok {
			return "", false
		}
		for _, e := range arr {
			s, ok := pactScalar(e)
			if !ok {
				return "", false
			}
			form.Add(k, s)
		}
	}
	return form.Encode(), true
}

func sortedStatuses(rs *openapi3.Responses) []int {
	var out []int
	for k := range rs.Map() {
		if n, err := strconv.Atoi(k); err == nil {
			out = append(out, n)
		}
	}
	slices.Sort(out)
	return out
}

// pactAuth picks the security requirement the generated test's client
// meets, as the runtime picks it: the first alternative whose schemes all
// have credentials (signature schemes aside: the client signs, and a pact
// cannot hold a signature). The test configures bearer, basic and API key
// credentials; an operation that only mutual TLS or another HTTP scheme
// opens is skipped.
func pactAuth(t *openapi3.T, op *openapi3.Operation) ([]string, string) {
	reqs := t.Security
	if op.Security != nil {
		reqs = *op.Security
	}
	if len(reqs) == 0 {
		return nil, ""
	}
	anonymous := false
	var unmet []string
	for _, req := range reqs {
		var names []string
		ok := true
		for _, name := range sortedKeys(req) {
			if _, sig := signatureScheme(t, name); sig {
				continue
			}
			var sc *openapi3.SecurityScheme
			if t.Components != nil && t.Components.SecuritySchemes[name] != nil {
				sc = t.Components.SecuritySchemes[name].Value
			}
			if sc == nil || !pactCredentials(name, sc) {
				ok = false
				unmet = append(unmet, name)
			}
			names = append(names, name)
		}
		if len(names) == 0 {
			anonymous = true
			continue
		}
		if ok {
			return names, ""
		}
	}
	if anonymous {
		return nil, ""
	}
	return nil, fmt.Sprintf("its security (%s) needs credentials the pact test cannot configure (mutual TLS or an unsupported HTTP scheme)", strings.Join(slices.Compact(unmet), ", "))
}

func pactCredentials(name string, sc *openapi3.SecurityScheme) bool {
	s, ok := authScheme(name, sc)
	return ok && (s.Bearer() || s.Kind == "basic" || s.Kind == "apiKey")
}
