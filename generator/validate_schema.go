package generator

// The JSON Schema keywords of request validation: one generated method per
// schema, written by the validation generator in validate.go.

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// schema writes the method checking s. Generated validators read a parsed
// document (accordrt.JSON) in place: no map or interface per value.
func (g *validation) schema(s *openapi3.Schema) {
	name := g.names[s]
	g.pf("\nfunc (accValidator) %s(x accordrt.JSON, v *accordrt.Violations) {\n", name)
	defer g.pf("}\n")
	if s.Always != nil {
		if !*s.Always {
			g.pf("\tv.Add(x, \"no value is allowed here\")\n")
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
	refuse := fmt.Sprintf("\t\tv.Add(x, %q)\n\t\treturn\n", typeErr)
	var refused []string // the kinds s does not allow
	g.pf("\tswitch x.Kind() {\n\tcase accordrt.JSONNull:\n")
	if nullOK {
		g.pf("\t\treturn\n")
	} else {
		g.pf("\t\tv.Add(x, %q)\n\t\treturn\n", nullDetail(want))
	}
	if !has("boolean") {
		refused = append(refused, "accordrt.JSONBool")
	}
	// A type's keywords are emitted only where the type is allowed: a
	// contract's minimum on a string schema is dead, and would be dead code.
	switch num := g.number(s); {
	case has("number"):
		if num != "" {
			g.pf("\tcase accordrt.JSONNumber:\n%s", num)
		}
	case has("integer"):
		g.pf("\tcase accordrt.JSONNumber:\n\t\tif !accordrt.IsInteger(x.Num()) {\n%s\t\t}\n%s", indent(refuse), num)
	default:
		refused = append(refused, "accordrt.JSONNumber")
	}
	kinds := []struct {
		typ, kind string
		code      func(*openapi3.Schema) string
	}{
		{"string", "accordrt.JSONString", func(s *openapi3.Schema) string {
			if str := g.str(s); str != "" {
				return "\t\ty := x.Bytes()\n" + str
			}
			return ""
		}},
		{"array", "accordrt.JSONArray", g.array},
		{"object", "accordrt.JSONObject", g.object},
	}
	for _, k := range kinds {
		if !has(k.typ) {
			refused = append(refused, k.kind)
		} else if code := k.code(s); code != "" {
			g.pf("\tcase %s:\n%s", k.kind, code)
		}
	}
	if len(refused) > 0 {
		g.pf("\tcase %s:\n%s", strings.Join(refused, ", "), refuse)
	}
	g.pf("\t}\n")
	g.enum(s)
	g.composition(s)
}

// indent shifts generated statements one tab right.
func indent(code string) string {
	return strings.ReplaceAll(strings.TrimSuffix("\t"+strings.ReplaceAll(code, "\n", "\n\t"), "\t"), "\n\t\n", "\n\n")
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

// number is the statements checking a number's keywords, "" for none.
func (g *validation) number(s *openapi3.Schema) string {
	var b strings.Builder
	bound := func(v *float64, exclusive bool, op string) {
		if v == nil {
			return
		}
		cmp := op
		if exclusive {
			cmp = strings.TrimSuffix(op, "=")
		}
		fmt.Fprintf(&b, "\t\tif !(x.Num() %s %s) {\n\t\t\tv.Add(x, %q)\n\t\t}\n", cmp, floatLit(*v), "must be "+cmp+" "+rtNum(*v))
	}
	bound(s.Min, s.ExclusiveMin.IsTrue(), ">=")
	bound(s.Max, s.ExclusiveMax.IsTrue(), "<=")
	if s.ExclusiveMin.Value != nil {
		bound(s.ExclusiveMin.Value, true, ">=")
	}
	if s.ExclusiveMax.Value != nil {
		bound(s.ExclusiveMax.Value, true, "<=")
	}
	if m := s.MultipleOf; m != nil && *m > 0 {
		fmt.Fprintf(&b, "\t\tif !accordrt.MultipleOf(x.Num(), %s) {\n\t\t\tv.Add(x, %q)\n\t\t}\n", floatLit(*m), "must be a multiple of "+rtNum(*m))
	}
	return b.String()
}

func floatLit(f float64) string {
	s := strconv.FormatFloat(f, 'g', -1, 64)
	if !strings.ContainsAny(s, ".eE") {
		s += ".0"
	}
	return s
}

func rtNum(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// str is the statements checking a string's keywords on y, its bytes.
func (g *validation) str(s *openapi3.Schema) string {
	var b strings.Builder
	if s.MinLength > 0 {
		fmt.Fprintf(&b, "\t\tif accordrt.RuneCount(y) < %d {\n\t\t\tv.Add(x, %q)\n\t\t}\n", s.MinLength, fmt.Sprintf("must be at least %d characters long", s.MinLength))
	}
	if s.MaxLength != nil {
		fmt.Fprintf(&b, "\t\tif accordrt.RuneCount(y) > %d {\n\t\t\tv.Add(x, %q)\n\t\t}\n", *s.MaxLength, fmt.Sprintf("must be at most %d characters long", *s.MaxLength))
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
			fmt.Fprintf(&b, "\t\tif !accPatterns[%d].Match(y) {\n\t\t\tv.Add(x, %q)\n\t\t}\n", i, "must match the pattern "+s.Pattern)
		}
	}
	switch s.Format {
	case "date-time", "date", "uuid", "email", "uri", "ipv4", "ipv6", "byte":
		fmt.Fprintf(&b, "\t\tif !accordrt.FormatValid(%q, y) {\n\t\t\tv.Add(x, %q)\n\t\t}\n", s.Format, "must be a valid "+s.Format)
	}
	return b.String()
}

// array is the statements checking an array's keywords, "" for none.
func (g *validation) array(s *openapi3.Schema) string {
	var b strings.Builder
	if s.MinItems > 0 {
		fmt.Fprintf(&b, "\t\tif x.Len() < %d {\n\t\t\tv.Add(x, %q)\n\t\t}\n", s.MinItems, fmt.Sprintf("must have at least %d items", s.MinItems))
	}
	if s.MaxItems != nil {
		fmt.Fprintf(&b, "\t\tif x.Len() > %d {\n\t\t\tv.Add(x, %q)\n\t\t}\n", *s.MaxItems, fmt.Sprintf("must have at most %d items", *s.MaxItems))
	}
	if s.UniqueItems {
		b.WriteString("\t\tif !accordrt.UniqueItems(x) {\n\t\t\tv.Add(x, \"must not have duplicate items\")\n\t\t}\n")
	}
	if m := g.ref(s.Items); m != "" {
		fmt.Fprintf(&b, "\t\tfor it := x.Items(); it.Next(); {\n\t\t\taccValidator{}.%s(it.Value(), v)\n\t\t\tif v.Full() {\n\t\t\t\tbreak\n\t\t\t}\n\t\t}\n", m)
	}
	return b.String()
}

// object is the statements checking an object's keywords, "" for none:
// one pass over the members, a switch on each name, then the required
// names not seen.
func (g *validation) object(s *openapi3.Schema) string {
	var b strings.Builder
	if s.MinProps > 0 {
		fmt.Fprintf(&b, "\t\tif x.Len() < %d {\n\t\t\tv.Add(x, %q)\n\t\t}\n", s.MinProps, fmt.Sprintf("must have at least %d properties", s.MinProps))
	}
	if s.MaxProps != nil {
		fmt.Fprintf(&b, "\t\tif x.Len() > %d {\n\t\t\tv.Add(x, %q)\n\t\t}\n", *s.MaxProps, fmt.Sprintf("must have at most %d properties", *s.MaxProps))
	}
	readOnly := func(name string) bool {
		pr := s.Properties[name]
		return pr != nil && pr.Value != nil && pr.Value.ReadOnly
	}
	var required []string // checked for presence: the server sets read-only ones
	for _, name := range s.Required {
		if !readOnly(name) && !slices.Contains(required, name) {
			required = append(required, name)
		}
	}
	seen := func(name string) string {
		if i := slices.Index(required, name); i >= 0 {
			return fmt.Sprintf("\t\t\t\tseen[%d] = true\n", i)
		}
		return ""
	}
	// other is what a name the schema does not declare gets.
	other := ""
	ap := s.AdditionalProperties
	switch {
	case ap.Has != nil && !*ap.Has:
		other = "\t\t\t\tv.Add(m.Value(), \"is not allowed (additionalProperties is false)\")\n"
	case ap.Schema != nil && ap.Schema.Value != nil:
		if n := g.ref(ap.Schema); n != "" {
			other = fmt.Sprintf("\t\t\t\taccValidator{}.%s(m.Value(), v)\n", n)
		}
	}
	var cases strings.Builder
	for _, name := range sortedKeys(s.Properties) {
		pr := s.Properties[name]
		if pr == nil || pr.Value == nil {
			fmt.Fprintf(&cases, "\t\t\tcase %q:\n%s", name, seen(name))
			continue
		}
		fmt.Fprintf(&cases, "\t\t\tcase %q:\n%s", name, seen(name))
		if readOnly(name) {
			fmt.Fprintf(&cases, "\t\t\t\tv.Add(m.Value(), \"is read-only and must not be sent\")\n")
			continue
		}
		fmt.Fprintf(&cases, "\t\t\t\taccValidator{}.%s(m.Value(), v)\n", g.ref(pr))
	}
	// Required names the schema does not declare as properties are
	// counted, then treated like any other undeclared name.
	var undeclared []string
	for _, name := range required {
		if _, ok := s.Properties[name]; !ok {
			undeclared = append(undeclared, name)
		}
	}
	if len(undeclared) > 0 {
		fmt.Fprintf(&cases, "\t\t\tcase %s:\n", strings.Join(mapStrings(undeclared, strconv.Quote), ", "))
		for _, name := range undeclared {
			fmt.Fprintf(&cases, "\t\t\t\tif string(m.Key()) == %q {\n\t\t\t\t\tseen[%d] = true\n\t\t\t\t}\n", name, slices.Index(required, name))
		}
		cases.WriteString(other)
	}
	if cases.Len() == 0 && other == "" && len(required) == 0 {
		return b.String()
	}
	if len(required) > 0 {
		fmt.Fprintf(&b, "\t\tvar seen [%d]bool\n", len(required))
	}
	b.WriteString("\t\tfor m := x.Members(); m.Next(); {\n")
	if cases.Len() > 0 {
		b.WriteString("\t\t\tswitch string(m.Key()) {\n")
		b.WriteString(cases.String())
		if other != "" {
			b.WriteString("\t\t\tdefault:\n" + other)
		}
		b.WriteString("\t\t\t}\n")
	} else {
		b.WriteString(strings.ReplaceAll(other, "\t\t\t\t", "\t\t\t"))
	}
	b.WriteString("\t\t\tif v.Full() {\n\t\t\t\tbreak\n\t\t\t}\n\t\t}\n")
	for i, name := range required {
		fmt.Fprintf(&b, "\t\tif !seen[%d] {\n\t\t\tv.AddMember(x, %q, \"is required\")\n\t\t}\n", i, name)
	}
	return b.String()
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

// enum checks enum and const: scalars by a switch on the value's kind,
// arrays and objects by comparison with the contract's values.
func (g *validation) enum(s *openapi3.Schema) {
	list := func(vals []any, detail string) {
		var norm []any
		for _, e := range vals {
			x, ok := jsonValue(e)
			if !ok {
				return
			}
			if slices.ContainsFunc(norm, func(y any) bool { return goValue(y) == goValue(x) }) {
				continue // a duplicate case would not compile
			}
			norm = append(norm, x)
		}
		var strs, nums, composite []string
		var bools []bool
		null := false
		for _, x := range norm {
			switch x := x.(type) {
			case nil:
				null = true
			case bool:
				bools = append(bools, x)
			case float64:
				nums = append(nums, goValue(x))
			case string:
				strs = append(strs, strconv.Quote(x))
			default:
				composite = append(composite, "x.Equal("+goValue(x)+")")
			}
		}
		add := fmt.Sprintf("v.Add(x, %q)", detail)
		g.pf("\tswitch x.Kind() {\n")
		if len(strs) > 0 {
			g.pf("\tcase accordrt.JSONString:\n\t\tswitch string(x.Bytes()) {\n\t\tcase %s:\n\t\tdefault:\n\t\t\t%s\n\t\t}\n", strings.Join(strs, ", "), add)
		}
		if len(nums) > 0 {
			g.pf("\tcase accordrt.JSONNumber:\n\t\tswitch x.Num() {\n\t\tcase %s:\n\t\tdefault:\n\t\t\t%s\n\t\t}\n", strings.Join(nums, ", "), add)
		}
		switch len(bools) {
		case 1:
			neg := "!"
			if !bools[0] {
				neg = ""
			}
			g.pf("\tcase accordrt.JSONBool:\n\t\tif %sx.Bool() {\n\t\t\t%s\n\t\t}\n", neg, add)
		case 2:
			g.pf("\tcase accordrt.JSONBool:\n")
		}
		if null {
			g.pf("\tcase accordrt.JSONNull:\n")
		}
		if len(composite) > 0 {
			g.pf("\tdefault:\n\t\tif !(%s) {\n\t\t\t%s\n\t\t}\n\t}\n", strings.Join(composite, " || "), add)
			return
		}
		g.pf("\tdefault:\n\t\t%s\n\t}\n", add)
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
			g.pf("\taccValidator{}.%s(x, v)\n", n)
		}
	}
	if len(s.AnyOf) > 0 {
		var conds []string
		for _, m := range s.AnyOf {
			if n := g.ref(m); n != "" {
				conds = append(conds, "accordrt.Matches(accValidator{}."+n+", x, v)")
			}
		}
		if len(conds) > 0 {
			g.pf("\tif !(%s) {\n\t\tv.Add(x, \"must match at least one of the anyOf schemas\")\n\t}\n", strings.Join(conds, " || "))
		}
	}
	if len(s.OneOf) > 0 {
		if d := s.Discriminator; d != nil && d.PropertyName != "" && g.discriminated(s, d) {
			return
		}
		g.pf("\tif n := 0")
		for _, m := range s.OneOf {
			if n := g.ref(m); n != "" {
				g.pf(" + accordrt.CountTrue(accordrt.Matches(accValidator{}.%s, x, v))", n)
			}
		}
		g.pf("; n != 1 {\n\t\tv.Add(x, \"must match exactly one of the oneOf schemas, matches \"+strconv.Itoa(n))\n\t}\n")
	}
	if s.Not != nil {
		if n := g.ref(s.Not); n != "" {
			g.pf("\tif accordrt.Matches(accValidator{}.%s, x, v) {\n\t\tv.Add(x, \"must not match the not schema\")\n\t}\n", n)
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
	g.pf("\tif x.Kind() == accordrt.JSONObject {\n\t\tswitch dv := x.Member(%q); {\n", d.PropertyName)
	for _, k := range keys {
		g.pf("\t\tcase dv.StringIs(%q):\n\t\t\taccValidator{}.%s(x, v)\n", k, cases[k])
	}
	g.pf("\t\tdefault:\n\t\t\tv.AddMember(x, %q, %q)\n\t\t}\n\t}\n", d.PropertyName, "must be one of "+strings.Join(mapStrings(keys, strconv.Quote), ", "))
	return true
}
