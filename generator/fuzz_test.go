package generator

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"go/format"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/accord-dev/accord/contracts"
)

// FuzzGenerate mutates small contracts the way hostile or careless ones
// differ from tidy ones (a $ref where a schema was, a schema that includes
// another through allOf or a union, a required property, a $ref into a
// schema's inside, a changed type) and runs load, validate and generate on
// the result. Byte mutations alone would almost always break the YAML; ops
// drives structured edits instead, one per byte pair. Whatever the input,
// the generator must return (no panic, no stack overflow) and either fail
// with an error or produce files that gofmt leaves unchanged.
func FuzzGenerate(f *testing.F) {
	seeds, _ := filepath.Glob(filepath.Join(casesDir, "*", "contract.yaml"))
	sort.Strings(seeds)
	for i, file := range seeds {
		data, err := os.ReadFile(file)
		if err != nil || len(data) > 16<<10 {
			continue
		}
		f.Add(data, []byte{})
		f.Add(data, []byte{byte(i), 0, byte(i + 1), 1, byte(i + 2), 3, byte(i), 9})
	}
	small := []byte("openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    post:\n      operationId: op\n" +
		"      requestBody: {content: {application/json: {schema: {$ref: '#/components/schemas/A'}}}}\n" +
		"      responses: {'200': {description: ok, content: {application/json: {schema: {$ref: '#/components/schemas/B'}}}}}\n" +
		"components:\n  schemas:\n    A: {type: object, properties: {b: {$ref: '#/components/schemas/B'}}}\n    B: {type: array, items: {type: string}}\n")
	for _, ops := range [][]byte{{0, 0}, {1, 1, 2, 2}, {3, 3, 4, 4}, {0, 9, 1, 3}, {5, 1, 6, 0, 7, 2}, {8, 8, 2, 1}} {
		f.Add(small, ops)
	}
	f.Fuzz(func(t *testing.T, data, ops []byte) {
		if len(data) > 64<<10 || len(ops) > 32 {
			return
		}
		var tree any
		if err := yaml.Unmarshal(data, &tree); err != nil {
			return
		}
		root, ok := tree.(map[string]any)
		if !ok {
			return
		}
		mutate(root, ops)
		mutated, err := yaml.Marshal(root)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		doc, err := contracts.LoadBytes(ctx, "fuzz.yaml", mutated, contracts.LoadOptions{Dir: t.TempDir()})
		if err != nil || doc.Kind != contracts.KindOpenAPI {
			return
		}
		// Generate gets what validate lets through and what it does not:
		// the generator must not rely on validate having run.
		_ = contracts.Validate(ctx, doc)
		res, err := Generate(doc, Options{Package: "api", Runtime: testRuntime, templates: testTemplates()})
		if err != nil {
			if err.Error() == "" {
				t.Fatal("an error without a message")
			}
			var ce *contracts.Error
			if errors.As(err, &ce) && len(ce.Problems) == 0 {
				t.Fatal("a contracts.Error without problems")
			}
			return
		}
		for _, file := range res.Files {
			formatted, err := format.Source(file.Content)
			if err != nil {
				t.Fatalf("%s does not parse: %v\ncontract:\n%s", file.Name, err, mutated)
			}
			if !bytes.Equal(formatted, file.Content) {
				t.Fatalf("%s is not gofmt'd:\n%s\ncontract:\n%s", file.Name, firstDiff(formatted, file.Content), mutated)
			}
		}
	})
}

// mutate applies one edit per pair of bytes of ops to the schemas of doc:
// the first byte picks the edit, the second where and with what.
func mutate(doc map[string]any, ops []byte) {
	for i := 0; i+1 < len(ops); i += 2 {
		schemas := componentSchemas(doc)
		names := make([]string, 0, len(schemas))
		for n := range schemas {
			names = append(names, n)
		}
		sort.Strings(names)
		var nodes []map[string]any
		for _, n := range names {
			collectMaps(schemas[n], &nodes, 0)
		}
		if len(nodes) == 0 || len(names) == 0 {
			return
		}
		arg := int(ops[i+1])
		node := nodes[arg%len(nodes)]
		name := names[(arg/7)%len(names)]
		ref := map[string]any{"$ref": "#/components/schemas/" + name}
		switch ops[i] % 12 {
		case 0: // the schema becomes a $ref
			for k := range node {
				delete(node, k)
			}
			node["$ref"] = ref["$ref"]
		case 1:
			node["allOf"] = append(asList(node["allOf"]), ref)
		case 2:
			node["oneOf"] = append(asList(node["oneOf"]), ref)
		case 3: // a property, required when arg is odd
			props, _ := node["properties"].(map[string]any)
			if props == nil {
				props = map[string]any{}
				node["properties"] = props
			}
			prop := fmt.Sprintf("p%d", arg%5)
			props[prop] = ref
			if arg%2 == 1 {
				node["required"] = append(asList(node["required"]), prop)
			}
		case 4:
			node["type"] = "array"
			node["items"] = ref
		case 5:
			node["additionalProperties"] = ref
		case 6: // drop a keyword
			keys := make([]string, 0, len(node))
			for k := range node {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			if len(keys) > 0 {
				delete(node, keys[arg%len(keys)])
			}
		case 7:
			types := []any{"object", "string", "array", "integer", "null", []any{"string", "null"}, []any{"object", "array"}}
			node["type"] = types[arg%len(types)]
		case 8:
			node["nullable"] = arg%2 == 0
		case 9: // a $ref into a schema's inside
			node["$ref"] = fmt.Sprintf("#/components/schemas/%s/properties/p%d", name, arg%5)
		case 10:
			node["anyOf"] = append(asList(node["anyOf"]), ref, map[string]any{"type": "string"})
		case 11: // a new component that refers to an existing one
			schemas[fmt.Sprintf("N%d", arg)] = map[string]any{"allOf": []any{ref}, "description": "added"}
		}
	}
}

func componentSchemas(doc map[string]any) map[string]any {
	comps, _ := doc["components"].(map[string]any)
	if comps == nil {
		comps = map[string]any{}
		doc["components"] = comps
	}
	schemas, _ := comps["schemas"].(map[string]any)
	if schemas == nil {
		schemas = map[string]any{"Fuzz": map[string]any{"type": "object"}}
		comps["schemas"] = schemas
	}
	return schemas
}

// collectMaps lists the mappings in v, parents first, in key order; depth
// bounds the walk (a YAML tree has no cycles, but it may be deep).
func collectMaps(v any, out *[]map[string]any, depth int) {
	if depth > 12 {
		return
	}
	switch x := v.(type) {
	case map[string]any:
		*out = append(*out, x)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			collectMaps(x[k], out, depth+1)
		}
	case []any:
		for _, e := range x {
			collectMaps(e, out, depth+1)
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}
