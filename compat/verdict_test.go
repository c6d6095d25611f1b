package compat

import (
	"context"
	"strings"
	"testing"

	"github.com/accord-dev/accord/contracts"
)

// CI gates are judged by exit code: a pair either has a breaking (error)
// finding or it does not. This table pins the verdict on many small edits,
// each written as one schema, parameter list or operation before and after.

// reqDoc puts schema in a POST request body; respDoc in a GET 200 response.
func reqDoc(schema string) string {
	return `paths:
  /orders:
    post:
      requestBody:
        content:
          application/json:
            schema: ` + schema + `
      responses: {"201": {description: ok}}
`
}

func respDoc(schema string) string {
	return `paths:
  /orders:
    get:
      responses:
        "200":
          description: ok
          content:
            application/json:
              schema: ` + schema + `
`
}

func paramsDoc(params string) string {
	return `paths:
  /orders/{id}:
    get:
      parameters:
        - {name: id, in: path, required: true, schema: {type: string}}
` + params + `      responses: {"200": {description: ok}}
`
}

func opDoc(op string) string { return "paths:\n  /orders:\n" + op }

const verdictComponents = `components:
  securitySchemes:
    key: {type: apiKey, in: header, name: X-Key}
    bearer: {type: http, scheme: bearer}
  schemas:
    Card: {type: object, required: [kind], properties: {kind: {type: string, enum: [card]}, last4: {type: string}}}
    Bank: {type: object, required: [kind], properties: {kind: {type: string, enum: [bank]}, iban: {type: string}}}
    Entity: {type: object, required: [id], properties: {id: {type: string}}}
    Entity2: {type: object, properties: {id: {type: string}}}
    Order: {type: object, required: [id, total], properties: {id: {type: string}, total: {type: integer}}}
`

func verdictDoc(t *testing.T, version, body string) *contracts.Document {
	t.Helper()
	if version == "" {
		version = "3.0.3"
	}
	src := "openapi: " + version + "\ninfo: {title: t, version: '1'}\n" + body + verdictComponents
	doc, err := contracts.LoadBytes(context.Background(), "doc.yaml", []byte(src), contracts.LoadOptions{})
	if err != nil {
		t.Fatalf("loading:\n%s\n%v", src, err)
	}
	return doc
}

