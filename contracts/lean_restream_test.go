package contracts

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// everyPointer lists a pointer to every element of the JSON text l walks,
// and for each container pointers that stop short inside it: a missing
// member, an index past the end, and an index spelt as Atoi still reads it.
func everyPointer(l *locator) []string {
	l.once.Do(l.prepare)
	out := []string{"", "/", "/no such member", "nothing/at all"}
	var walk func(ptr string, off int32, depth int)
	walk = func(ptr string, off int32, depth int) {
		l.mu.Lock()
		c := l.table(off)
		l.mu.Unlock()
		if c == nil || depth > 60 {
			return
		}
		out = append(out, ptr+"/~1missing~0", ptr+"/"+strconv.Itoa(len(c.items)+len(c.keys)))
		for k, m := range c.keys {
			p := ptr + "/" + escapePointerToken(k)
			out = append(out, p)
			walk(p, m.value, depth+1)
		}
		for i, m := range c.items {
			p := ptr + "/" + strconv.Itoa(i)
			out = append(out, p, ptr+"/0"+strconv.Itoa(i), ptr+"/+"+strconv.Itoa(i)+"/x")
			walk(p, m.value, depth+1)
		}
	}
	walk("", int32(l.root), 0)
	return out
}

// locatorAgrees fails t when the streamer as a locator places any pointer
// elsewhere than the locator over the conversion and its marks.
func locatorAgrees(t *testing.T, name string, data []byte) (streamed bool) {
	t.Helper()
	text, marks, ok := yamlStream(data)
	if !ok {
		return false
	}
	l := newConvertedLocator(name, data, text, marks)
	ptrs := everyPointer(l)
	loc := newStreamLocator(ptrs)
	if _, _, _, ok := yamlStreamWith(data, streamOptions{loc: loc}); !ok {
		t.Errorf("%s: streams, but not as a locator", name)
		return true
	}
	bad := 0
	for _, p := range ptrs {
		if got, want := loc.pos(name, p), l.Pos(p); got != want {
			if bad++; bad <= 5 {
				t.Errorf("%s: %q streamed at %v, locator at %v", name, p, got, want)
			}
		}
	}
	return true
}

// TestStreamLocatorMatchesLocator: on every YAML file of the repository
// and the corpus that streams, every element, and every pointer that stops
// short, is placed where the locator places it.
func TestStreamLocatorMatchesLocator(t *testing.T) {
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
		if locatorAgrees(t, f, data) {
			streamed++
		}
	}
	t.Logf("%d of %d YAML files located by streaming", streamed, len(files))
}

func TestStreamLocatorCases(t *testing.T) {
	for _, y := range []string{
		"a: 1\nb: [x, 'y', \"z\"]\nc: {k: v, 'q': [1, {d: e}]}\n",
		"a:\n  - x\n  - y: 1\n    z: 2\n  -\n    w\n",
		"a:\n- x\n- y\nb: 2\n",
		"- - a\n  - b\n- c: d\n  e: [1, {f: g}]\n",
		"\"a/b\": {\"c~d\": 1}\n'0': [z]\n\"\": empty\n",
		"d: >-\n  folded\n  text\ne: |\n  lit\nf: plain\n  continued\n",
	} {
		if !locatorAgrees(t, y, []byte(y)) {
			t.Errorf("%q: does not stream", y)
		}
	}
}

// FuzzStreamLocator: wherever the streamer reads a file, it locates every
// element as the locator does.
func FuzzStreamLocator(f *testing.F) {
	for _, s := range []string{
		"a: 1\nb: [x, 'y', \"z\"]\nc: {k: v}\n",
		"- - a\n  - b\n- c: d\n  e: [1, {f: g}]\n",
		"\"a/b\": {\"c~d\": 1}\n'0': [z]\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 4<<10 {
			return
		}
		locatorAgrees(t, "input", data)
	})
}

// TestRestreamedPositions: a mapped YAML contract keeps neither its JSON
// conversion nor its marks, and RefPositions streams it again to the
// positions the same file read (and its conversion kept) gives.
func TestRestreamedPositions(t *testing.T) {
	requireCorpus(t)
	if runtime.GOOS != "linux" {
		t.Skip("contracts are mapped on Linux only")
	}
	path := filepath.Join(corpusDir, "stripe/stripe-spec3-2023-04-27.yaml")
	msrc, ok := mapContract(path, LoadOptions{})
	if !ok {
		t.Fatal("not mapped")
	}
	mapped, ok := loadMapped(msrc)
	if !ok {
		t.Fatal("the mapped decode declined")
	}
	if mapped.root.re == nil || mapped.root.text != nil || mapped.root.marks != nil {
		t.Fatal("the mapped YAML contract kept its conversion")
	}
	rsrc, _, err := readSource(context.Background(), path, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	read, err := decodeLeanSource(rsrc)
	if err != nil {
		t.Fatal(err)
	}
	ptrs := everyPointer(newConvertedLocator(path, rsrc.data, rsrc.text, rsrc.marks))
	refs := make([]string, len(ptrs))
	for i, p := range ptrs {
		refs[i] = "#" + p
	}
	got := mapped.RefPositions(refs)
	bad := 0
	for i, r := range refs {
		if want := read.RefPos(r); got[i] != want {
			if bad++; bad <= 5 {
				t.Errorf("%q: restreamed at %v, read at %v", r, got[i], want)
			}
		}
	}
	if mapped.root.re.full.Load() {
		t.Error("RefPositions kept the conversion")
	}
	// A lone Pos converts the file for good, with the same answers.
	for _, p := range ptrs[:200] {
		if a, b := mapped.Pos(p), read.Pos(p); a != b {
			t.Errorf("%q: Pos %v, read at %v", p, a, b)
		}
	}
	if !mapped.root.re.full.Load() {
		t.Error("Pos did not keep the conversion")
	}
	t.Logf("%d pointers", len(refs))
}
