package report

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accord-dev/accord/compat"
	"github.com/accord-dev/accord/contracts"
)

const changelogCases = "../../testdata/changelog"

// changelogOf loads base and head and builds their change log, the way
// accord changelog does.
func changelogOf(t testing.TB, basePath, headPath string) Changelog {
	t.Helper()
	var docs [2]*contracts.Document
	for i, p := range []string{basePath, headPath} {
		d, err := contracts.Load(context.Background(), p, contracts.LoadOptions{})
		if err != nil {
			t.Fatalf("loading %s: %v", p, err)
		}
		docs[i] = d
	}
	res, err := compat.Compare(docs[0], docs[1], compat.Options{Changes: true})
	if err != nil {
		t.Fatal(err)
	}
	return BuildChangelog(res)
}

// goldenAt compares got with the file at path, or rewrites it under -update.
func goldenAt(t *testing.T, path string, got []byte) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./compat/report -run TestChangelog -update to create it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s differs from the golden file (go test ./compat/report -update rewrites it after review)\n--- got:\n%s\n--- want:\n%s", path, got, want)
	}
}

// TestChangelogGoldens: every case under testdata/changelog (one per kind
// of change, and "mixed") renders as its changelog.md; mixed also as json
// and html.
func TestChangelogGoldens(t *testing.T) {
	dirs, _ := filepath.Glob(filepath.Join(changelogCases, "*", "base.yaml"))
	if len(dirs) < 10 {
		t.Fatalf("only %d change log cases", len(dirs))
	}
	for _, b := range dirs {
		dir := filepath.Dir(b)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			cl := changelogOf(t, filepath.Join(dir, "base.yaml"), filepath.Join(dir, "head.yaml"))
			if len(cl.Groups) == 0 {
				t.Fatal("no changes found")
			}
			var md bytes.Buffer
			if err := ChangelogMarkdown(&md, []Changelog{cl}); err != nil {
				t.Fatal(err)
			}
			goldenAt(t, filepath.Join(dir, "changelog.md"), md.Bytes())
			if filepath.Base(dir) != "mixed" {
				return
			}
			var js, page bytes.Buffer
			if err := ChangelogJSON(&js, []Changelog{cl}, "test"); err != nil {
				t.Fatal(err)
			}
			goldenAt(t, filepath.Join(dir, "changelog.json"), js.Bytes())
			if err := ChangelogHTML(&page, []Changelog{cl}, "test"); err != nil {
				t.Fatal(err)
			}
			goldenAt(t, filepath.Join(dir, "changelog.html"), page.Bytes())
		})
	}
}

// TestChangelogMixedContent checks what the mixed case must say, beyond the
// golden: breaking entries first with an action, deprecations with their
// sunsets, additions, grouped by operation and shared schema.
func TestChangelogMixedContent(t *testing.T) {
	cl := changelogOf(t, changelogCases+"/mixed/base.yaml", changelogCases+"/mixed/head.yaml")
	if cl.Counts.Breaking != 1 || cl.Counts.MayBreak != 1 || cl.Counts.Deprecated != 2 || cl.Counts.Added < 3 {
		t.Errorf("counts %+v", cl.Counts)
	}
	byName := map[string]ChangeGroup{}
	for _, g := range cl.Groups {
		byName[g.Name] = g
		for i := 1; i < len(g.Changes); i++ {
			if kindRank(g.Changes[i-1].Kind) > kindRank(g.Changes[i].Kind) {
				t.Errorf("%s: %s listed before %s", g.Name, g.Changes[i-1].Kind, g.Changes[i].Kind)
			}
		}
		for _, c := range g.Changes {
			if (c.Kind == ChangeBreaking || c.Kind == ChangeMayBreak) != (c.Action != "") {
				t.Errorf("%s: %s entry %q has action %q", g.Name, c.Kind, c.Message, c.Action)
			}
		}
	}
	create := byName["POST /payments"]
	if create.Kind != GroupOperation || create.ID != "createPayment" || len(create.Changes) == 0 || create.Changes[0].Kind != ChangeBreaking {
		t.Errorf("POST /payments group: %+v", create)
	}
	get := byName["GET /payments/{id}"]
	sunset := false
	for _, c := range get.Changes {
		sunset = sunset || (c.Kind == ChangeDeprecated && c.Sunset == "2027-01-31")
	}
	if !sunset {
		t.Errorf("the deprecated operation's sunset is missing: %+v", get)
	}
	shared := byName["components.schemas.Payment"]
	if shared.Kind != GroupShared || len(shared.Changes) == 0 || len(shared.Changes[0].Affected) != 3 {
		t.Errorf("shared group: %+v", shared)
	}
	if g := byName["POST /refunds"]; len(g.Changes) != 1 || g.Changes[0].Kind != ChangeAdded {
		t.Errorf("added operation: %+v", g)
	}
}

