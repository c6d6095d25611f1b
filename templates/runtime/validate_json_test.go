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

// rtParseJSON accepts exactly what encoding/json accepts, and its values
// read back (JSON.Any) equal encoding/json's.
func TestDecodeJSONMatchesEncodingJSON(t *testing.T) {
	for _, c := range jsonCases {
		checkDecode(t, []byte(c))
	}
}

func checkDecode(t *testing.T, b []byte) {
	t.Helper()
	var want any
	wantErr := json.Unmarshal(b, &want)
	var d JSONDoc
	x, ok := rtParseJSON(&d, b)
	if ok != (wantErr == nil) {
		t.Fatalf("%q: accepted %v, encoding/json says %v", b, ok, wantErr)
	}
	if !ok {
		return
	}
	if d.dup >= 0 {
		// encoding/json keeps the last of a duplicated name; the validator
		// refuses the body instead, so there is nothing to compare.
		return
	}
	if got := x.Any(); !reflect.DeepEqual(got, want) {
		t.Fatalf("%q: read back %#v, encoding/json %#v", b, got, want)
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, c := range jsonCases {
		f.Add([]byte(c))
	}
	f.Fuzz(func(t *testing.T, b []byte) { checkDecode(t, b) })
}

// The accessors generated validators use read the document as
// encoding/json would decode it.
func TestJSONValues(t *testing.T) {
	var d JSONDoc
	x, ok := rtParseJSON(&d, []byte(`{"a":[1,"x\u00e9",{"k":null}],"b":true,"c":[1,[2],{"z":1,"y":2}],"d":[{"y":2,"z":1},[2]]}`))
	if !ok || d.dup >= 0 {
		t.Fatal("refused")
	}
	if x.Len() != 4 || x.Member("b").Kind() != JSONBool || !x.Member("b").Bool() || x.Member("zz").Kind() != 0 {
		t.Fatal("members")
	}
	a := x.Member("a")
	if !a.Equal([]any{1.0, "xé", map[string]any{"k": nil}}) || a.Equal([]any{1.0, "xé"}) {
		t.Fatalf("Equal: %v", a.Any())
	}
	c, dd := x.Member("c"), x.Member("d")
	it, jt := c.Items(), dd.Items()
	it.Next()
	it.Next()
	it.Next()
	jt.Next()
	if !it.Value().Same(jt.Value()) || c.Same(dd) {
		t.Fatal("Same: member order must not matter, item order must")
	}
	if !UniqueItems(c) {
		t.Fatal("unique")
	}
	var e JSONDoc
	y, _ := rtParseJSON(&e, []byte(`[{"a":1},{"a":1.0}]`))
	if UniqueItems(y) {
		t.Fatal("1 and 1.0 are the same JSON number")
	}
	// The pointer of a node is found by descending from the root.
	third := a.Items()
	third.Next()
	third.Next()
	third.Next()
	if got := rtPointerTo(&d, third.Value().Member("k").i); got != "/a/2/k" {
		t.Fatalf("pointer %q", got)
	}
}
