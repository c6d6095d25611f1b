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

// schema writes the method checking s.
func (g *validation) schema(s *openapi3.Schema) {
	name := g.names[s]
	g.pf("\nfunc (accValidator) %s(x any, p *accordrt.JSONPointer, v *accordrt.Violations) {\n", name)
	defer g.pf("}\n")
	if s.Always != nil {
		if !*s.Always {
			g.pf("\tv.Add(p, \"no value is allowed here\")\n")
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
		g.pf("\t\tv.Add(p, %q)\n\t\treturn\n", nullDetail(want))
	}
	g.pf("\tcase bool:\n\t\t_ = y\n")
	if !has("boolean") {
		g.pf("\t\tv.Add(p, %q)\n\t\treturn\n", typeErr)
	}
	g.pf("\tcase float64:\n")
	switch {
	case has("number"):
	case has("integer"):
		g.pf("\t\tif !accordrt.IsInteger(y) {\n\t\t\tv.Add(p, %q)\n\t\t\treturn\n\t\t}\n", typeErr)
	default:
		g.pf("\t\tv.Add(p, %q)\n\t\treturn\n", typeErr)
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
		g.pf("\t\tv.Add(p, %q)\n\t\treturn\n", typeErr)
	}
	g.pf("\tcase []any:\n")
	if has("array") {
		g.array(s)
	} else {
		g.pf("\t\tv.Add(p, %q)\n\t\treturn\n", typeErr)
	}
	g.pf("\tcase map[string]any:\n")
	if has("object") {
		g.object(s)
	} else {
		g.pf("\t\tv.Add(p, %q)\n\t\treturn\n", typeErr)
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
		g.pf("\t\tif !(y %s %s) {\n\t\t\tv.Add(p, %q)\n\t\t}\n", cmp, floatLit(*v), "must be "+cmp+" "+rtNum(*v))
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
		g.pf("\t\tif !accordrt.MultipleOf(y, %s) {\n\t\t\tv.Add(p, %q)\n\t\t}\n", floatLit(*m), "must be a multiple of "+rtNum(*m))
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
		g.pf("\t\tif accordrt.RuneCount(y) < %d {\n\t\t\tv.Add(p, %q)\n\t\t}\n", s.MinLength, fmt.Sprintf("must be at least %d characters long", s.MinLength))
	}
	if s.MaxLength != nil {
		g.pf("\t\tif accordrt.RuneCount(y) > %d {\n\t\t\tv.Add(p, %q)\n\t\t}\n", *s.MaxLength, fmt.Sprintf("must be at most %d characters long", *s.MaxLength))
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
			g.pf("\t\tif !accPatterns[%d].MatchString(y) {\n\t\t\tv.Add(p, %q)\n\t\t}\n", i, "must match the pattern "+s.Pattern)
		}
	}
	switch s.Format {
	case "date-time", "date", "uuid", "email", "uri", "ipv4", "ipv6", "byte":
		g.pf("\t\tif !accordrt.FormatValid(%q, y) {\n\t\t\tv.Add(p, %q)\n\t\t}\n", s.Format, "must be a valid "+s.Format)
	}
}

func (g *validation) array(s *openapi3.Schema) {
	if s.MinItems > 0 {
		g.pf("\t\tif len(y) < %d {\n\t\t\tv.Add(p, %q)\n\t\t}\n", s.MinItems, fmt.Sprintf("must have at least %d items", s.MinItems))
	}
	if s.MaxItems != nil {
		g.pf("\t\tif len(y) > %d {\n\t\t\tv.Add(p, %q)\n\t\t}\n", *s.MaxItems, fmt.Sprintf("must have at most %d items", *s.MaxItems))
	}
	if s.UniqueItems {
		g.pf("\t\tif !accordrt.UniqueItems(y) {\n\t\t\tv.Add(p, \"must not have duplicate items\")\n\t\t}\n")
	}
	if m := g.ref(s.Items); m != "" {
		g.pf("\t\tfor i, it := range y {\n\t\t\taccValidator{}.%s(it, &accordrt.JSONPointer{Up: p, Index: i, Array: true}, v)\n\t\t\tif v.Full() {\n\t\t\t\tbreak\n\t\t\t}\n\t\t}\n", m)
	}
}

