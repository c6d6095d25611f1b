package generator

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// More model fixes, for names that collide inside one Go type and for
// bodies oapi-codegen cannot type.

// renameDuplicateFields gives properties of one schema that become the same
// Go field (APIs.guru's JSON-LD "@id" next to "id", both Id) distinct names
// with x-go-name, set on the property's reference so a shared schema is not
// touched. Plain names (letters, digits, underscores) keep the field; the
// others, in name order, become Id2, Id3...
func renameDuplicateFields(t *openapi3.T) []string {
	var notes []string
	done := map[*openapi3.Schema]bool{}
	forEachSchemaRef(t, func(r *openapi3.SchemaRef, path []string) {
		s := r.Value
		if r.Ref != "" || s == nil || done[s] || len(s.Properties) < 2 {
			return
		}
		done[s] = true
		groups := map[string][]string{}
		for _, name := range sortedKeys(s.Properties) {
			groups[fieldName(name, s.Properties[name])] = append(groups[fieldName(name, s.Properties[name])], name)
		}
		for _, field := range sortedKeys(groups) {
			names := groups[field]
			if len(names) < 2 {
				continue
			}
			sort.SliceStable(names, func(i, j int) bool { return isPlainName(names[i]) && !isPlainName(names[j]) })
			for i, name := range names[1:] {
				fresh := field + strconv.Itoa(i+2)
				for n := i + 3; groups[fresh] != nil; n++ {
					fresh = field + strconv.Itoa(n)
				}
				groups[fresh] = []string{name}
				p := s.Properties[name]
				if p.Extensions == nil {
					p.Extensions = map[string]any{}
				}
				p.Extensions[extGoName] = fresh
				where := "a schema"
				if path != nil {
					where = "components/schemas/" + strings.Join(path, "/")
				}
				notes = append(notes, fmt.Sprintf("%s: properties %q and %q are both field %s; %q is generated as %s", where, names[0], name, field, name, fresh))
			}
		}
	})
	return notes
}

func fieldName(prop string, r *openapi3.SchemaRef) string {
	if s, ok := r.Extensions[extGoName].(string); ok && s != "" {
		return codegen.SchemaNameToTypeName(s)
	}
	if r.Value != nil {
		if s, ok := r.Value.Extensions[extGoName].(string); ok && s != "" {
			return codegen.SchemaNameToTypeName(s)
		}
	}
	return codegen.SchemaNameToTypeName(prop)
}