// TestChangelogHTMLStructure parses the page: balanced elements, one
// document, inline style only, nothing fetched (no http(s) src or href, no
// script, link or img), and the contract's hostile property name escaped.
func TestChangelogHTMLStructure(t *testing.T) {
	cl := changelogOf(t, changelogCases+"/mixed/base.yaml", changelogCases+"/mixed/head.yaml")
	var page bytes.Buffer
	if err := ChangelogHTML(&page, []Changelog{cl}, "test"); err != nil {
		t.Fatal(err)
	}
	checkSelfContainedHTML(t, page.Bytes())
	if !strings.Contains(page.String(), "note&lt;script&gt;") {
		t.Error("the property name with markup is not escaped in the page")
	}
}

func checkSelfContainedHTML(t *testing.T, page []byte) {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(page))
	d.Strict = false
	d.AutoClose = xml.HTMLAutoClose
	d.Entity = xml.HTMLEntity
	var stack []string
	counts := map[string]int{}
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("the page does not parse: %v", err)
		}
		switch el := tok.(type) {
		case xml.StartElement:
			name := strings.ToLower(el.Name.Local)
			counts[name]++
			switch name {
			case "script", "link", "img", "iframe", "object", "embed":
				t.Errorf("the page has a <%s>: it must need nothing from outside", name)
			}
			for _, a := range el.Attr {
				v := strings.ToLower(strings.TrimSpace(a.Value))
				if (a.Name.Local == "src" || a.Name.Local == "href") && (strings.HasPrefix(v, "http") || strings.HasPrefix(v, "//")) {
					t.Errorf("<%s %s=%q> fetches from outside", name, a.Name.Local, a.Value)
				}
			}
			stack = append(stack, name) // void elements get an end from AutoClose
		case xml.EndElement:
			name := strings.ToLower(el.Name.Local)
			if len(stack) == 0 || stack[len(stack)-1] != name {
				t.Fatalf("</%s> closes %v", name, stack)
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) != 0 {
		t.Errorf("unclosed elements: %v", stack)
	}
	if counts["html"] != 1 || counts["body"] != 1 || counts["style"] != 1 || counts["h1"] != 1 {
		t.Errorf("element counts %v: want one html, body, style and h1", counts)
	}
	if bytes.Contains(bytes.ToLower(page), []byte("url(")) || bytes.Contains(bytes.ToLower(page), []byte("@import")) {
		t.Error("the CSS fetches something")
	}
}

// TestChangelogStripe is the change log of a real evolution: Stripe
// 2023-04-27 -> 2023-09-12 from ../shared/corpus (read in place, never
// copied), against a markdown golden, with its size and time logged.
func TestChangelogStripe(t *testing.T) {
	base := "../../../shared/corpus/stripe/stripe-spec3-2023-04-27.yaml"
	head := "../../../shared/corpus/stripe/stripe-spec3-2023-09-12.yaml"
	if _, err := os.Stat(base); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the corpus is missing under CI: %v", err)
		}
		t.Skipf("no corpus: %v", err)
	}
	if testing.Short() {
		t.Skip("-short: the Stripe pair takes seconds")
	}
	start := time.Now()
	cl := changelogOf(t, base, head)
	var md, page, js bytes.Buffer
	if err := ChangelogMarkdown(&md, []Changelog{cl}); err != nil {
		t.Fatal(err)
	}
	elapsed := time.Since(start)
	if err := ChangelogHTML(&page, []Changelog{cl}, "test"); err != nil {
		t.Fatal(err)
	}
	if err := ChangelogJSON(&js, []Changelog{cl}, "test"); err != nil {
		t.Fatal(err)
	}
	t.Logf("Stripe 2023-04-27 -> 2023-09-12: %+v in %d groups; markdown %d bytes, html %d, json %d; load+compare+markdown %v",
		cl.Counts, len(cl.Groups), md.Len(), page.Len(), js.Len(), elapsed.Round(time.Millisecond))
	if cl.Counts.Breaking == 0 || cl.Counts.Added < 100 {
		t.Errorf("counts %+v: the pair has dozens of breaks and hundreds of additions", cl.Counts)
	}
	var back struct{ Changelogs []Changelog }
	if err := json.Unmarshal(js.Bytes(), &back); err != nil || len(back.Changelogs) != 1 {
		t.Fatalf("json does not round-trip: %v", err)
	}
	checkSelfContainedHTML(t, page.Bytes())
	goldenAt(t, filepath.Join(changelogCases, "corpus-stripe-2023-04-27-2023-09-12.md"), md.Bytes())
}
