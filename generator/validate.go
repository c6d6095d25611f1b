package generator

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
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
	return g.out, g.notes
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
	clientParams, query := false, false
	for _, pr := range params {
		if g.clientRequired(pr) {
			clientParams = true
		}
		if code := g.parameter(pr, wild); code != "" {
			body.WriteString(code)
			query = query || pr.In == "query"
		}
	}
	if body.Len() > 0 {
		vo.Params = "p" + strconv.Itoa(i)
		g.pf("\n// %s checks the parameters of %s.\nfunc (accValidator) %s(r *http.Request, v *rtViolations) {\n", vo.Params, commentSafe(p.ID), vo.Params)
		if query {
			g.pf("q := r.URL.Query()\n")
		}
		g.pf("%sv.in, v.param = \"\", \"\"\n}\n", body.String())
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
		g.pf("\n// c%d refuses a %s call without its required parameters.\nfunc (accValidator) c%d(noParams bool) error {\n\tif !noParams {\n\t\treturn nil\n\t}\n\tvar v rtViolations\n", i, commentSafe(p.ID), i)
		for _, pr := range params {
			if g.clientRequired(pr) {
				g.pf("\tv.in, v.param = %q, %q\n\tv.add(nil, \"is required\")\n", pr.In, pr.Name)
			}
		}
		g.pf("\treturn rtRequestInvalid(%q, &v)\n}\n", p.ID)
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
	fmt.Fprintf(&b, "\t// %s parameter %s\n\tv.in, v.param = %q, %q\n", pr.In, commentSafe(pr.Name), pr.In, pr.Name)
	fmt.Fprintf(&b, "\tif vals := %s; len(vals) == 0 {\n", g.source(pr, wild))
	if pr.Required {
		b.WriteString("\t\tv.add(nil, \"is required\")\n")
	}
	method := g.ref(pr.Schema)
	if typ == "array" {
		itemType := ""
		if s.Items != nil && s.Items.Value != nil {
			itemType = mainType(s.Items.Value)
		}
		fmt.Fprintf(&b, "\t} else {\n\t\tparts := rtParamArray(vals, %q)\n\t\titems := make([]any, len(parts))\n\t\tbad := false\n", sep)
		fmt.Fprintf(&b, "\t\tfor i, s := range parts {\n\t\t\tx, ok := rtParamValue(%q, s)\n\t\t\tif !ok {\n\t\t\t\tv.add(&rtPtr{idx: i, arr: true}, %q)\n\t\t\t\tbad = true\n\t\t\t}\n\t\t\titems[i] = x\n\t\t}\n", itemType, "must be "+article(itemType))
		fmt.Fprintf(&b, "\t\tif !bad {\n\t\t\taccValidator{}.%s(items, nil, v)\n\t\t}\n\t}\n", method)
		return b.String()
	}
	fmt.Fprintf(&b, "\t} else if x, ok := rtParamValue(%q, vals[0]); !ok {\n\t\tv.add(nil, %q)\n\t} else {\n\t\taccValidator{}.%s(x, nil, v)\n\t}\n", typ, "must be "+article(typ), method)
	return b.String()
}

func (g *validation) presence(pr *openapi3.Parameter, wild map[string]string) string {
	if !pr.Required {
		return ""
	}
	return fmt.Sprintf("\tv.in, v.param = %q, %q\n\tif vals := %s; len(vals) == 0 {\n\t\tv.add(nil, \"is required\")\n\t}\n", pr.In, pr.Name, g.source(pr, wild))
}