func TestVerdicts(t *testing.T) {
	obj := func(props string) string { return "{type: object, properties: {" + props + "}}" }
	cases := []struct {
		name       string
		base, head string
		version    string // of head; base is 3.0.3 unless both set via bothVersion
		breaking   bool
	}{
		// Breaking.
		{"response property type changed", respDoc(obj("a: {type: string}")), respDoc(obj("a: {type: integer}")), "", true},
		{"response required property removed", respDoc("{type: object, required: [a], properties: {a: {type: string}}}"), respDoc(obj("b: {type: string}")), "", true},
		{"response optional property removed", respDoc(obj("a: {type: string}, b: {type: string}")), respDoc(obj("a: {type: string}")), "", true},
		{"response property became optional", respDoc("{type: object, required: [a], properties: {a: {type: string}}}"), respDoc(obj("a: {type: string}")), "", true},
		{"response property became nullable", respDoc(obj("a: {type: string}")), respDoc(obj("a: {type: string, nullable: true}")), "", true},
		{"response enum value added", respDoc("{type: string, enum: [a, b]}"), respDoc("{type: string, enum: [a, b, c]}"), "", true},
		{"response enum dropped", respDoc("{type: string, enum: [a, b]}"), respDoc("{type: string}"), "", true},
		{"response format removed", respDoc("{type: string, format: date-time}"), respDoc("{type: string}"), "", true},
		{"response items type changed", respDoc("{type: array, items: {type: integer}}"), respDoc("{type: array, items: {type: string}}"), "", true},
		{"response object became array", respDoc(obj("a: {type: string}")), respDoc("{type: array, items: {type: string}}"), "", true},
		{"response nested required removed", respDoc("{type: array, items: {type: object, required: [a], properties: {a: {type: string}}}}"), respDoc("{type: array, items: {type: object, properties: {b: {type: string}}}}"), "", true},
		{"response number became nullable (3.1)", respDoc("{type: number}"), respDoc(`{type: [number, "null"]}`), "3.1.0", true},
		{"response property became writeOnly", respDoc(obj("a: {type: string}")), respDoc(obj("a: {type: string, writeOnly: true}")), "", true},
		{"response anyOf alternative added", respDoc("{anyOf: [{$ref: '#/components/schemas/Card'}]}"), respDoc("{anyOf: [{$ref: '#/components/schemas/Card'}, {$ref: '#/components/schemas/Bank'}]}"), "", true},
		{"response ref switched to schema lacking a required property", respDoc("{$ref: '#/components/schemas/Entity'}"), respDoc("{$ref: '#/components/schemas/Entity2'}"), "", true},
		{"response allOf member lost a property", respDoc("{allOf: [{$ref: '#/components/schemas/Order'}]}"), respDoc("{allOf: [{$ref: '#/components/schemas/Entity'}]}"), "", true},
		{"request required property added", reqDoc(obj("a: {type: string}")), reqDoc("{type: object, required: [b], properties: {a: {type: string}, b: {type: string}}}"), "", true},
		{"request optional became required", reqDoc(obj("a: {type: string}")), reqDoc("{type: object, required: [a], properties: {a: {type: string}}}"), "", true},
		{"request enum value removed", reqDoc("{type: string, enum: [a, b]}"), reqDoc("{type: string, enum: [a]}"), "", true},
		{"request array items enum narrowed", reqDoc("{type: array, items: {type: string, enum: [a, b]}}"), reqDoc("{type: array, items: {type: string, enum: [a]}}"), "", true},
		{"request maxLength lowered", reqDoc("{type: string, maxLength: 10}"), reqDoc("{type: string, maxLength: 5}"), "", true},
		{"request minimum raised", reqDoc("{type: integer, minimum: 1}"), reqDoc("{type: integer, minimum: 5}"), "", true},
		{"request exclusiveMaximum lowered (3.1)", reqDoc("{type: integer, maximum: 10}"), reqDoc("{type: integer, exclusiveMaximum: 10}"), "3.1.0", true},
		{"request minItems raised", reqDoc("{type: array, items: {type: string}}"), reqDoc("{type: array, items: {type: string}, minItems: 1}"), "", true},
		{"request pattern added", reqDoc("{type: string}"), reqDoc("{type: string, pattern: '^[a-z]+$'}"), "", true},
		{"request format added", reqDoc("{type: string}"), reqDoc("{type: string, format: date-time}"), "", true},
		{"request integer became string", reqDoc(obj("a: {type: integer}")), reqDoc(obj("a: {type: string}")), "", true},
		{"request number became integer", reqDoc("{type: number}"), reqDoc("{type: integer}"), "", true},
		{"request null no longer accepted (3.1)", reqDoc(`{type: [string, "null"]}`), reqDoc("{type: string}"), "3.1.0", true},
		{"request closed to unknown properties", reqDoc(obj("a: {type: string}")), reqDoc("{type: object, additionalProperties: false, properties: {a: {type: string}}}"), "", true},
		{"request oneOf alternative removed", reqDoc("{oneOf: [{$ref: '#/components/schemas/Card'}, {$ref: '#/components/schemas/Bank'}]}"), reqDoc("{oneOf: [{$ref: '#/components/schemas/Card'}]}"), "", true},
		{"request allOf gained a required member", reqDoc("{allOf: [{$ref: '#/components/schemas/Entity2'}]}"), reqDoc("{allOf: [{$ref: '#/components/schemas/Entity2'}, {required: [id]}]}"), "", true},
		{"required query parameter added", paramsDoc(""), paramsDoc("        - {name: q, in: query, required: true, schema: {type: string}}\n"), "", true},
		{"required header parameter added", paramsDoc(""), paramsDoc("        - {name: X-Tenant, in: header, required: true, schema: {type: string}}\n"), "", true},
		{"required cookie parameter added", paramsDoc(""), paramsDoc("        - {name: session, in: cookie, required: true, schema: {type: string}}\n"), "", true},
		{"path parameter string became integer", paramsDoc(""), strings.Replace(paramsDoc(""), "required: true, schema: {type: string}", "required: true, schema: {type: integer}", 1), "", true},
		{"query enum narrowed", paramsDoc("        - {name: s, in: query, schema: {type: string, enum: [a, b]}}\n"), paramsDoc("        - {name: s, in: query, schema: {type: string, enum: [a]}}\n"), "", true},
		{"array query explode changed", paramsDoc("        - {name: ids, in: query, schema: {type: array, items: {type: string}}}\n"), paramsDoc("        - {name: ids, in: query, explode: false, schema: {type: array, items: {type: string}}}\n"), "", true},
		{"operation removed", opDoc("    get: {responses: {'200': {description: ok}}}\n    delete: {responses: {'204': {description: ok}}}\n"), opDoc("    get: {responses: {'200': {description: ok}}}\n"), "", true},
		{"path removed", opDoc("    get: {responses: {'200': {description: ok}}}\n  /items:\n    get: {responses: {'200': {description: ok}}}\n"), "paths:\n  /items:\n    get: {responses: {'200': {description: ok}}}\n", "", true},
		{"success status replaced", opDoc("    get: {responses: {'200': {description: ok}}}\n"), opDoc("    get: {responses: {'202': {description: ok}}}\n"), "", true},
		{"response media type removed", respDoc("{type: string}"), strings.Replace(respDoc("{type: string}"), "application/json", "text/plain", 1), "", true},
		{"request media type removed", reqDoc("{type: string}"), strings.Replace(reqDoc("{type: string}"), "application/json", "application/xml", 1), "", true},
		{"request body became required", reqDoc("{type: string}"), strings.Replace(reqDoc("{type: string}"), "requestBody:\n", "requestBody:\n        required: true\n", 1), "", true},
		{"response header removed", opDoc("    get: {responses: {'200': {description: ok, headers: {X-Rate: {schema: {type: integer}}}}}}\n"), opDoc("    get: {responses: {'200': {description: ok}}}\n"), "", true},
		{"operation security added", opDoc("    get: {responses: {'200': {description: ok}}}\n"), opDoc("    get: {security: [{key: []}], responses: {'200': {description: ok}}}\n"), "", true},
		{"document security added", opDoc("    get: {responses: {'200': {description: ok}}}\n"), "security: [{bearer: []}]\n" + opDoc("    get: {responses: {'200': {description: ok}}}\n"), "", true},
		{"security alternatives became both required", opDoc("    get: {security: [{key: []}, {bearer: []}], responses: {'200': {description: ok}}}\n"), opDoc("    get: {security: [{key: [], bearer: []}], responses: {'200': {description: ok}}}\n"), "", true},
		{"anonymous access removed", opDoc("    get: {security: [{}, {key: []}], responses: {'200': {description: ok}}}\n"), opDoc("    get: {security: [{key: []}], responses: {'200': {description: ok}}}\n"), "", true},

		// Issue 10: misses.
		{"request string became unknown type int with an enum", reqDoc(obj("a: {type: string}")), reqDoc(obj("a: {type: int, enum: [x]}")), "", true},
		{"request object wrapped into a oneOf both branches match", reqDoc("{type: object, required: [foo, bar], properties: {foo: {type: string}, bar: {type: string}}}"), reqDoc("{oneOf: [{required: [foo]}, {required: [bar]}]}"), "", true},
		{"request x-extensible-enum value removed", reqDoc("{type: string, x-extensible-enum: [a, b]}"), reqDoc("{type: string, x-extensible-enum: [a]}"), "", true},
		{"request contains added (3.1)", reqDoc("{type: array, items: {type: string}}"), reqDoc("{type: array, items: {type: string}, contains: {const: a}}"), "3.1.0", true},
		{"request then requires under a vacuous if (3.1)", reqDoc(obj("k: {type: string}, v: {type: string}")), reqDoc("{type: object, properties: {k: {type: string}, v: {type: string}}, if: {properties: {k: {const: b}}}, then: {required: [v]}}"), "3.1.0", true},
		{"request not added (3.1)", reqDoc("{type: string}"), reqDoc("{type: string, not: {const: x}}"), "3.1.0", true},
		{"request integer split into overlapping oneOf ranges", reqDoc("{type: integer}"), reqDoc("{oneOf: [{type: integer, minimum: 0}, {type: number, maximum: 100}]}"), "", true},
		{"request integer split into ranges with a gap", reqDoc("{type: integer}"), reqDoc("{oneOf: [{type: integer, maximum: 10}, {type: integer, minimum: 12}]}"), "", true},
		{"request enum split into oneOf enums missing a value", reqDoc("{type: string, enum: [a, b, c]}"), reqDoc("{oneOf: [{type: string, enum: [a]}, {type: string, enum: [b]}]}"), "", true},
		{"request enum split into overlapping oneOf enums", reqDoc("{type: string, enum: [a, b]}"), reqDoc("{oneOf: [{type: string, enum: [a, b]}, {type: string, enum: [b]}]}"), "", true},
		{"query string became integer", paramsDoc("        - {name: q, in: query, schema: {type: string}}\n"), paramsDoc("        - {name: q, in: query, schema: {type: integer}}\n"), "", true},

		{"response items constraint dropped", respDoc("{type: array, items: {type: integer}}"), respDoc("{type: array}"), "", true},
		{"request items constraint added", reqDoc("{type: array}"), reqDoc("{type: array, items: {type: integer}}"), "", true},
		{"response map values loosened", respDoc("{type: object, additionalProperties: {type: integer}}"), respDoc("{type: object}"), "", true},

		// Not breaking.
		// Issue 10: false alarms.
		{"request integer split into ranges that cover it", reqDoc("{type: integer}"), reqDoc("{oneOf: [{type: integer, maximum: 10}, {type: integer, minimum: 11}]}"), "", false},
		{"request enum split into oneOf enums that cover it", reqDoc("{type: string, enum: [a, b, c]}"), reqDoc("{oneOf: [{type: string, enum: [a]}, {type: string, enum: [b, c]}]}"), "", false},
		{"response allOf of objects lost a member", respDoc("{allOf: [{$ref: '#/components/schemas/Entity'}, {type: object}]}"), respDoc("{allOf: [{$ref: '#/components/schemas/Entity'}]}"), "", false},
		{"query integer became string", paramsDoc("        - {name: q, in: query, schema: {type: integer}}\n"), paramsDoc("        - {name: q, in: query, schema: {type: string}}\n"), "", false},
		{"query scalar became exploded form array", paramsDoc("        - {name: q, in: query, schema: {type: string}}\n"), paramsDoc("        - {name: q, in: query, style: form, explode: true, schema: {type: array, items: {type: string}}}\n"), "", false},
		{"header integer became string", paramsDoc("        - {name: X-N, in: header, schema: {type: integer}}\n"), paramsDoc("        - {name: X-N, in: header, schema: {type: string}}\n"), "", false},
		{"response anyOf duplicate alternative added", respDoc("{anyOf: [{$ref: '#/components/schemas/Card'}, {type: string}]}"), respDoc("{anyOf: [{$ref: '#/components/schemas/Card'}, {type: string}, {type: string, description: again}]}"), "", false},
		{"request items constraint dropped", reqDoc("{type: array, items: {type: integer}}"), reqDoc("{type: array}"), "", false},
		{"request extra properties typed on an object with properties", reqDoc(obj("a: {type: string}")), reqDoc("{type: object, additionalProperties: {type: string}, properties: {a: {type: string}}}"), "", false},
		{"optional query parameter added", paramsDoc(""), paramsDoc("        - {name: q, in: query, schema: {type: string}}\n"), "", false},
		{"optional header added", paramsDoc(""), paramsDoc("        - {name: X-Trace, in: header, schema: {type: string}}\n"), "", false},
		{"response property added", respDoc(obj("a: {type: string}")), respDoc(obj("a: {type: string}, b: {type: string}")), "", false},
		{"response required header added", opDoc("    get: {responses: {'200': {description: ok}}}\n"), opDoc("    get: {responses: {'200': {description: ok, headers: {X-Rate: {required: true, schema: {type: integer}}}}}}\n"), "", false},
		{"error status added", opDoc("    get: {responses: {'200': {description: ok}}}\n"), opDoc("    get: {responses: {'200': {description: ok}, '404': {description: no}, default: {description: err}}}\n"), "", false},
		{"response media type added", respDoc("{type: string}"), strings.Replace(respDoc("{type: string}"), "            application/json:\n              schema: {type: string}\n", "            application/json:\n              schema: {type: string}\n            text/plain:\n              schema: {type: string}\n", 1), "", false},
		{"request media type added", reqDoc("{type: string}"), strings.Replace(reqDoc("{type: string}"), "          application/json:\n            schema: {type: string}\n", "          application/json:\n            schema: {type: string}\n          application/xml:\n            schema: {type: string}\n", 1), "", false},
		{"request maxLength raised", reqDoc("{type: string, maxLength: 5}"), reqDoc("{type: string, maxLength: 10}"), "", false},
		{"request enum value added", reqDoc("{type: string, enum: [a]}"), reqDoc("{type: string, enum: [a, b]}"), "", false},
		{"request became optional", reqDoc("{type: object, required: [a], properties: {a: {type: string}}}"), reqDoc(obj("a: {type: string}")), "", false},
		{"request integer became number", reqDoc("{type: integer}"), reqDoc("{type: number}"), "", false},
		{"request nullable added", reqDoc("{type: string}"), reqDoc("{type: string, nullable: true}"), "", false},
		{"request format removed", reqDoc("{type: string, format: uuid}"), reqDoc("{type: string}"), "", false},
		{"request minimum lowered", reqDoc("{type: integer, minimum: 5}"), reqDoc("{type: integer, minimum: 1}"), "", false},
		{"request opened to unknown properties", reqDoc("{type: object, additionalProperties: false, properties: {a: {type: string}}}"), reqDoc(obj("a: {type: string}")), "", false},
		{"request oneOf alternative added", reqDoc("{oneOf: [{$ref: '#/components/schemas/Card'}]}"), reqDoc("{oneOf: [{$ref: '#/components/schemas/Card'}, {$ref: '#/components/schemas/Bank'}]}"), "", false},
		{"request property removed from open object", reqDoc(obj("a: {type: string}, b: {type: string}")), reqDoc(obj("a: {type: string}")), "", false},
		{"response enum value removed", respDoc("{type: string, enum: [a, b]}"), respDoc("{type: string, enum: [a]}"), "", false},
		{"response optional became required", respDoc(obj("a: {type: string}")), respDoc("{type: object, required: [a], properties: {a: {type: string}}}"), "", false},
		{"response number became integer", respDoc("{type: number}"), respDoc("{type: integer}"), "", false},
		{"response nullable removed", respDoc("{type: string, nullable: true}"), respDoc("{type: string}"), "", false},
		{"response format added", respDoc("{type: string}"), respDoc("{type: string, format: date-time}"), "", false},
		{"response maxLength lowered", respDoc("{type: string, maxLength: 10}"), respDoc("{type: string, maxLength: 5}"), "", false},
		{"response oneOf alternative removed", respDoc("{oneOf: [{$ref: '#/components/schemas/Card'}, {$ref: '#/components/schemas/Bank'}]}"), respDoc("{oneOf: [{$ref: '#/components/schemas/Card'}]}"), "", false},
		{"response default changed", respDoc("{type: integer, default: 1}"), respDoc("{type: integer, default: 2}"), "", false},
		{"descriptions, examples, titles, extensions", respDoc(obj("a: {type: string}")), respDoc("{type: object, title: T, description: d, example: {a: x}, x-internal: true, properties: {a: {type: string, description: the a, example: x}}}"), "", false},
		{"inline moved to $ref", respDoc(obj("id: {type: string}")), respDoc("{$ref: '#/components/schemas/Entity2'}"), "", false},
		{"nullable 3.0 to 3.1 form", respDoc("{type: string, nullable: true}"), respDoc(`{type: [string, "null"]}`), "3.1.0", false},
		{"security alternative added", opDoc("    get: {security: [{key: []}], responses: {'200': {description: ok}}}\n"), opDoc("    get: {security: [{key: []}, {bearer: []}], responses: {'200': {description: ok}}}\n"), "", false},
		{"security removed", opDoc("    get: {security: [{key: []}], responses: {'200': {description: ok}}}\n"), opDoc("    get: {responses: {'200': {description: ok}}}\n"), "", false},
		{"operationId changed (wire)", opDoc("    get: {operationId: a, responses: {'200': {description: ok}}}\n"), opDoc("    get: {operationId: b, responses: {'200': {description: ok}}}\n"), "", false},
		{"deprecated", opDoc("    get: {responses: {'200': {description: ok}}}\n"), opDoc("    get: {deprecated: true, responses: {'200': {description: ok}}}\n"), "", false},
		{"path parameter renamed", paramsDoc(""), strings.Replace(strings.Replace(paramsDoc(""), "/orders/{id}", "/orders/{orderId}", 1), "name: id,", "name: orderId,", 1), "", false},
		{"new path and webhook", opDoc("    get: {responses: {'200': {description: ok}}}\n"), opDoc("    get: {responses: {'200': {description: ok}}}\n  /items:\n    get: {responses: {'200': {description: ok}}}\n") + "webhooks:\n  hook:\n    post: {responses: {'200': {description: ok}}}\n", "3.1.0", false},
		{"server added", opDoc("    get: {responses: {'200': {description: ok}}}\n"), "servers: [{url: 'https://eu.example.com'}]\n" + opDoc("    get: {responses: {'200': {description: ok}}}\n"), "", false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			baseVersion := ""
			if c.version == "3.1.0" && !strings.Contains(c.base, "nullable: true") {
				baseVersion = "3.1.0" // 3.1-only syntax on both sides
			}
			base := verdictDoc(t, baseVersion, c.base)
			head := verdictDoc(t, c.version, c.head)
			res, err := Compare(base, head, Options{})
			if err != nil {
				t.Fatal(err)
			}
			breaking := false
			for _, f := range res.Findings {
				breaking = breaking || f.Severity == SeverityError
			}
			if breaking != c.breaking {
				var got []string
				for _, f := range res.Findings {
					got = append(got, string(f.Severity)+" "+f.Rule+" "+f.Subject)
				}
				t.Errorf("breaking = %v, want %v; findings: %v", breaking, c.breaking, got)
			}
		})
	}
}
