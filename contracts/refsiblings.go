package contracts

import (
	"bytes"
	"encoding/json"
)

// subschemaKeywords are the JSON Schema keywords that hold subschemas.
var subschemaKeywords = []string{
	"properties", "patternProperties", "dependentSchemas", "items", "prefixItems", "contains",
	"additionalProperties", "unevaluatedItems", "unevaluatedProperties", "propertyNames",
	"not", "allOf", "anyOf", "oneOf", "if", "then", "else", "$defs",
}

// refSiblingsAsAllOf rewrites, in an OpenAPI 3.1 document's JSON, every
// $ref that has subschema keywords beside it ({$ref: A, properties: {...}})
// into {allOf: [{$ref: A}], properties: {...}}. JSON Schema 2020-12 gives
// both the same meaning (the siblings apply alongside the reference), but
// kin-openapi applies such siblings by asking Schema.IsEmpty of them, which
// does not terminate when they lead back to the $ref's target: a contract
// of a few lines overflowed the stack at load time (found by FuzzGenerate).
// Text without such a $ref is returned unchanged, so positions, which come
// from the original text, are unaffected either way.
func refSiblingsAsAllOf(text []byte) []byte {
	if !bytes.Contains(text, []byte(`"$ref"`)) {
		return text
	}
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return text // kin-openapi reports the syntax error
	}
	if !rewriteRefSiblings(v, 0) {
		return text
	}
	out, err := json.Marshal(v)
	if err != nil {
		return text
	}
	return out
}

// rewriteRefSiblings works in place and reports whether it changed
// anything. depth bounds it; the JSON conversion bounds nesting already.
func rewriteRefSiblings(v any, depth int) bool {
	if depth > 10000 {
		return false
	}
	changed := false
	switch x := v.(type) {
	case map[string]any:
		for _, c := range x {
			if rewriteRefSiblings(c, depth+1) {
				changed = true
			}
		}
		ref, isRef := x["$ref"].(string)
		if !isRef {
			return changed
		}
		for _, k := range subschemaKeywords {
			if _, ok := x[k]; ok {
				delete(x, "$ref")
				all, _ := x["allOf"].([]any)
				x["allOf"] = append([]any{map[string]any{"$ref": ref}}, all...)
				return true
			}
		}
	case []any:
		for _, c := range x {
			if rewriteRefSiblings(c, depth+1) {
				changed = true
			}
		}
	}
	return changed
}