// source is the expression of a parameter's raw values ([]string).
func (g *validation) source(pr *openapi3.Parameter, wild map[string]string) string {
	switch pr.In {
	case "path":
		name := wild[pr.Name]
		if name == "" {
			name = pr.Name
		}
		return fmt.Sprintf("rtNonEmpty(r.PathValue(%q))", name)
	case "header":
		return fmt.Sprintf("r.Header.Values(%q)", pr.Name)
	case "cookie":
		return fmt.Sprintf("rtCookie(r, %q)", pr.Name)
	}
	return fmt.Sprintf("q[%q]", pr.Name)
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

// schema writes the method checking s.
func (g *validation) schema(s *openapi3.Schema) {
	name := g.names[s]
	g.pf("\nfunc (accValidator) %s(x any, p *rtPtr, v *rtViolations) {\n", name)
	defer g.pf("}\n")
	if s.Always != nil {
		if !*s.Always {
			g.pf("\tv.add(p, \"no value is allowed here\")\n")
		}
		return
	}
	types := []string(nil)
	if s.Type != nil {
		types = s.Type.Slice()
	}
	nullOK := s.Type.IncludesNull() || (!g.oas31 && s.Nullable) || (g.oas31 && len(types) == 0)
	has := func(t string) bool { return len(types) == 0 || slices.Contains(types, t) }
	var want []string
	for _, t := range types {
		if t != "null" {
			want = append(want, t)
		}
	}
	typeErr := "must be " + strings.Join(mapStrings(want, article), " or ")
	if nullOK && len(want) > 0 {
		typeErr += " or null"
	}
	g.pf("\tswitch y := x.(type) {\n\tcase nil:\n")
	if nullOK {
		g.pf("\t\treturn\n")
	} else {
		g.pf("\t\tv.add(p, %q)\n\t\treturn\n", nullDetail(want))
	}
	g.pf("\tcase bool:\n\t\t_ = y\n")
	if !has("boolean") {
		g.pf("\t\tv.add(p, %q)\n\t\treturn\n", typeErr)
	}
	g.pf("\tcase float64:\n")
	switch {
	case has("number"):
	case has("integer"):
		g.pf("\t\tif !rtIsInteger(y) {\n\t\t\tv.add(p, %q)\n\t\t\treturn\n\t\t}\n", typeErr)
	default:
		g.pf("\t\tv.add(p, %q)\n\t\treturn\n", typeErr)
	}
	// A type's keywords are emitted only where the type is allowed: a
	// contract's minimum on a string schema is dead, and would be dead code.
	if has("number") || has("integer") {
		g.number(s)
	}
	g.pf("\tcase string:\n")
	if has("string") {
		g.str(s)
	} else {
		g.pf("\t\tv.add(p, %q)\n\t\treturn\n", typeErr)
	}
	g.pf("\tcase []any:\n")
	if has("array") {
		g.array(s)
	} else {
		g.pf("\t\tv.add(p, %q)\n\t\treturn\n", typeErr)
	}
	g.pf("\tcase map[string]any:\n")
	if has("object") {
		g.object(s)
	} else {
		g.pf("\t\tv.add(p, %q)\n\t\treturn\n", typeErr)
	}
	g.pf("\t}\n")
	g.enum(s)
	g.composition(s)
}

func mapStrings(in []string, f func(string) string) []string {
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = f(s)
	}
	return out
}

func nullDetail(want []string) string {
	if len(want) == 0 {
		return "must not be null"
	}
	return "must be " + strings.Join(mapStrings(want, article), " or ") + ", not null"
}

func (g *validation) number(s *openapi3.Schema) {
	bound := func(v *float64, exclusive bool, op, nop string) {
		if v == nil {
			return
		}
		cmp := op
		if exclusive {
			cmp = strings.TrimSuffix(op, "=")
		}
		g.pf("\t\tif !(y %s %s) {\n\t\t\tv.add(p, %q)\n\t\t}\n", cmp, floatLit(*v), "must be "+cmp+" "+rtNum(*v))
		_ = nop
	}
	bound(s.Min, s.ExclusiveMin.IsTrue(), ">=", "")
	bound(s.Max, s.ExclusiveMax.IsTrue(), "<=", "")
	if s.ExclusiveMin.Value != nil {
		bound(s.ExclusiveMin.Value, true, ">=", "")
	}
	if s.ExclusiveMax.Value != nil {
		bound(s.ExclusiveMax.Value, true, "<=", "")
	}
	if m := s.MultipleOf; m != nil && *m > 0 {
		g.pf("\t\tif !rtMultipleOf(y, %s) {\n\t\t\tv.add(p, %q)\n\t\t}\n", floatLit(*m), "must be a multiple of "+rtNum(*m))
	}
}