func isPlainName(s string) bool {
	for _, r := range s {
		if !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}

// renameDuplicateParams separates an operation's query, header and cookie
// parameters that become the same field of its Params struct (Mercure's
// Last-Event-ID as both query and header parameter): the later one, in
// query-header-cookie order, gets its location as a suffix
// (LastEventIDHeader) through x-go-name.
func renameDuplicateParams(t *openapi3.T) []string {
	var notes []string
	visit := func(where string, item *openapi3.PathItem) {
		if item == nil {
			return
		}
		for _, m := range sortedKeys(item.Operations()) {
			op := item.Operations()[m]
			params := map[string]*openapi3.Parameter{}
			for _, list := range []openapi3.Parameters{item.Parameters, op.Parameters} {
				for _, p := range list {
					if p != nil && p.Value != nil {
						params[p.Value.In+"\x00"+p.Value.Name] = p.Value
					}
				}
			}
			taken := map[string]bool{}
			for _, in := range []string{"query", "header", "cookie"} {
				for _, key := range sortedKeys(params) {
					p := params[key]
					if p.In != in {
						continue
					}
					name := p.Name
					if s, ok := p.Extensions[extGoName].(string); ok && s != "" {
						name = s
					}
					field := codegen.SchemaNameToTypeName(name)
					if !taken[field] {
						taken[field] = true
						continue
					}
					fresh := field + codegen.SchemaNameToTypeName(in)
					for i := 2; taken[fresh]; i++ {
						fresh = field + codegen.SchemaNameToTypeName(in) + strconv.Itoa(i)
					}
					taken[fresh] = true
					if p.Extensions == nil {
						p.Extensions = map[string]any{}
					}
					p.Extensions[extGoName] = fresh
					notes = append(notes, fmt.Sprintf("%s %s: the %s parameter %q is generated as field %s (%s is taken)", m, where, in, p.Name, fresh, field))
				}
			}
		}
	}
	if t.Paths != nil {
		for _, p := range sortedKeys(t.Paths.Map()) {
			visit(p, t.Paths.Value(p))
		}
	}
	for _, n := range sortedKeys(t.Webhooks) {
		visit(n, t.Webhooks[n])
	}
	return append(notes, renameLocalPathParams(t)...)
}

// isOapiLocal reports the names oapi-codegen's request builders and server
// wrappers give their own arguments and variables, beside the path
// parameters' variables: a path parameter {server} made
// NewGetServerRequest(server string, server string). The packages their
// bodies refer to are such names too: sakari.io's {url} shadowed net/url
// inside the builder (url.Parse undefined on a string).
func isOapiLocal(name string) bool {
	switch name {
	case "server", "serverURL", "operationPath", "queryURL", "queryValues",
		"req", "err", "body", "bodyReader", "buf", "contentType",
		"params", "ctx", "w", "r", "handler", "siw", "sh",
		"request", "response", "rsp", "reqEditors", "bodyBytes":
		return true
	}
	return isBuilderPackage(name)
}

// isBuilderPackage reports the packages that oapi-codegen's builders,
// wrappers and strict handlers and accord's client methods refer to inside
// a function that takes path parameters as arguments or variables. Packages
// only named in a signature's types (path, os, yaml) are left out: GitHub's
// {path} keeps its Go name.
func isBuilderPackage(name string) bool {
	switch name {
	case "bytes", "context", "errors", "fmt", "http", "io", "json", "mime", "multipart",
		"runtime", "strings", "time", "url", "xml", "accordrt", "oapirt":
		return true
	}
	return false
}

// renameLocalPathParams gives a path parameter whose Go variable would be
// one of those (isOapiLocal) the Go name <Name>Param through x-go-name; the name
// sent on the wire does not change.
func renameLocalPathParams(t *openapi3.T) []string {
	var notes []string
	done := map[*openapi3.Parameter]bool{}
	fix := func(where string, list openapi3.Parameters) {
		for _, p := range list {
			if p == nil || p.Value == nil || p.Value.In != openapi3.ParameterInPath || done[p.Value] {
				continue
			}
			done[p.Value] = true
			name := p.Value.Name
			if s, ok := p.Value.Extensions[extGoName].(string); ok && s != "" {
				name = s
			}
			goName := codegen.SchemaNameToTypeName(name)
			if !isOapiLocal(codegen.LowercaseFirstCharacters(goName)) {
				continue
			}
			if p.Value.Extensions == nil {
				p.Value.Extensions = map[string]any{}
			}
			p.Value.Extensions[extGoName] = goName + "Param"
			why := "a name of the generated function's own"
			if isBuilderPackage(codegen.LowercaseFirstCharacters(goName)) {
				why = "a package the generated function refers to"
			}
			notes = append(notes, fmt.Sprintf("%s: the path parameter %q is generated as %sParam (%s is %s)", where, p.Value.Name, goName, codegen.LowercaseFirstCharacters(goName), why))
		}
	}
	visit := func(where string, item *openapi3.PathItem) {
		if item == nil {
			return
		}
		fix(where, item.Parameters)
		for _, m := range sortedKeys(item.Operations()) {
			fix(m+" "+where, item.Operations()[m].Parameters)
		}
	}
	if t.Paths != nil {
		for _, p := range sortedKeys(t.Paths.Map()) {
			visit(p, t.Paths.Value(p))
		}
	}
	for _, n := range sortedKeys(t.Webhooks) {
		visit(n, t.Webhooks[n])
	}
	return notes
}

// dedupeUnionMembers drops repeated $refs from a oneOf/anyOf (Apple's
// AppCategoriesResponse lists AppCategory twice): oapi-codegen declares the
// member's As/From/Merge methods once per listing. A repeated member adds
// nothing to what the union accepts.
func dedupeUnionMembers(t *openapi3.T) int {
	n := 0
	dedupe := func(refs openapi3.SchemaRefs) openapi3.SchemaRefs {
		seen := map[string]bool{}
		out := refs[:0]
		for _, r := range refs {
			if r != nil && r.Ref != "" {
				if seen[r.Ref] {
					n++
					continue
				}
				seen[r.Ref] = true
			}
			out = append(out, r)
		}
		return out
	}
	forEachSchemaRef(t, func(r *openapi3.SchemaRef, _ []string) {
		if s := r.Value; r.Ref == "" && s != nil {
			s.OneOf = dedupe(s.OneOf)
			s.AnyOf = dedupe(s.AnyOf)
		}
	})
	return n
}

// typeUntypedBodies gives JSON and text bodies without a schema (content:
// {application/json: {}}), or whose schema is {}, a type: oapi-codegen types
// them interface{} and then declares strict-server methods on that
// interface, which Go refuses. Any JSON becomes json.RawMessage, text a
// string; the body's schema is replaced at the body only.
func typeUntypedBodies(t *openapi3.T) int {
	n := 0
	fix := func(c openapi3.Content, request bool) {
		for _, ct := range sortedKeys(c) {
			mt := c[ct]
			// A text request body of another type than string (an integer,
			// an object) is read by the strict server as its bytes converted
			// to that type, which Go refuses: it is a text, so a string.
			if request && mt != nil && mt.Schema != nil && strings.HasPrefix(ct, "text/") && !isStringSchema(mt.Schema) && !isEmptySchema(mt.Schema) {
				mt.Schema = &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}}}
				n++
				continue
			}
			if mt == nil || (mt.Schema != nil && !isEmptySchema(mt.Schema)) {
				continue
			}
			switch {
			case strings.Contains(ct, "json"):
				mt.Schema = &openapi3.SchemaRef{Value: &openapi3.Schema{Extensions: map[string]any{"x-go-type": "json.RawMessage"}}}
			case strings.HasPrefix(ct, "text/"):
				mt.Schema = &openapi3.SchemaRef{Value: &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}}}
			default:
				continue
			}
			n++
		}
	}
	visit := func(item *openapi3.PathItem) {
		if item == nil {
			return
		}
		for _, m := range sortedKeys(item.Operations()) {
			op := item.Operations()[m]
			if op.RequestBody != nil && op.RequestBody.Ref == "" && op.RequestBody.Value != nil {
				fix(op.RequestBody.Value.Content, true)
			}
			if op.Responses != nil {
				for _, code := range sortedKeys(op.Responses.Map()) {
					if r := op.Responses.Value(code); r != nil && r.Ref == "" && r.Value != nil {
						fix(r.Value.Content, false)
					}
				}
			}
		}
	}
	if t.Paths != nil {
		for _, p := range sortedKeys(t.Paths.Map()) {
			visit(t.Paths.Value(p))
		}
	}
	for _, n := range sortedKeys(t.Webhooks) {
		visit(t.Webhooks[n])
	}
	if c := t.Components; c != nil {
		for _, name := range sortedKeys(c.Responses) {
			if r := c.Responses[name]; r != nil && r.Ref == "" && r.Value != nil {
				fix(r.Value.Content, false)
			}
		}
		for _, name := range sortedKeys(c.RequestBodies) {
			if r := c.RequestBodies[name]; r != nil && r.Ref == "" && r.Value != nil {
				fix(r.Value.Content, true)
			}
		}
	}
	return n
}

