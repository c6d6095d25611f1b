package contracts

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// streamAgrees fails t when the streaming reader accepts data and its
// result differs in any byte or mark from the tree path's.
func streamAgrees(t *testing.T, name string, data []byte) (streamed bool) {
	t.Helper()
	text, marks, ok := yamlStream(data)
	if !ok {
		return false
	}
	want, wantMarks, err := yamlToJSONTree(data)
	if err != nil {
		t.Errorf("%s: streamed, but the tree path fails: %v", name, err)
		return true
	}
	if !bytes.Equal(text, want) {
		i := 0
		for i < len(text) && i < len(want) && text[i] == want[i] {
			i++
		}
		lo := max(i-80, 0)
		t.Errorf("%s: JSON differs at byte %d:\n stream %q\n   tree %q", name, i,
			text[lo:min(i+80, len(text))], want[lo:min(i+80, len(want))])
		return true
	}
	if len(marks) != len(wantMarks) {
		t.Errorf("%s: %d marks, tree %d", name, len(marks), len(wantMarks))
		return true
	}
	for i := range marks {
		if marks[i] != wantMarks[i] {
			t.Errorf("%s: mark %d is %+v, tree %+v (JSON there: %q)", name, i, marks[i], wantMarks[i],
				want[wantMarks[i].off:min(int(wantMarks[i].off)+40, len(want))])
			return true
		}
	}
	return true
}

// TestYAMLStreamMatchesTree holds the streaming reader to yaml.v3's tree
// on every YAML file of the repository and the corpus: same JSON, same
// marks, or a fallback. Stripe's contracts, the reason it exists, must stream.
func TestYAMLStreamMatchesTree(t *testing.T) {
	var files []string
	for _, root := range []string{"..", corpusDir} {
		_ = filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
			if err != nil {
				return nil
			}
			if d.IsDir() && (d.Name() == ".git" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			if strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml") {
				files = append(files, p)
			}
			return nil
		})
	}
	streamed := 0
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if streamAgrees(t, f, data) {
			streamed++
		} else if strings.Contains(f, "stripe-spec3") {
			t.Errorf("%s: fell back to the tree path", f)
		}
	}
	t.Logf("%d of %d YAML files streamed", streamed, len(files))
}

func TestYAMLStreamCases(t *testing.T) {
	for _, c := range []struct {
		yaml   string
		stream bool
	}{
		{"a: 1\nb: [x, 'y', \"z\"]\nc: {k: v}\n", true},
		{"a:\n  - x\n  - y: 1\n    z: 2\n  -\n    w\n", true},
		{"a:\n- x\n- y\nb: 2\n", true},
		{"d: >-\n  folded\n  text\n\n  para\n\n    more\n  end\ne: |\n  lit\n   eral\n\n", true},
		{"p: plain\n  continued\n\n  again # comment\nq: ~\nr: 2023-04-27\ns: 0x1F\nt: 1_000\nu: .inf\n", true},
		{"k: 'it''s'\nl: \"a\\u00e9\\n\\\"\"\nm: yes\nn: True\n", true},
		{"'q k': 1\n\"r k\": 2\nx#y: 3\nurl: http://x/y\n", true},
		{"a: &x 1\nb: *x\n", false},
		{"a: !!str 1\n", false},
		{"a: 1\na: 2\n", false},
		{"<<: {a: 1}\n", false},
		{"a: 'multi\n  line'\n", false},
		{"a:\tb\n", false},
		{"---\na: 1\n", false},
		{"", false},
		{"a: [b,\n  c]\n", false},
	} {
		if got := streamAgrees(t, c.yaml, []byte(c.yaml)); got != c.stream {
			t.Errorf("%q: streamed %v, want %v", c.yaml, got, c.stream)
		}
	}
}

// FuzzYAMLStream: whatever the streaming reader accepts, yaml.v3's tree
// reads the same way.
func FuzzYAMLStream(f *testing.F) {
	for _, s := range []string{
		"a: 1\nb: [x, 'y', \"z\"]\nc: {k: v}\n",
		"a:\n  - x\n  - y: 1\n    z: 2\n",
		"d: >-\n  folded\n  text\n\n  para\n\n    more\ne: |+\n  lit\n\n",
		"p: plain\n  continued\n\n  again # c\n",
		"- - a\n  - b\n- c: d\n  e: [1, {f: g}]\n",
		"k: 'it''s'\nl: \"a\\u00e9\\n\"\n",
	} {
		f.Add([]byte(s))
	}
	for _, name := range []string{"../examples/payments/openapi.yaml"} {
		if data, err := os.ReadFile(name); err == nil && len(data) < 64<<10 {
			f.Add(data)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		streamAgrees(t, "input", data)
	})
}

func TestAppendJSONString(t *testing.T) {
	cases := []string{"", "plain", "a\"b\\c", "<a href='x'>&amp;</a>", "\x00\x01\b\f\n\r\t\x1f\x7f",
		"\u2028\u2029\u2027", "é日本\U0001F600", "bad \xff utf8 \xc3", "\xed\xa0\x80 surrogate"}
	for r := rune(0); r < 0x3000; r++ {
		cases = append(cases, string(r))
	}
	for _, s := range cases {
		jsonStringAgrees(t, s)
	}
}

func jsonStringAgrees(t *testing.T, s string) {
	t.Helper()
	want, _ := json.Marshal(s)
	if got := appendJSONString(nil, s); !bytes.Equal(got, want) {
		t.Errorf("%q: got %s, json.Marshal %s", s, got, want)
	}
}

func FuzzAppendJSONString(f *testing.F) {
	f.Add("a\"<\u2028\xff")
	f.Fuzz(func(t *testing.T, s string) { jsonStringAgrees(t, s) })
}
