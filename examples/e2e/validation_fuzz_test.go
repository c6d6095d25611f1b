package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/examples/validation/validationapi"
)

const validationContract = "../../testdata/validation/openapi.yaml"

var loadKin = sync.OnceValues(func() (*openapi3.T, error) {
	l := openapi3.NewLoader()
	doc, err := l.LoadFromFile(validationContract)
	if err != nil {
		return nil, err
	}
	return doc, doc.Validate(context.Background())
})

// fuzzJSON turns fuzz bytes into a JSON body shaped like the Fuzz schema
// (its property names, values near its bounds) so that most inputs reach
// the keywords rather than fail the first type check.
func fuzzJSON(data []byte) []byte {
	next := func() int {
		if len(data) == 0 {
			return 0
		}
		b := data[0]
		data = data[1:]
		return int(b)
	}
	var value func(depth int) any
	value = func(depth int) any {
		switch k := next() % 9; {
		case k == 0:
			return nil
		case k == 1:
			return next()%2 == 0
		case k == 2:
			return float64(next()%9 - 4)
		case k == 3:
			return []float64{0, 0.5, 1.5, 2, 2.5, -0.5, 1e-9, 3}[next()%8]
		case k <= 5:
			return []string{"", "a", "abc", "abcd", "x", "y", "d", "é", "bb"}[next()%9]
		case k == 6 && depth < 3:
			n := next() % 4
			arr := make([]any, n)
			for i := range arr {
				arr[i] = value(depth + 1)
			}
			return arr
		case k == 7 && depth < 3:
			return object(depth+1, next, value)
		}
		return float64(next() % 4)
	}
	v := any(object(0, next, value))
	if next()%16 == 0 {
		v = value(0)
	}
	b, _ := json.Marshal(v)
	return b
}

func object(depth int, next func() int, value func(int) any) map[string]any {
	keys := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "zz"}
	m := map[string]any{}
	for n := next() % 6; n > 0; n-- {
		m[keys[next()%len(keys)]] = value(depth)
	}
	if next()%4 != 0 {
		m["a"] = float64(next()%9 - 4)
	}
	return m
}

// FuzzValidateDifferential: random JSON bodies against the generated
// validator (through RequestValidatorFor, as the server runs it) and
// kin-openapi's validator on the same schema must agree on accept or
// reject. The Fuzz schema keeps to keywords both read alike; the argued
// exceptions, left out of it on purpose, are in README "Request
// validation": formats (kin checks few by default), recursive schemas
// (kin stops at a schema it is already inside) and discriminators.
func FuzzValidateDifferential(f *testing.F) {
	for _, seed := range [][]byte{
		{}, {1, 0}, {5, 2, 3, 4, 1, 7, 8, 2, 9}, {255, 254, 1, 2, 3}, []byte("abcdefghijklmnop"), bytes.Repeat([]byte{7}, 40),
	} {
		f.Add(seed, false)
	}
	f.Add([]byte(`{"a":1,"h":0}`), true)
	f.Add([]byte(`{"a":2,"j":{"k":3},"g":{"x":"y"}}`), true)
	f.Add([]byte(`{"a":1,"e":null,"d":[1,1]}`), true)
	doc, err := loadKin()
	if err != nil {
		f.Fatal(err)
	}
	schema := doc.Components.Schemas["Fuzz"].Value
	rv := validationapi.RequestValidatorFor("fuzzBody")
	f.Fuzz(func(t *testing.T, data []byte, raw bool) {
		body := data
		if !raw {
			body = fuzzJSON(data)
		}
		var x any
		if json.Unmarshal(body, &x) != nil {
			return // both refuse what is not JSON; kin never sees it
		}
		if duplicateNames(body) {
			// Argued exception: accord refuses a member named twice, kin
			// validates the decoded map (the last value). The refusal
			// itself is tested in TestValidationTable.
			return
		}
		kinErr := schema.VisitJSON(x, openapi3.VisitAsRequest(), openapi3.MultiErrors())
		req := httptest.NewRequest(http.MethodPost, "/fuzz", nil)
		req.Header.Set("Content-Type", "application/json")
		ours := rv.Validate(req, body)
		if (kinErr == nil) != (len(ours) == 0) {
			t.Fatalf("disagreement on %s:\n kin-openapi: %v\n accord: %v", body, kinErr, ours)
		}
	})
}

// duplicateNames reports whether an object of the JSON text b names a
// member twice.
func duplicateNames(b []byte) bool {
	type frame struct {
		names  map[string]bool
		object bool
		name   bool // an object's next token is a member name
	}
	var stack []frame
	dec := json.NewDecoder(bytes.NewReader(b))
	for {
		tok, err := dec.Token()
		if err != nil {
			return false
		}
		top := len(stack) - 1
		if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
			stack = stack[:top]
			continue
		}
		if top >= 0 && stack[top].object {
			if stack[top].name {
				name, _ := tok.(string)
				if stack[top].names[name] {
					return true
				}
				stack[top].names[name], stack[top].name = true, false
				continue
			}
			stack[top].name = true // after this value (scalar or container)
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, frame{names: map[string]bool{}, object: d == '{', name: d == '{'})
		}
	}
}

func TestDuplicateNames(t *testing.T) {
	for b, want := range map[string]bool{
		`{"a":1,"a":2}`: true, `{"a":{"a":1},"b":[{"c":1,"c":2}]}`: true, `{"a":{"b":1},"b":2}`: false,
		`[{"a":1},{"a":1}]`: false, `{"a":[1,{"b":2}],"c":{"d":{}},"a2":0}`: false, `"a"`: false,
	} {
		if got := duplicateNames([]byte(b)); got != want {
			t.Errorf("%s: %v, want %v", b, got, want)
		}
	}
}
