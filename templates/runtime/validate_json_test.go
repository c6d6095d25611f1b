package runtime

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

var jsonCases = []string{
	`{}`, `[]`, `null`, `true`, `false`, `0`, `-0`, `1.5e3`, `-12.25E-2`, `"a"`, ` {"a" : [1, {"b": null}] , "c":"d"} `,
	`{"a":1,"a":2}`, `"\u00e9\n\"x"`, `"é"`, "\"\xff\"", `"\ud800"`, `{"é":1}`,
	`01`, `1.`, `.5`, `-`, `1e`, `+1`, `1e400`, `{"a":1,}`, `[1,]`, `{"a" 1}`, `{1:2}`, `[1 2]`, `tru`, `nul`, `"abc`, "\"a\tb\"",
	`{"a":1} x`, ``, ` `, `"\x"`, `"\u12"`, `[` + strings.Repeat(`[`, 10001) + strings.Repeat(`]`, 10002), `{"a":[1,2,{"b":"c\\d"}]}`,
}

// rtDecodeJSON accepts exactly what encoding/json accepts and decodes it
// to equal values.
func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	for _, c := range jsonCases {
		checkDecode(t, []byte(c))
	}
}

func checkDecode(t *testing.T, b []byte) {
	t.Helper()
	var want any
	wantErr := json.Unmarshal(b, &want)
	got, ok := rtDecodeJSON(b)
	if ok != (wantErr == nil) {
		t.Fatalf("%q: accepted %v, encoding/json says %v", b, ok, wantErr)
	}
	if ok && !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: decoded %#v, encoding/json %#v", b, got, want)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, c := range jsonCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecode(t, b) })
}