func floatLit(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

func rtNum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

func (g *validation) str(s *openapi3.Schema) {
	if s.MinLength > 0 {
		g.pf("\t\tif rtRunes(y) < %d {\n\t\t\tv.add(p, %q)\n\t\t}\n", s.MinLength, fmt.Sprintf("must be at least %d characters long", s.MinLength))
	}
	if s.MaxLength != nil {
		g.pf("\t\tif rtRunes(y) > %d {\n\t\t\tv.add(p, %q)\n\t\t}\n", *s.MaxLength, fmt.Sprintf("must be at most %d characters long", *s.MaxLength))
	}
	if s.Pattern != "" {
		if _, err := regexp.Compile(s.Pattern); err != nil {
			g.notes = append(g.notes, fmt.Sprintf("validation: pattern %q is not RE2 (Go's regexp); it is not checked", s.Pattern))
		} else {
			i, ok := g.patterns[s.Pattern]
			if !ok {
				i = len(g.patterns)
				g.patterns[s.Pattern] = i
			}
			g.pf("\t\tif !accPatterns[%d].MatchString(y) {\n\t\t\tv.add(p, %q)\n\t\t}\n", i, "must match the pattern "+s.Pattern)
		}
	}
	switch s.Format {
	case "date-time", "date", "uuid", "email", "uri", "ipv4", "ipv6", "byte":
		g.pf("\t\tif !rtFormat(%q, y) {\n\t\t\tv.add(p, %q)\n\t\t}\n", s.Format, "must be a valid "+s.Format)
	}
}

func (g *validation) array(s *openapi3.Schema) {
	if s.MinItems > 0 {
		g.pf("\t\tif len(y) < %d {\n\t\t\tv.add(p, %q)\n\t\t}\n", s.MinItems, fmt.Sprintf("must have at least %d items", s.MinItems))
	}
	if s.MaxItems != nil {
		g.pf("\t\tif len(y) > %d {\n\t\t\tv.add(p, %q)\n\t\t}\n", *s.MaxItems, fmt.Sprintf("must have at most %d items", *s.MaxItems))
	}
	if s.UniqueItems {
		g.pf("\t\tif !rtUnique(y) {\n\t\t\tv.add(p, \"must not have duplicate items\")\n\t\t}\n")
	}
	if m := g.ref(s.Items); m != "" {
		g.pf("\t\tfor i, it := range y {\n\t\t\taccValidator{}.%s(it, &rtPtr{up: p, idx: i, arr: true}, v)\n\t\t\tif v.full() {\n\t\t\t\tbreak\n\t\t\t}\n\t\t}\n", m)
	}
}

func (g *validation) object(s *openapi3.Schema) {
	if s.MinProps > 0 {
		g.pf("\t\tif len(y) < %d {\n\t\t\tv.add(p, %q)\n\t\t}\n", s.MinProps, fmt.Sprintf("must have at least %d properties", s.MinProps))
	}
	if s.MaxProps != nil {
		g.pf("\t\tif len(y) > %d {\n\t\t\tv.add(p, %q)\n\t\t}\n", *s.MaxProps, fmt.Sprintf("must have at most %d properties", *s.MaxProps))
	}
	readOnly := func(name string) bool {
		pr := s.Properties[name]
		return pr != nil && pr.Value != nil && pr.Value.ReadOnly
	}
	for _, name := range s.Required {
		if readOnly(name) {
			continue // the server sets it; a request does not send it
		}
		g.pf("\t\tif _, ok := y[%q]; !ok {\n\t\t\tv.add(&rtPtr{up: p, key: %q}, \"is required\")\n\t\t}\n", name, name)
	}
	for _, name := range sortedKeys(s.Properties) {
		pr := s.Properties[name]
		if pr == nil || pr.Value == nil {
			continue
		}
		if readOnly(name) {
			g.pf("\t\tif _, ok := y[%q]; ok {\n\t\t\tv.add(&rtPtr{up: p, key: %q}, \"is read-only and must not be sent\")\n\t\t}\n", name, name)
			continue
		}
		g.pf("\t\tif pv, ok := y[%q]; ok {\n\t\t\taccValidator{}.%s(pv, &rtPtr{up: p, key: %q}, v)\n\t\t}\n", name, g.ref(pr), name)
	}
	ap := s.AdditionalProperties
	known := func() string {
		if len(s.Properties) == 0 {
			return ""
		}
		return "\t\t\tswitch k {\n\t\t\tcase " + strings.Join(mapStrings(sortedKeys(s.Properties), strconv.Quote), ", ") + ":\n\t\t\t\tcontinue\n\t\t\t}\n"
	}
	switch {
	case ap.Has != nil && !*ap.Has:
		// rtExtraKeys sorts only when there is something to report: the
		// answer is stable and a valid request pays no allocation.
		g.pf("\t\tfor _, k := range rtExtraKeys(y, %s) {\n\t\t\tv.add(&rtPtr{up: p, key: k}, \"is not allowed (additionalProperties is false)\")\n\t\t}\n",
			knownSetLit(sortedKeys(s.Properties)))
	case ap.Schema != nil && ap.Schema.Value != nil:
		g.pf("\t\tfor k, pv := range y {\n%s\t\t\taccValidator{}.%s(pv, &rtPtr{up: p, key: k}, v)\n\t\t}\n", known(), g.ref(ap.Schema))
	}
}

// knownSetLit is a func literal telling the declared properties apart.
func knownSetLit(names []string) string {
	if len(names) == 0 {
		return "func(string) bool { return false }"
	}
	return "func(k string) bool {\n\t\t\t\tswitch k {\n\t\t\t\tcase " + strings.Join(mapStrings(names, strconv.Quote), ", ") + ":\n\t\t\t\t\treturn true\n\t\t\t\t}\n\t\t\t\treturn false\n\t\t\t}"
}

// jsonValue normalises a value from the contract (YAML-decoded) to what
// encoding/json decodes a body into, for enum and const.
func jsonValue(x any) (any, bool) {
	b, err := json.Marshal(x)
	if err != nil {
		return nil, false
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil, false
	}
	return out, true
}

// goValue writes a decoded JSON value as a Go expression.
func goValue(x any) string {
	switch x := x.(type) {
	case nil:
		return "nil"
	case bool:
		return strconv.FormatBool(x)
	case float64:
		return "float64(" + floatLit(x) + ")"
	case string:
		return strconv.Quote(x)
	case []any:
		parts := mapAny(x)
		return "[]any{" + strings.Join(parts, ", ") + "}"
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			parts = append(parts, strconv.Quote(k)+": "+goValue(x[k]))
		}
		return "map[string]any{" + strings.Join(parts, ", ") + "}"
	}
	return "nil"
}

