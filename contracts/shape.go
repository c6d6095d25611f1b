package contracts

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
)

// When kin-openapi cannot decode a document into its model it says so in Go
// terms ("cannot unmarshal array into field T.paths of type
// map[string]interface {}") and without a position. shapeOf finds the
// element itself: the document is walked against the OpenAPI object
// definitions (the fields whose types kin-openapi decodes), and the first
// value of the wrong JSON type is reported at its line and column, named by
// its path in the document, with what it must be instead.

// kind is a JSON type a field must have; shape describes an object's
// fields, or a map's values (each), or an array's items.
type kind int

const (
	kAny kind = iota
	kString
	kBool
	kNumber
	kObject
	kArray
)

type shape struct {
	kind   kind
	fields map[string]*shape // kObject with known fields
	values *shape            // kObject used as a map: every value
	items  *shape            // kArray
	// orBool: a schema may also be true or false (OpenAPI 3.1, and
	// additionalProperties everywhere).
	orBool bool
	// orArray: a schema's type may also be a list of type names (3.1).
	orArray bool
	// what names the object in messages ("a Path Item Object").
	what string
}

var (
	str     = &shape{kind: kString}
	boolean = &shape{kind: kBool}
	anyVal  = &shape{kind: kAny}
	strList = &shape{kind: kArray, items: str}
)

func object(what string, fields map[string]*shape) *shape {
	return &shape{kind: kObject, fields: fields, what: what}
}
func mapOf(what string, v *shape) *shape { return &shape{kind: kObject, values: v, what: what} }
func listOf(v *shape) *shape             { return &shape{kind: kArray, items: v} }

// openAPIShape is built per call: the definitions refer to each other
// (schemas nest), which a package-level variable could not express without
// an init function.
func openAPIShape() *shape {
	schema := &shape{kind: kObject, orBool: true, what: "a Schema Object"}
	schemas := mapOf("a map of names to Schema Objects", schema)
	schemaList := listOf(schema)
	schema.fields = map[string]*shape{
		"type": {kind: kString, orArray: true}, "format": str, "description": str, "title": str,
		"properties": schemas, "items": schema, "required": strList, "enum": &shape{kind: kArray},
		"allOf": schemaList, "oneOf": schemaList, "anyOf": schemaList, "not": schema,
		"additionalProperties": schema, "nullable": boolean, "readOnly": boolean, "writeOnly": boolean,
		"deprecated": boolean, "pattern": str, "$ref": str,
	}
	server := object("a Server Object", map[string]*shape{"url": str, "description": str,
		"variables": mapOf("a map of Server Variable Objects", object("a Server Variable Object", map[string]*shape{"default": str, "enum": strList, "description": str}))})
	mediaType := object("a Media Type Object", map[string]*shape{"schema": schema, "examples": mapOf("a map of Example Objects", anyVal), "encoding": mapOf("a map of Encoding Objects", anyVal)})
	content := mapOf("a map of media types to Media Type Objects", mediaType)
	header := object("a Header Object", map[string]*shape{"description": str, "required": boolean, "schema": schema, "content": content, "$ref": str})
	headers := mapOf("a map of names to Header Objects", header)
	parameter := object("a Parameter Object", map[string]*shape{"name": str, "in": str, "description": str, "required": boolean,
		"deprecated": boolean, "schema": schema, "content": content, "style": str, "explode": boolean, "$ref": str})
	parameters := listOf(parameter)
	response := object("a Response Object", map[string]*shape{"description": str, "headers": headers, "content": content,
		"links": mapOf("a map of Link Objects", anyVal), "$ref": str})
	responses := mapOf("a map of status codes to Response Objects", response)
	requestBody := object("a Request Body Object", map[string]*shape{"description": str, "content": content, "required": boolean, "$ref": str})
	servers := listOf(server)
	security := listOf(mapOf("a Security Requirement Object", strList))
	operation := object("an Operation Object", map[string]*shape{"tags": strList, "summary": str, "description": str,
		"operationId": str, "parameters": parameters, "requestBody": requestBody, "responses": responses,
		"callbacks": mapOf("a map of Callback Objects", anyVal), "deprecated": boolean, "security": security, "servers": servers})
	pathItem := object("a Path Item Object", map[string]*shape{"$ref": str, "summary": str, "description": str,
		"servers": servers, "parameters": parameters})
	for _, m := range []string{"get", "put", "post", "delete", "options", "head", "patch", "trace"} {
		pathItem.fields[m] = operation
	}
	paths := mapOf("a map of paths to Path Item Objects", pathItem)
	return object("an OpenAPI Object", map[string]*shape{
		"openapi": str,
		"info": object("an Info Object", map[string]*shape{"title": str, "version": str, "description": str,
			"termsOfService": str, "summary": str,
			"contact": object("a Contact Object", map[string]*shape{"name": str, "url": str, "email": str}),
			"license": object("a License Object", map[string]*shape{"name": str, "url": str, "identifier": str})}),
		"servers":  servers,
		"paths":    paths,
		"webhooks": mapOf("a map of names to Path Item Objects", pathItem),
		"components": object("a Components Object", map[string]*shape{
			"schemas": schemas, "responses": mapOf("a map of names to Response Objects", response),
			"parameters":    mapOf("a map of names to Parameter Objects", parameter),
			"requestBodies": mapOf("a map of names to Request Body Objects", requestBody), "headers": headers,
			"securitySchemes": mapOf("a map of names to Security Scheme Objects", object("a Security Scheme Object", map[string]*shape{"type": str, "name": str, "in": str, "scheme": str})),
			"pathItems":       mapOf("a map of names to Path Item Objects", pathItem),
		}),
		"security":     security,
		"tags":         listOf(object("a Tag Object", map[string]*shape{"name": str, "description": str})),
		"externalDocs": object("an External Documentation Object", map[string]*shape{"url": str, "description": str}),
	})
}