// isStringSchema is a schema of type string (a named string type converts
// from []byte too), not format binary (generated as openapi_types.File).
func isStringSchema(r *openapi3.SchemaRef) bool {
	return r.Value != nil && r.Value.Type.Is(openapi3.TypeString) && len(r.Value.Properties) == 0 && r.Value.Format != "binary"
}

// isEmptySchema is the schema {} (any value), inline or referenced (AWS's
// ClientLimitExceededException component is {}), extensions aside.
func isEmptySchema(r *openapi3.SchemaRef) bool {
	if r.Value == nil {
		return r.Ref == ""
	}
	s := *r.Value
	s.Extensions, s.Description, s.Title, s.Example = nil, "", "", nil
	s.Nullable, s.ReadOnly, s.WriteOnly, s.Deprecated = false, false, false, false
	return emptySchema(&s, map[*openapi3.Schema]bool{r.Value: false})
}

// emptySchema is kin-openapi's Schema.IsEmpty made safe on recursive
// schemas: IsEmpty descends into subschemas without remembering where it
// has been, and a schema that contains itself (Root: {properties: {child:
// {$ref: Root}}}) overflowed the stack. Only the keywords are asked of
// IsEmpty, on a copy without subschemas; the subschemas are walked here,
// each once (known holds results), and one met again on the way down counts
// as not empty (it is a named, recursive type, not {}).
func emptySchema(s *openapi3.Schema, known map[*openapi3.Schema]bool) bool {
	flat := *s
	flat.Not, flat.Items, flat.Contains, flat.PropertyNames = nil, nil, nil, nil
	flat.If, flat.Then, flat.Else = nil, nil, nil
	flat.AdditionalProperties.Schema = nil
	flat.UnevaluatedItems.Schema, flat.UnevaluatedProperties.Schema = nil, nil
	flat.PrefixItems, flat.OneOf, flat.AnyOf, flat.AllOf = nil, nil, nil, nil
	flat.Properties, flat.PatternProperties, flat.DependentSchemas = nil, nil, nil
	if !flat.IsEmpty() {
		return false
	}
	subs := []*openapi3.SchemaRef{s.Not, s.Items, s.Contains, s.PropertyNames, s.If, s.Then, s.Else,
		s.AdditionalProperties.Schema, s.UnevaluatedItems.Schema, s.UnevaluatedProperties.Schema}
	subs = append(subs, s.PrefixItems...)
	subs = append(subs, s.OneOf...)
	subs = append(subs, s.AnyOf...)
	subs = append(subs, s.AllOf...)
	for _, m := range []openapi3.Schemas{s.Properties, s.PatternProperties, s.DependentSchemas} {
		for _, r := range m {
			subs = append(subs, r)
		}
	}
	for _, r := range subs {
		if r == nil || r.Value == nil {
			continue
		}
		empty, ok := known[r.Value]
		if !ok {
			known[r.Value] = false // in progress: a cycle back here is not {}
			empty = emptySchema(r.Value, known)
			known[r.Value] = empty
		}
		if !empty {
			return false
		}
	}
	return true
}

