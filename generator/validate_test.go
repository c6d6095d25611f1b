package generator

import (
	"context"
	"strings"
	"testing"

	"github.com/accord-dev/accord/contracts"
)

const validationDoc = `openapi: 3.1.0
info: {title: t, version: "1"}
paths:
  /things:
    post:
      operationId: createThing
      requestBody:
        required: true
        content:
          application/json:
            schema: {$ref: '#/components/schemas/Thing'}
      responses:
        "201": {description: created}
components:
  schemas:
    Thing:
      type: object
      properties:
        look: {type: string, pattern: '^(?=a)'}
        code: {type: string, pattern: '^[A-Z]{3}$'}
        same: {type: string, pattern: '^[A-Z]{3}$'}
        n: {type: [integer, "null"], exclusiveMinimum: 0}
        k: {const: fixed}
        odd: {type: string, minimum: 7}
        next: {$ref: '#/components/schemas/Thing'}
`

func validationFile(t *testing.T, src string) (string, *Result) {
	t.Helper()
	doc, err := contracts.LoadBytes(context.Background(), "contract.yaml", []byte(src), contracts.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Generate(doc, Options{Package: "api", Runtime: testRuntime})
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range res.Files {
		if f.Name == "accord_validate.gen.go" {
			return string(f.Content), res
		}
	}
	t.Fatal("no accord_validate.gen.go")
	return "", nil
}

// A pattern RE2 cannot compile (lookahead) does not break generation: it is
// left unchecked and a note says so; a pattern used twice is compiled once.
// 3.1's numeric exclusiveMinimum, type arrays with null and const are read,
// and a recursive component is a method calling itself.
func TestValidationGeneratedForms(t *testing.T) {
	src, res := validationFile(t, validationDoc)
	noted := false
	for _, n := range res.Notes {
		if strings.Contains(n, `pattern "^(?=a)" is not RE2`) {
			noted = true
		}
	}
	if !noted {
		t.Errorf("no note for the lookahead pattern: %q", res.Notes)
	}
	if strings.Contains(src, "(?=a)") {
		t.Error("the lookahead pattern was emitted")
	}
	if strings.Contains(src, "7.0") {
		t.Error("a number keyword on a string schema was emitted (dead code go vet refuses)")
	}
	if n := strings.Count(src, "regexp.MustCompile("); n != 1 {
		t.Errorf("%d compiled patterns, want 1", n)
	}
	for _, want := range []string{
		`if !(x.Num() > 0.0) {`,                          // exclusiveMinimum: 0 (3.1)
		`case accordrt.JSONNull:` + "\n\t\treturn",       // type [integer, null]
		`case "fixed":`,                                  // const
		`accValidator{}.sThing(m.Value(), v)`,            // recursion
		"case \"next\":\n\t\t\t\taccValidator{}.sThing(", // by name
	} {
		if !strings.Contains(src, want) {
			t.Errorf("generated validation lacks %q", want)
		}
	}
}
