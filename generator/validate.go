package generator

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"

	"github.com/accord-dev/accord/contracts"
)

// Validation is the request validation code generated for a package
// (templates/validate.tmpl): one method of accValidator per operation and
// per schema, so that package-level names never depend on the contract and
// recursive schemas are methods calling each other.
type Validation struct {
	// Code holds the methods, already Go source.
	Code string
	// Patterns are the schema patterns, compiled once into accPatterns
	// and indexed by the generated code.
	Patterns []string
	// Ops are the operations with a server-side validator.
	Ops []ValidateOp
	// Client are the client pre-checks by operation ID.
	Client map[string]ClientCheck
	// Responses are the operations' declared answers, for the optional
	// response validation (validate_response.go).
	Responses []ResponseOp
}

// ValidateOp is one operation's server validator.
type ValidateOp struct {
	ID           string
	Params, Body string // method names, "" when nothing to check
	BodyRequired bool
	Status       int
}

// ClientCheck is a generated client's check before sending a call.
type ClientCheck struct {
	Method string
	// Params: the call takes a params struct with required fields, so a nil
	// one is refused.
	Params bool
	// Body is the method checking the JSON body the client encoded, ""
	// when there is none to check (validate_response.go).
	Body string
}

// validation is the state of one package's generation.
type validation struct {
	oas31    bool
	b        strings.Builder
	names    map[*openapi3.Schema]string
	comp     map[*openapi3.Schema]string // the components' method names
	byShape  map[string]string           // inline schemas' methods by their JSON
	queue    []*openapi3.Schema
	taken    map[string]bool
	patterns map[string]int
	out      Validation
	notes    []string
	// runtimeSet are the header parameters the client runtime sets, by
	// lower-case name.
	runtimeSet map[string]bool
}

// buildValidation generates the validators from the document as loaded,
// before prepare() rewrites schemas for oapi-codegen's sake (untyped
// multi-type schemas, dropped enums): validation follows the contract.
func buildValidation(t *openapi3.T, pols []contracts.OperationPolicy, schemes map[string]contracts.SignatureScheme) (Validation, []string) {
	// The client's runtime sets these headers itself (the idempotency key,
	// signatures): a call without params is not missing them.
	set := map[string]bool{"idempotency-key": true}
	for _, sc := range schemes {
		for _, h := range []string{sc.SignatureHeader, sc.TimestampHeader} {
			if h != "" {
				set[strings.ToLower(h)] = true
			}
		}
	}
	g := &validation{
		runtimeSet: set,
		oas31:      strings.HasPrefix(t.OpenAPI, "3.1"),
		names:      map[*openapi3.Schema]string{},
		comp:       map[*openapi3.Schema]string{},
		byShape:    map[string]string{},
		taken:      map[string]bool{},
		patterns:   map[string]int{},
		out:        Validation{Client: map[string]ClientCheck{}},
	}
	if t.Components != nil {
		// Components get their names first, so a schema's method name does
		// not depend on which operation reached it first.
		// Only the schemas requests reach get methods.
		for _, name := range sortedKeys(t.Components.Schemas) {
			if sr := t.Components.Schemas[name]; sr != nil && sr.Value != nil {
				if _, ok := g.comp[sr.Value]; !ok {
					g.comp[sr.Value] = g.unique("s" + identPart(name))
				}
			}
		}
	}
	for i, p := range pols {
		if p.Webhook || t.Paths == nil {
			continue
		}
		item := t.Paths.Find(p.Path)
		if item == nil {
			continue
		}
		op := item.GetOperation(p.Method)
		if op == nil {
			continue
		}
		g.operation(i, p, item, op)
	}
	g.clientBodies()
	g.responses(t, pols)
	g.finish()
	return g.out, g.notes
}

// finish generates the schemas the checks refer to (each once, however
// deep the references go) and lists the compiled patterns by index.
func (g *validation) finish() {
	for len(g.queue) > 0 {
		s := g.queue[0]
		g.queue = g.queue[1:]
		g.schema(s)
	}
	g.out.Code = g.b.String()
	for pat, i := range g.patterns {
		for len(g.out.Patterns) <= i {
			g.out.Patterns = append(g.out.Patterns, "")
		}
		g.out.Patterns[i] = pat
	}
}