func mapAny(xs []any) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = goValue(x)
	}
	return out
}

func (g *validation) enum(s *openapi3.Schema) {
	list := func(vals []any, detail string) {
		var norm []any
		scalar := true
		for _, e := range vals {
			x, ok := jsonValue(e)
			if !ok {
				return
			}
			if slices.ContainsFunc(norm, func(y any) bool { return goValue(y) == goValue(x) }) {
				continue // a duplicate case would not compile
			}
			switch x.(type) {
			case []any, map[string]any:
				scalar = false
			}
			norm = append(norm, x)
		}
		if scalar {
			g.pf("\tswitch x {\n\tcase %s:\n\tdefault:\n\t\tv.add(p, %q)\n\t}\n", strings.Join(mapAny(norm), ", "), detail)
			return
		}
		var conds []string
		for _, x := range norm {
			conds = append(conds, "rtJSONEqual(x, "+goValue(x)+")")
		}
		g.pf("\tif !(%s) {\n\t\tv.add(p, %q)\n\t}\n", strings.Join(conds, " || "), detail)
	}
	if len(s.Enum) > 0 {
		b, _ := json.Marshal(s.Enum)
		list(s.Enum, "must be one of "+string(b))
	}
	if s.Const != nil {
		b, _ := json.Marshal(s.Const)
		list([]any{s.Const}, "must be "+string(b))
	}
}