func (g *validation) object(s *openapi3.Schema) {
	if s.MinProps > 0 {
		g.pf("\t\tif len(y) < %d {\n\t\t\tv.Add(p, %q)\n\t\t}\n", s.MinProps, fmt.Sprintf("must have at least %d properties", s.MinProps))
	}
	if s.MaxProps != nil {
		g.pf("\t\tif len(y) > %d {\n\t\t\tv.Add(p, %q)\n\t\t}\n", *s.MaxProps, fmt.Sprintf("must have at most %d properties", *s.MaxProps))
	}
	readOnly := func(name string) bool {
		pr := s.Properties[name]
		return pr != nil && pr.Value != nil && pr.Value.ReadOnly
	}
	for _, name := range s.Required {
		if readOnly(name) {
			continue // the server sets it; a request does not send it
		}
		g.pf("\t\tif _, ok := y[%q]; !ok {\n\t\t\tv.Add(&accordrt.JSONPointer{Up: p, Key: %q}, \"is required\")\n\t\t}\n", name, name)
	}
	for _, name := range sortedKeys(s.Properties) {
		pr := s.Properties[name]
		if pr == nil || pr.Value == nil {
			continue
		}
		if readOnly(name) {
			g.pf("\t\tif _, ok := y[%q]; ok {\n\t\t\tv.Add(&accordrt.JSONPointer{Up: p, Key: %q}, \"is read-only and must not be sent\")\n\t\t}\n", name, name)
			continue
		}
		g.pf("\t\tif pv, ok := y[%q]; ok {\n\t\t\taccValidator{}.%s(pv, &accordrt.JSONPointer{Up: p, Key: %q}, v)\n\t\t}\n", name, g.ref(pr), name)
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
		// accordrt.ExtraKeys sorts only when there is something to report: the
		// answer is stable and a valid request pays no allocation.
		g.pf("\t\tfor _, k := range accordrt.ExtraKeys(y, %s) {\n\t\t\tv.Add(&accordrt.JSONPointer{Up: p, Key: k}, \"is not allowed (additionalProperties is false)\")\n\t\t}\n",
			knownSetLit(sortedKeys(s.Properties)))
	case ap.Schema != nil && ap.Schema.Value != nil:
		g.pf("\t\tfor k, pv := range y {\n%s\t\t\taccValidator{}.%s(pv, &accordrt.JSONPointer{Up: p, Key: k}, v)\n\t\t}\n", known(), g.ref(ap.Schema))
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
			g.pf("\tswitch x {\n\tcase %s:\n\tdefault:\n\t\tv.Add(p, %q)\n\t}\n", strings.Join(mapAny(norm), ", "), detail)
			return
		}
		var conds []string
		for _, x := range norm {
			conds = append(conds, "accordrt.JSONEqual(x, "+goValue(x)+")")
		}
		g.pf("\tif !(%s) {\n\t\tv.Add(p, %q)\n\t}\n", strings.Join(conds, " || "), detail)
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
				conds = append(conds, "accordrt.Matches(accValidator{}."+n+", x, v)")
			}
		}
		if len(conds) > 0 {
			g.pf("\tif !(%s) {\n\t\tv.Add(p, \"must match at least one of the anyOf schemas\")\n\t}\n", strings.Join(conds, " || "))
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
		g.pf("; n != 1 {\n\t\tv.Add(p, \"must match exactly one of the oneOf schemas, matches \"+strconv.Itoa(n))\n\t}\n")
	}
	if s.Not != nil {
		if n := g.ref(s.Not); n != "" {
			g.pf("\tif accordrt.Matches(accValidator{}.%s, x, v) {\n\t\tv.Add(p, \"must not match the not schema\")\n\t}\n", n)
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
	g.pf("\t\tdefault:\n\t\t\tv.Add(&accordrt.JSONPointer{Up: p, Key: %q}, %q)\n\t\t}\n\t}\n", d.PropertyName, "must be one of "+strings.Join(mapStrings(keys, strconv.Quote), ", "))
	return true
}