// identPart keeps the letters and digits of a name for a method name.
func identPart(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r < 128 && (r == '_' || 'a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func (g *validation) unique(want string) string {
	n := want
	for i := 2; g.taken[n]; i++ {
		n = want + strconv.Itoa(i)
	}
	g.taken[n] = true
	return n
}

// name returns the method of s, queueing it for generation the first
// time: a component's method is named after it, others are numbered.
func (g *validation) name(s *openapi3.Schema) string {
	if n, ok := g.names[s]; ok {
		return n
	}
	n, ok := g.comp[s]
	if !ok {
		n = g.unique("s" + strconv.Itoa(len(g.names)))
	}
	g.names[s] = n
	g.queue = append(g.queue, s)
	return n
}

// ref returns the method checking sr's schema.
func (g *validation) ref(sr *openapi3.SchemaRef) string {
	if sr == nil || sr.Value == nil {
		return ""
	}
	if n, ok := g.names[sr.Value]; ok {
		return n
	}
	if sr.Ref == "" && g.comp[sr.Value] == "" {
		// Inline schemas written alike share one method: contracts repeat
		// {type: string} and the like hundreds of times.
		if b, err := json.Marshal(sr.Value); err == nil {
			if n, ok := g.byShape[string(b)]; ok {
				return n
			}
			n := g.name(sr.Value)
			g.byShape[string(b)] = n
			return n
		}
	}
	return g.name(sr.Value)
}

func (g *validation) pf(format string, args ...any) { fmt.Fprintf(&g.b, format, args...) }

// parameters merges path-level and operation-level parameters, the
// operation's winning by (in, name).
func parameters(item *openapi3.PathItem, op *openapi3.Operation) []*openapi3.Parameter {
	var out []*openapi3.Parameter
	seen := map[string]bool{}
	for _, list := range []openapi3.Parameters{op.Parameters, item.Parameters} {
		for _, pr := range list {
			if pr == nil || pr.Value == nil {
				continue
			}
			k := pr.Value.In + " " + pr.Value.Name
			if !seen[k] {
				seen[k] = true
				out = append(out, pr.Value)
			}
		}
	}
	return out
}

func (g *validation) operation(i int, p contracts.OperationPolicy, item *openapi3.PathItem, op *openapi3.Operation) {
	vo := ValidateOp{ID: p.ID, Status: 400}
	if op.Responses != nil && op.Responses.Value("422") != nil && op.Responses.Value("400") == nil {
		vo.Status = 422
	}
	params := parameters(item, op)
	wild := pathWildcards(p.Path)
	var body strings.Builder
	clientParams := false
	for _, pr := range params {
		if g.clientRequired(pr) {
			clientParams = true
		}
		if code := g.parameter(pr, wild); code != "" {
			body.WriteString(code)
		}
	}
	if body.Len() > 0 {
		vo.Params = "p" + strconv.Itoa(i)
		g.pf("\n// %s checks the parameters of %s.\nfunc (accValidator) %s(r *http.Request, v *accordrt.Violations) {\n", vo.Params, commentSafe(p.ID), vo.Params)
		if strings.Contains(body.String(), "buf[:0]") {
			// One buffer for every parameter's values in turn: a stack
			// array, so that reading them allocates nothing.
			g.pf("var buf [4]string\n")
		}
		g.pf("%sv.At(\"\", \"\")\n}\n", body.String())
	}
	if rb := op.RequestBody; rb != nil && rb.Value != nil {
		vo.BodyRequired = rb.Value.Required
		for _, ct := range sortedKeys(rb.Value.Content) {
			mt := rb.Value.Content[ct]
			if mt == nil || !isJSONMedia(ct) {
				continue
			}
			if mt.Schema != nil && mt.Schema.Value != nil {
				vo.Body = g.ref(mt.Schema)
			} else {
				vo.Body = "any"
			}
			break
		}
		if vo.Body == "" && vo.BodyRequired {
			vo.Body = "any" // presence is still checked
		}
	}
	if vo.Params != "" || vo.Body != "" {
		g.out.Ops = append(g.out.Ops, vo)
	}
	if clientParams {
		g.out.Client[p.ID] = ClientCheck{Method: "c" + strconv.Itoa(i), Params: true}
		g.pf("\n// c%d refuses a %s call without its required parameters.\nfunc (accValidator) c%d(noParams bool) error {\n\tif !noParams {\n\t\treturn nil\n\t}\n\tvar v accordrt.Violations\n", i, commentSafe(p.ID), i)
		for _, pr := range params {
			if g.clientRequired(pr) {
				g.pf("\tv.At(%q, %q)\n\tv.Fail(\"is required\")\n", pr.In, pr.Name)
			}
		}
		g.pf("\treturn accordrt.RequestInvalid(%q, &v)\n}\n", p.ID)
	}
}

// clientRequired: a required parameter of the params struct that the
// caller must supply.
func (g *validation) clientRequired(pr *openapi3.Parameter) bool {
	return pr.Required && pr.In != "path" && !(pr.In == "header" && g.runtimeSet[strings.ToLower(pr.Name)])
}

func isJSONMedia(ct string) bool {
	ct = strings.ToLower(strings.TrimSpace(strings.Split(ct, ";")[0]))
	return ct == "application/json" || strings.HasSuffix(ct, "+json")
}

func commentSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == 0x2028 || r == 0x2029 {
			return ' '
		}
		return r
	}, s)
}