func (g *validation) composition(s *openapi3.Schema) {
	for _, m := range s.AllOf {
		if n := g.ref(m); n != "" {
			g.pf("\taccValidator{}.%s(x, p, v)\n", n)
		}
	}
	if len(s.AnyOf) > 0 {
		var conds []string
		for _, m := range s.AnyOf {
			if n := g.ref(m); n != "" {
				conds = append(conds, "rtMatches(accValidator{}."+n+", x, v)")
			}
		}
		if len(conds) > 0 {
			g.pf("\tif !(%s) {\n\t\tv.add(p, \"must match at least one of the anyOf schemas\")\n\t}\n", strings.Join(conds, " || "))
		}
	}
	if len(s.OneOf) > 0 {
		if d := s.Discriminator; d != nil && d.PropertyName != "" && g.discriminated(s, d) {
			return
		}
		g.pf("\tif n := 0")
		for _, m := range s.OneOf {
			if n := g.ref(m); n != "" {
				g.pf(" + rtCount(rtMatches(accValidator{}.%s, x, v))", n)
			}
		}
		g.pf("; n != 1 {\n\t\tv.add(p, \"must match exactly one of the oneOf schemas, matches \"+strconv.Itoa(n))\n\t}\n")
	}
	if s.Not != nil {
		if n := g.ref(s.Not); n != "" {
			g.pf("\tif rtMatches(accValidator{}.%s, x, v) {\n\t\tv.add(p, \"must not match the not schema\")\n\t}\n", n)
		}
	}
}

// discriminated checks a oneOf by its discriminator: the property's value
// picks the one schema to check (the mapping, else the component's name).
func (g *validation) discriminated(s *openapi3.Schema, d *openapi3.Discriminator) bool {
	byRef := map[string]*openapi3.SchemaRef{}
	for _, m := range s.OneOf {
		if m.Ref == "" {
			return false // an inline member has no name to pick it by
		}
		byRef[m.Ref] = m
	}
	cases := map[string]string{}
	for _, val := range sortedKeys(d.Mapping) {
		if m := byRef[d.Mapping[val].Ref]; m != nil {
			cases[val] = g.ref(m)
		}
	}
	for ref, m := range byRef {
		mapped := false
		for _, mr := range d.Mapping {
			if mr.Ref == ref {
				mapped = true
			}
		}
		if !mapped {
			cases[ref[strings.LastIndex(ref, "/")+1:]] = g.ref(m)
		}
	}
	keys := sortedKeys(cases)
	g.pf("\tif m, ok := x.(map[string]any); ok {\n\t\tswitch m[%q] {\n", d.PropertyName)
	for _, k := range keys {
		g.pf("\t\tcase %q:\n\t\t\taccValidator{}.%s(x, p, v)\n", k, cases[k])
	}
	g.pf("\t\tdefault:\n\t\t\tv.add(&rtPtr{up: p, key: %q}, %q)\n\t\t}\n\t}\n", d.PropertyName, "must be one of "+strings.Join(mapStrings(keys, strconv.Quote), ", "))
	return true
}