// dropMistypedEnums removes the enum of a number, integer or boolean schema
// whose values are not of that type (Visual Studio's AzureLocation is an
// int32 listing "1001 (SouthAfricaNorth)"): oapi-codegen cannot write such
// constants. The schema keeps its type, so the wire format is unchanged; only
// the constants are lost.
func dropMistypedEnums(t *openapi3.T) []string {
	var notes []string
	done := map[*openapi3.Schema]bool{}
	forEachSchemaRef(t, func(r *openapi3.SchemaRef, path []string) {
		s := r.Value
		if s == nil || done[s] || len(s.Enum) == 0 || s.Type == nil {
			return
		}
		done[s] = true
		where := "a schema"
		if path != nil {
			where = "components/schemas/" + strings.Join(path, "/")
		}
		// These formats map to Go types that cannot be constants
		// (time.Time, openapi_types.UUID, ...): SendGrid's send_at is a
		// date-time with enum ["now"].
		switch s.Format {
		case "date-time", "date", "uuid", "binary", "byte":
			if s.Type.Includes(openapi3.TypeString) {
				notes = append(notes, fmt.Sprintf("%s: an enum of format %s cannot be Go constants; the enum is left out", where, s.Format))
				s.Enum = nil
				return
			}
		}
		// null in an enum says the value may be null (the Go field is a
		// pointer); it is no constant, and oapi-codegen fails on it.
		if i := slices.Index(s.Enum, nil); i >= 0 {
			s.Enum = slices.DeleteFunc(slices.Clone(s.Enum), func(v any) bool { return v == nil })
			if len(s.Enum) == 0 {
				s.Enum = nil
				return
			}
		}
		for _, v := range s.Enum {
			if enumValueFits(s.Type, v) {
				continue
			}
			notes = append(notes, fmt.Sprintf("%s: enum value %q does not fit type %s; the enum is left out",
				where, fmt.Sprint(v), strings.Join(s.Type.Slice(), "|")))
			s.Enum = nil
			return
		}
	})
	return notes
}

