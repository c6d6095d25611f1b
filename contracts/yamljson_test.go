package contracts

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

func TestYAMLToJSON(t *testing.T) {
	cases := []struct{ name, yaml, json string }{
		{"order kept, types", "b: 1\na: [true, null, x, 1.5]\n", `{"b":1,"a":[true,null,"x",1.5]}`},
		{"big integers keep every digit", "max: 9223372036854775807\n", `{"max":9223372036854775807}`},
		{"hex and octal become numbers", "a: 0x1F\nb: 0o17\n", `{"a":31,"b":15}`},
		{"quoted numbers stay strings", "v: '1.0'\n", `{"v":"1.0"}`},
		{"infinity is not JSON", "x: .inf\n", `{"x":".inf"}`},
		{"aliases expand", "a: &x {k: v}\nb: *x\n", `{"a":{"k":"v"},"b":{"k":"v"}}`},
		{"merge keys, explicit wins", "base: &b {x: 1, y: 2}\nc:\n  <<: *b\n  y: 3\n", `{"base":{"x":1,"y":2},"c":{"y":3,"x":1}}`},
		{"escapes", "s: \"a\\\"b\\n\"\n", `{"s":"a\"b\n"}`},
		{"empty document", "# only a comment\n", `null`},
	}
	for _, c := range cases {
		got, err := yamlToJSON([]byte(c.yaml))
		if err != nil {
			t.Errorf("%s: %v", c.name, err)
			continue
		}
		if string(got) != c.json {
			t.Errorf("%s:\n got %s\nwant %s", c.name, got, c.json)
		}
	}
}

func TestYAMLToJSONRefusesAliasBombs(t *testing.T) {
	// Each level lists the previous one ten times: 10^12 leaves from a few
	// hundred bytes.
	var b strings.Builder
	b.WriteString("l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n")
	for i := 1; i < 12; i++ {
		prev := fmt.Sprintf("*l%d", i-1)
		fmt.Fprintf(&b, "l%d: &l%d [%s%s]\n", i, i, strings.Repeat(prev+", ", 9), prev)
	}
	if _, err := yamlToJSON([]byte(b.String())); !errors.Is(err, errExpansion) {
		t.Fatalf("alias bomb: %v", err)
	}
}

// kin-openapi's own YAML path and accord's conversion must build the same
// model from real YAML contracts.
func TestYAMLConversionMatchesKinOpenAPI(t *testing.T) {
	files, _ := filepath.Glob("../testdata/contracts/valid/*.yaml")
	files = append(files, "../examples/payments/openapi.yaml", "../examples/crm/openapi.yaml")
	if !testing.Short() {
		more, _ := filepath.Glob(filepath.Join(corpusDir, "oai-examples/*.yaml"))
		files = append(files, more...)
		files = append(files, filepath.Join(corpusDir, "stripe/stripe-spec3-2023-09-12.yaml"))
	}
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil || !bytes.Contains(data, []byte("openapi:")) {
			continue
		}
		converted, err := yamlToJSON(data)
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		loc := &url.URL{Path: file}
		load := func(d []byte) *openapi3.T {
			l := openapi3.NewLoader()
			l.IsExternalRefsAllowed = true
			doc, err := l.LoadFromDataWithPath(d, loc)
			if err != nil {
				t.Fatalf("%s: %v", file, err)
			}
			return doc
		}
		viaKin, viaUs := load(data), load(converted)
		a, _ := json.Marshal(viaKin)
		b, _ := json.Marshal(viaUs)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: models differ (%d vs %d bytes)", file, len(a), len(b))
		}
	}
}
