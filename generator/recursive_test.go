package generator

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/accord-dev/accord/contracts"
)

// TestRecursiveModelsRoundTrip compiles the recursive-schemas case's models
// and runs a test inside the generated package: nested values of each
// recursive type decode and encode back to the same JSON. Before, the
// generator overflowed its stack on Tree and emitted `type Forest = []Forest`.
func TestRecursiveModelsRoundTrip(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles generated code")
	}
	doc, err := contracts.Load(context.Background(), filepath.Join(casesDir, "recursive-schemas", "contract.yaml"), contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Generate(doc, Options{Package: "recursive", Runtime: testRuntime, Parts: Parts{Models: true}, templates: testTemplates()})
	if err != nil {
		t.Fatal(err)
	}
	mod := t.TempDir()
	writeTestModule(t, mod)
	pkg := filepath.Join(mod, "recursive")
	if _, err := Write(pkg, res.Files); err != nil {
		t.Fatal(err)
	}
	const roundTrip = `package recursive

import (
	"encoding/json"
	"testing"
)

func roundTrip[T any](t *testing.T, in string) {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(in), &v); err != nil {
		t.Fatalf("%s: %v", in, err)
	}
	out, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var a, b any
	_ = json.Unmarshal([]byte(in), &a)
	_ = json.Unmarshal(out, &b)
	if ja, jb := mustJSON(a), mustJSON(b); ja != jb {
		t.Fatalf("%s came back as %s", ja, jb)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestNested(t *testing.T) {
	roundTrip[Tree](t, ` + "`" + `{"name":"a","child":{"name":"b","children":[{"name":"c","byName":{"d":{"name":"d"}}}]}}` + "`" + `)
	roundTrip[Forest](t, ` + "`" + `[[[],[[]]],[]]` + "`" + `)
	roundTrip[Node](t, ` + "`" + `["x",["y",[]]]` + "`" + `)
	roundTrip[Expr](t, ` + "`" + `{"op":"+","left":{"expr":{"op":"-","left":null}}}` + "`" + `)
	roundTrip[Linked](t, ` + "`" + `{"id":"1","next":{"id":"2","next":{"id":"3"}}}` + "`" + `)
	roundTrip[Category](t, ` + "`" + `{"name":"a","parent":{"node":{"name":"b","parent":{"node":{"name":"c"}}}}}` + "`" + `)
	roundTrip[Menu](t, ` + "`" + `{"entry":{"label":"a","submenu":{"label":"b","submenu":{"label":"c"}}}}` + "`" + `)

	var n Node
	if err := json.Unmarshal([]byte(` + "`" + `["x",["y"]]` + "`" + `), &n); err != nil {
		t.Fatal(err)
	}
	items, err := n.AsNode1()
	if err != nil || len(items) != 2 {
		t.Fatalf("Node as array: %v %v", items, err)
	}
	inner, err := items[1].AsNode1()
	if err != nil || len(inner) != 1 {
		t.Fatalf("nested Node as array: %v %v", inner, err)
	}
	s, err := inner[0].AsNode0()
	if err != nil || s != "y" {
		t.Fatalf("innermost Node = %q, %v", s, err)
	}
}
`
	if err := os.WriteFile(filepath.Join(pkg, "roundtrip_test.go"), []byte(roundTrip), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := goCmd(t, mod, "test", "-count=1", "./recursive"); err != nil {
		t.Fatalf("go test: %v\n%s", err, out)
	}
}

// TestRefusesInfiniteSchemas: a schema that contains itself with no way out
// has no Go type; Generate refuses it with the positioned problem validate
// reports, instead of overflowing its stack or emitting `type A = A`.
func TestRefusesInfiniteSchemas(t *testing.T) {
	for _, name := range []string{"cyclic-schema-allof.yaml", "cyclic-schema-oneof.yaml", "cyclic-schema-required.yaml"} {
		t.Run(name, func(t *testing.T) {
			doc, err := contracts.Load(context.Background(), filepath.Join("../testdata/contracts/invalid", name), contracts.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			_, err = Generate(doc, Options{Package: "api", Runtime: testRuntime, templates: testTemplates()})
			var ce *contracts.Error
			if !errors.As(err, &ce) || ce.Class != contracts.ClassInvalid {
				t.Fatalf("Generate = %v, want a contracts.Error of class invalid", err)
			}
			p := ce.Problems[0]
			if p.Code != "cyclic-schema" || p.Pos.Line == 0 || p.Pos.Col == 0 {
				t.Fatalf("problem = %+v, want cyclic-schema with a line and column", p)
			}
		})
	}
}