// pathWildcards maps a path template's parameter names to the wildcard
// names the server's mux pattern binds (generator's Route()).
func pathWildcards(path string) map[string]string {
	out := map[string]string{}
	route := codegen.SwaggerUriToStdHttpUri(path)
	re := regexp.MustCompile(`\{([^}]*)\}`)
	names := re.FindAllStringSubmatch(path, -1)
	wilds := re.FindAllStringSubmatch(route, -1)
	for i, n := range names {
		if i < len(wilds) {
			out[n[1]] = strings.TrimSuffix(wilds[i][1], "...")
		}
	}
	return out
}

// mainType is the first non-null type of s, "" when untyped.
func mainType(s *openapi3.Schema) string {
	if s.Type == nil {
		return ""
	}
	for _, t := range s.Type.Slice() {
		if t != "null" {
			return t
		}
	}
	return ""
}

// parameter returns the statements checking one parameter, "" when its
// style is not one the validator reads (it is left to the handler's binder).
func (g *validation) parameter(pr *openapi3.Parameter, wild map[string]string) string {
	if pr.Schema == nil || pr.Schema.Value == nil {
		if pr.Required {
			return g.presence(pr, wild)
		}
		return ""
	}
	s := pr.Schema.Value
	typ := mainType(s)
	style := pr.Style
	if style == "" {
		switch pr.In {
		case "query", "cookie":
			style = "form"
		default:
			style = "simple"
		}
	}
	explode := style == "form"
	if pr.Explode != nil {
		explode = *pr.Explode
	}
	sep := ""
	switch {
	case typ == "object" || style == "deepObject" || style == "label" || style == "matrix":
		g.notes = append(g.notes, fmt.Sprintf("validation: %s parameter %q (style %s, type %s) is checked for presence only", pr.In, pr.Name, style, typ))
		return g.presence(pr, wild)
	case typ == "array" && style == "form" && !explode, typ == "array" && style == "simple":
		sep = ","
	case typ == "array" && style == "spaceDelimited":
		sep = " "
	case typ == "array" && style == "pipeDelimited":
		sep = "|"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "\t// %s parameter %s\n\tv.At(%q, %q)\n", pr.In, commentSafe(pr.Name), pr.In, pr.Name)
	fmt.Fprintf(&b, "\tif vals := %s; len(vals) == 0 {\n", g.source(pr, wild))
	if pr.Required {
		b.WriteString("\t\tv.Fail(\"is required\")\n")
	}
	method := g.ref(pr.Schema)
	if typ == "array" {
		itemType := ""
		if s.Items != nil && s.Items.Value != nil {
			itemType = mainType(s.Items.Value)
		}
		fmt.Fprintf(&b, "\t} else if x, ok := accordrt.ParamItems(v, vals, %q, %q, %q); ok {\n\t\taccValidator{}.%s(x, v)\n\t}\n", sep, itemType, "must be "+article(itemType), method)
		return b.String()
	}
	fmt.Fprintf(&b, "\t} else if x, ok := accordrt.ParamValue(v, %q, vals[0]); !ok {\n\t\tv.Fail(%q)\n\t} else {\n\t\taccValidator{}.%s(x, v)\n\t}\n", typ, "must be "+article(typ), method)
	return b.String()
}

func (g *validation) presence(pr *openapi3.Parameter, wild map[string]string) string {
	if !pr.Required {
		return ""
	}
	return fmt.Sprintf("\tv.At(%q, %q)\n\tif vals := %s; len(vals) == 0 {\n\t\tv.Fail(\"is required\")\n\t}\n", pr.In, pr.Name, g.source(pr, wild))
}

// source is the expression of a parameter's raw values ([]string).
func (g *validation) source(pr *openapi3.Parameter, wild map[string]string) string {
	switch pr.In {
	case "path":
		name := wild[pr.Name]
		if name == "" {
			name = pr.Name
		}
		return fmt.Sprintf("accordrt.PathValues(r, %q, buf[:0])", name)
	case "header":
		return fmt.Sprintf("r.Header.Values(%q)", pr.Name)
	case "cookie":
		return fmt.Sprintf("accordrt.CookieValues(r, %q, buf[:0])", pr.Name)
	}
	return fmt.Sprintf("accordrt.QueryValues(v, r.URL.RawQuery, %q, buf[:0])", pr.Name)
}

func article(typ string) string {
	switch typ {
	case "integer":
		return "an integer"
	case "array":
		return "an array"
	case "object":
		return "an object"
	case "":
		return "a value"
	}
	return "a " + typ
}