func enumValueFits(typ *openapi3.Types, v any) bool {
	switch x := v.(type) {
	case float64:
		if typ.Includes(openapi3.TypeInteger) {
			return x == float64(int64(x)) || typ.Includes(openapi3.TypeNumber)
		}
		return typ.Includes(openapi3.TypeNumber) || typ.Includes(openapi3.TypeString)
	case int, int64:
		return typ.Includes(openapi3.TypeInteger) || typ.Includes(openapi3.TypeNumber) || typ.Includes(openapi3.TypeString)
	case bool:
		return typ.Includes(openapi3.TypeBoolean) || typ.Includes(openapi3.TypeString)
	case string:
		return !typ.Includes(openapi3.TypeInteger) && !typ.Includes(openapi3.TypeNumber) && !typ.Includes(openapi3.TypeBoolean)
	}
	return true
}

// dropMetadataAllOfMembers removes allOf members that only describe (a
// description, title or example and nothing else): AWS writes
// allOf: [{$ref: DateTime}, {description: ...}] to document a reference, and
// oapi-codegen's merge then fails on the formats ("date-time" against none).
// Such a member constrains nothing, so the schema accepts the same values.
func dropMetadataAllOfMembers(t *openapi3.T) int {
	n := 0
	forEachSchemaRef(t, func(r *openapi3.SchemaRef, _ []string) {
		s := r.Value
		if r.Ref != "" || s == nil || len(s.AllOf) < 2 {
			return
		}
		kept := make(openapi3.SchemaRefs, 0, len(s.AllOf))
		for _, m := range s.AllOf {
			// {nullable: true} next to a $ref makes it nullable: kept.
			if m != nil && m.Ref == "" && m.Value != nil && !m.Value.Nullable && isEmptySchema(m) {
				if s.Description == "" {
					s.Description = m.Value.Description // keep the documentation
				}
				n++
				continue
			}
			kept = append(kept, m)
		}
		if len(kept) == 0 {
			kept = s.AllOf[:1]
			n--
		}
		s.AllOf = kept
	})
	return n
}

// untypeMultiTypes removes the type of an OpenAPI 3.1 schema that allows
// several non-null types (Vercel's namespaceId is [string, number]):
// oapi-codegen handles only one type, and null. Without a type the value is
// any JSON value (interface{} in Go), which still accepts what the contract
// allows.
func untypeMultiTypes(t *openapi3.T) int {
	n := 0
	done := map[*openapi3.Schema]bool{}
	forEachSchemaRef(t, func(r *openapi3.SchemaRef, _ []string) {
		s := r.Value
		if s == nil || done[s] || s.Type == nil {
			return
		}
		done[s] = true
		var kinds []string
		for _, k := range s.Type.Slice() {
			if k != openapi3.TypeNull {
				kinds = append(kinds, k)
			}
		}
		if len(kinds) > 1 {
			s.Type = nil
			s.Format = ""
			n++
		}
	})
	return n
}
