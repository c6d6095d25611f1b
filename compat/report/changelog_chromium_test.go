package report

import (
	"bytes"
	"context"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// chromiumFlags start a headless Chromium that reaches for nothing: this
// machine's network is closed, and the page must not need it anyway.
var chromiumFlags = []string{
	"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
	"--disable-background-networking", "--disable-component-update", "--disable-sync",
}

// TestChangelogHTMLRendersInChromium opens the mixed case's page in
// headless Chromium (Debian's chromium package; skipped without it): the
// DOM it builds has the change log's headings and tags, and a screenshot
// shows content, the red "Breaking" tag among it.
func TestChangelogHTMLRendersInChromium(t *testing.T) {
	bin, err := exec.LookPath("chromium")
	if err != nil {
		t.Skip("no chromium on PATH (apt-get install chromium): rendering not checked")
	}
	cl := changelogOf(t, changelogCases+"/mixed/base.yaml", changelogCases+"/mixed/head.yaml")
	var page bytes.Buffer
	if err := ChangelogHTML(&page, []Changelog{cl}, "test"); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "changelog.html")
	if err := os.WriteFile(file, page.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	chromium := func(args ...string) []byte {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
		defer cancel()
		profile := t.TempDir()
		all := append(append(append([]string{}, chromiumFlags...), "--user-data-dir="+profile), args...)
		cmd := exec.CommandContext(ctx, bin, append(all, "file://"+file)...)
		cmd.Dir = dir
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("chromium %v: %v", args, err)
		}
		return out
	}

	dom := string(chromium("--dump-dom"))
	for _, want := range []string{"<h1>Changes to", `class="tag breaking"`, "sunset <strong>2027-01-31</strong>", "note&lt;script&gt;"} {
		if !strings.Contains(dom, want) {
			t.Errorf("the rendered DOM lacks %q", want)
		}
	}
	if strings.Contains(dom, "<script>alert") {
		t.Error("the contract's markup became an element")
	}

	chromium("--window-size=1000,900", "--screenshot="+filepath.Join(dir, "shot.png"))
	f, err := os.Open(filepath.Join(dir, "shot.png"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	b := img.Bounds()
	ink, red := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			r, g, bl = r>>8, g>>8, bl>>8
			if r < 200 || g < 200 || bl < 200 {
				ink++
			}
			// The breaking tag's background, #cf222e.
			if r > 180 && r < 230 && g < 70 && bl < 80 {
				red++
			}
		}
	}
	total := (b.Dx() / 2) * (b.Dy() / 2)
	t.Logf("screenshot %dx%d: %d of %d sampled pixels inked, %d breaking-red", b.Dx(), b.Dy(), ink, total, red)
	if ink < total/100 {
		t.Errorf("the screenshot is nearly blank: %d of %d sampled pixels inked", ink, total)
	}
	if red < 20 {
		t.Errorf("no red Breaking tag visible (%d red pixels)", red)
	}
}