// misshapen is the first element of the document whose JSON type is wrong.
type misshapen struct {
	pointer, want, got string
}

// shapeOf walks the document's JSON against the OpenAPI definitions.
func shapeOf(text []byte) (misshapen, bool) {
	var v any
	if err := json.Unmarshal(text, &v); err != nil {
		return misshapen{}, false
	}
	return walkShape(v, openAPIShape(), "", 0)
}

func walkShape(v any, s *shape, pointer string, depth int) (misshapen, bool) {
	if s == nil || s.kind == kAny || depth > 200 {
		return misshapen{}, false
	}
	if _, isBool := v.(bool); isBool && s.orBool {
		return misshapen{}, false
	}
	switch x := v.(type) {
	case map[string]any:
		if s.kind != kObject {
			return misshapen{pointer, want(s), "an object"}, true
		}
		if _, isRef := x["$ref"]; isRef && s.fields != nil {
			// A $ref's siblings are not checked against the target's shape.
			if r, ok := x["$ref"].(string); !ok {
				return misshapen{pointer + "/$ref", "a string", gotOf(x["$ref"])}, true
			} else if r != "" {
				return misshapen{}, false
			}
		}
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			sub := s.values
			if s.fields != nil {
				sub = s.fields[k]
			}
			if m, bad := walkShape(x[k], sub, pointer+Pointer(k), depth+1); bad {
				return m, true
			}
		}
	case []any:
		if s.kind != kArray && !(s.orArray && s.kind == kString) {
			return misshapen{pointer, want(s), "a list"}, true
		}
		items := s.items
		if s.orArray {
			items = str
		}
		for i, e := range x {
			if m, bad := walkShape(e, items, pointer+"/"+strconv.Itoa(i), depth+1); bad {
				return m, true
			}
		}
	default:
		if (s.kind == kString && isString(v)) || (s.kind == kBool && isBool(v)) || (s.kind == kNumber && isNumber(v)) {
			return misshapen{}, false
		}
		return misshapen{pointer, want(s), gotOf(v)}, true
	}
	return misshapen{}, false
}

func isString(v any) bool { _, ok := v.(string); return ok }
func isBool(v any) bool   { _, ok := v.(bool); return ok }
func isNumber(v any) bool { _, ok := v.(float64); return ok }

func want(s *shape) string {
	switch s.kind {
	case kString:
		if s.orArray {
			return "a string or a list of strings"
		}
		return "a string"
	case kBool:
		return "true or false"
	case kNumber:
		return "a number"
	case kArray:
		return "a list"
	case kObject:
		w := "an object"
		if s.what != "" {
			w = "an object (" + s.what + ")"
		}
		if s.orBool {
			w += " or a boolean"
		}
		return w
	}
	return "something else"
}

func gotOf(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return fmt.Sprintf("the string %q", x)
	case bool:
		return fmt.Sprintf("%v", x)
	case float64:
		return "the number " + strconv.FormatFloat(x, 'g', -1, 64)
	case []any:
		return "a list"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("%T", v)
}

// elementName names the element at a JSON pointer the way a reader finds
// it: paths["/pets/{id}"].get.parameters[0].
func elementName(pointer string) string {
	if pointer == "" {
		return "the document"
	}
	var b []byte
	for i, tok := range splitPointer(pointer) {
		switch {
		case isIndex(tok):
			b = append(b, '[')
			b = append(b, tok...)
			b = append(b, ']')
		case isPlainToken(tok):
			if i > 0 {
				b = append(b, '.')
			}
			b = append(b, tok...)
		default:
			b = append(b, '[')
			b = strconv.AppendQuote(b, tok)
			b = append(b, ']')
		}
	}
	return string(b)
}

func splitPointer(pointer string) []string {
	var out []string
	start := 1
	for i := 1; i <= len(pointer); i++ {
		if i == len(pointer) || pointer[i] == '/' {
			out = append(out, unescapePointerToken(pointer[start:i]))
			start = i + 1
		}
	}
	return out
}

func isIndex(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

func isPlainToken(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r == '_' || r == '$' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
