package rules

import (
	"encoding/json"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// annotationKeys change no value's validity: structural identity ignores
// them (and every x- extension).
var annotationKeys = map[string]bool{
	"description": true, "title": true, "example": true, "examples": true,
	"$comment": true, "externalDocs": true, "deprecated": true, "xml": true,
}

// Canon renders a schema's validation keywords canonically: two schemas
// with the same rendering accept the same values. $refs render as the
// reference (kin-openapi marshals a $ref, not its target), so the same
// component compares equal without walking it. "" when the schema cannot
// be rendered.
func Canon(r *openapi3.SchemaRef) string {
	if r == nil {
		return "{}"
	}
	if r.Ref != "" {
		return `{"$ref":` + ValueKey(RefName(r.Ref)) + `}`
	}
	if r.Value == nil {
		return "{}"
	}
	raw, err := json.Marshal(r.Value)
	if err != nil {
		return ""
	}
	var x any
	if err := json.Unmarshal(raw, &x); err != nil {
		return ""
	}
	return ValueKey(stripAnnotations(x))
}

// nameMaps are keywords whose keys are names (of properties, ...), not
// keywords: their values are schemas, their keys are kept.
var nameMaps = map[string]bool{
	"properties": true, "patternProperties": true, "dependentSchemas": true, "$defs": true,
}

// values are keywords whose content is data, kept as written.
var values = map[string]bool{
	"enum": true, "const": true, "default": true, "required": true, "dependentRequired": true, "x-extensible-enum": true,
}

// stripAnnotations removes annotations from a schema decoded as JSON.
func stripAnnotations(x any) any {
	switch v := x.(type) {
	case map[string]any:
		for k, val := range v {
			switch {
			case k == "x-extensible-enum":
			case annotationKeys[k] || strings.HasPrefix(k, "x-"):
				delete(v, k)
			case values[k]:
			case nameMaps[k]:
				if m, ok := val.(map[string]any); ok {
					for name, sub := range m {
						m[name] = stripAnnotations(sub)
					}
				}
			default:
				v[k] = stripAnnotations(val)
			}
		}
	case []any:
		for i := range v {
			v[i] = stripAnnotations(v[i])
		}
	}
	return x
}
