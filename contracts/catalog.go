package contracts

import (
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// CatalogProblems checks an OpenAPI contract against the data model a local
// catalog needs to keep entities from several systems in sync (validate
// --profile catalog):
//
//   - every entity (a component schema an item resource, GET /things/{id},
//     answers with) has a required unique id, created and updated
//     timestamps (date-time) and a metadata map;
//   - no money amount anywhere is a floating-point number: amounts are
//     integer minor units (amount_minor: {type: integer, minimum: 0}) with
//     their currency.
//
// Missing ids and floating-point money are errors; missing timestamps and
// metadata are warnings.
func CatalogProblems(doc *Document) []Problem {
	if doc == nil || doc.OpenAPI == nil {
		return nil
	}
	t := doc.OpenAPI
	var out []Problem
	for _, name := range catalogEntities(t) {
		ptr := Pointer("components", "schemas", name)
		s := t.Components.Schemas[name].Value
		out = append(out, entityProblems(doc.Pos(ptr), name, s)...)
	}
	seen := map[*openapi3.Schema]bool{}
	if t.Components != nil {
		for _, name := range sortedSchemaNames(t.Components.Schemas) {
			out = append(out, moneyProblems(doc, Pointer("components", "schemas", name), t.Components.Schemas[name], seen, 0)...)
		}
	}
	if t.Paths != nil {
		for _, path := range t.Paths.InMatchingOrder() {
			item := t.Paths.Value(path)
			for method, op := range item.Operations() {
				base := Pointer("paths", path, strings.ToLower(method))
				if op.RequestBody != nil && op.RequestBody.Value != nil {
					for mt, c := range op.RequestBody.Value.Content {
						out = append(out, moneyProblems(doc, base+Pointer("requestBody", "content", mt, "schema"), c.Schema, seen, 0)...)
					}
				}
				if op.Responses != nil {
					for code, r := range op.Responses.Map() {
						if r.Value == nil {
							continue
						}
						for mt, c := range r.Value.Content {
							out = append(out, moneyProblems(doc, base+Pointer("responses", code, "content", mt, "schema"), c.Schema, seen, 0)...)
						}
					}
				}
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Pos.Line != out[j].Pos.Line {
			return out[i].Pos.Line < out[j].Pos.Line
		}
		return out[i].Code < out[j].Code
	})
	return out
}

// catalogEntities are the component schemas an item resource answers a
// GET with: the 200 JSON body of a path ending in a parameter.
func catalogEntities(t *openapi3.T) []string {
	if t.Paths == nil || t.Components == nil {
		return nil
	}
	names := map[string]bool{}
	for _, path := range t.Paths.InMatchingOrder() {
		if !strings.HasSuffix(path, "}") {
			continue
		}
		op := t.Paths.Value(path).Get
		if op == nil || op.Responses == nil {
			continue
		}
		r := op.Responses.Value("200")
		if r == nil || r.Value == nil {
			continue
		}
		for mt, c := range r.Value.Content {
			if !strings.Contains(mt, "json") || c.Schema == nil {
				continue
			}
			if name, ok := strings.CutPrefix(c.Schema.Ref, "#/components/schemas/"); ok && t.Components.Schemas[name] != nil && t.Components.Schemas[name].Value != nil {
				names[name] = true
			}
		}
	}
	out := make([]string, 0, len(names))
	for n := range names {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// flatProperties merges a schema's properties and required list with
// those of its allOf members (an entity is often its input plus the
// server's fields).
func flatProperties(s *openapi3.Schema, props openapi3.Schemas, required map[string]bool, depth int) {
	if s == nil || depth > 8 {
		return
	}
	for n, p := range s.Properties {
		if _, ok := props[n]; !ok {
			props[n] = p
		}
	}
	for _, r := range s.Required {
		required[r] = true
	}
	for _, m := range s.AllOf {
		if m != nil {
			flatProperties(m.Value, props, required, depth+1)
		}
	}
}

func entityProblems(pos Position, name string, s *openapi3.Schema) []Problem {
	var out []Problem
	props, required := openapi3.Schemas{}, map[string]bool{}
	flatProperties(s, props, required, 0)
	prop := func(names ...string) (string, *openapi3.Schema) {
		for _, n := range names {
			if p := props[n]; p != nil && p.Value != nil {
				return n, p.Value
			}
		}
		return "", nil
	}
	id, idSchema := prop("id", "uuid", "key")
	switch {
	case idSchema == nil:
		out = append(out, Problem{Pos: pos, Severity: SeverityError, Code: "catalog-no-id",
			Message: fmt.Sprintf("entity %s has no unique id", name),
			Hint:    "add `id: {type: string}` and list it in required; the catalog keys every system's record by it"})
	case !required[id]:
		out = append(out, Problem{Pos: pos, Severity: SeverityError, Code: "catalog-id-optional",
			Message: fmt.Sprintf("entity %s: its %s is not required", name, id),
			Hint:    fmt.Sprintf("add %s to required: a record without its id cannot be matched", id)})
	}
	for _, ts := range [][]string{{"created_at", "createdAt", "created"}, {"updated_at", "updatedAt", "updated", "modified_at", "modifiedAt"}} {
		n, p := prop(ts...)
		if p == nil {
			out = append(out, Problem{Pos: pos, Severity: SeverityWarning, Code: "catalog-no-timestamp",
				Message: fmt.Sprintf("entity %s has no %s timestamp", name, ts[0]),
				Hint:    fmt.Sprintf("add `%s: {type: string, format: date-time}`: syncing needs to know which copy is newer", ts[0])})
		} else if p.Format != "date-time" {
			out = append(out, Problem{Pos: pos, Severity: SeverityWarning, Code: "catalog-timestamp-format",
				Message: fmt.Sprintf("entity %s: %s is not a date-time", name, n),
				Hint:    fmt.Sprintf("declare `%s: {type: string, format: date-time}` (RFC 3339)", n)})
		}
	}
	if _, p := prop("metadata", "meta", "attributes", "custom_fields", "customFields"); p == nil {
		out = append(out, Problem{Pos: pos, Severity: SeverityWarning, Code: "catalog-no-metadata",
			Message: fmt.Sprintf("entity %s has no metadata map", name),
			Hint:    "add `metadata: {type: object, additionalProperties: {type: string}}` for the other systems' ids and tags"})
	}
	return out
}

// isMoneyName reports a property name that holds an amount of money.
func isMoneyName(n string) bool {
	l := strings.ToLower(strings.ReplaceAll(n, "_", ""))
	for _, w := range []string{"amount", "price", "total", "subtotal", "balance", "cost", "fee", "tax"} {
		if l == w || strings.HasSuffix(l, w) || strings.HasPrefix(l, w) {
			return !strings.Contains(l, "count") && !strings.Contains(l, "percent") && !strings.Contains(l, "rate")
		}
	}
	return false
}

// moneyProblems walks a schema's properties (each schema once, a few levels
// deep) for money written as a floating-point number.
func moneyProblems(doc *Document, ptr string, ref *openapi3.SchemaRef, seen map[*openapi3.Schema]bool, depth int) []Problem {
	if ref == nil || ref.Value == nil || depth > 8 || seen[ref.Value] {
		return nil
	}
	if ref.Ref != "" && depth > 0 {
		return nil // a named component is walked as itself, at its own position
	}
	s := ref.Value
	seen[s] = true
	var out []Problem
	for _, n := range sortedSchemaNames(s.Properties) {
		p := s.Properties[n]
		pp := ptr + Pointer("properties", n)
		if p != nil && p.Value != nil && isMoneyName(n) && p.Value.Type.Is("number") {
			out = append(out, Problem{Pos: doc.Pos(pp), Severity: SeverityError, Code: "catalog-float-money",
				Message: fmt.Sprintf("%s is money as a floating-point number", n),
				Hint:    fmt.Sprintf("use integer minor units: `%s_minor: {type: integer, minimum: 0}` beside a currency (ISO 4217); 0.1 + 0.2 is not 0.3 in binary", strings.TrimSuffix(n, "_minor"))})
		}
		out = append(out, moneyProblems(doc, pp, p, seen, depth+1)...)
	}
	if s.Items != nil {
		out = append(out, moneyProblems(doc, ptr+"/items", s.Items, seen, depth+1)...)
	}
	for i, sub := range s.AllOf {
		out = append(out, moneyProblems(doc, ptr+fmt.Sprintf("/allOf/%d", i), sub, seen, depth+1)...)
	}
	return out
}

func sortedSchemaNames(m openapi3.Schemas) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
