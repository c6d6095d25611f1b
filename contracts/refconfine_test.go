package contracts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const (
	confineDir = "../testdata/contracts/confine"
	// outsideMarker is written only in confine/outside/secret.yaml: seeing
	// it in any error or document means the file was read.
	outsideMarker = "ACCORD-OUTSIDE-MARKER-5c1e"
)

// TestRefConfinement: $refs read only inside the root contract's directory
// tree unless the caller allows a directory; escapes through ../, symlinks,
// absolute paths and file: URLs are refused with the ref and its position,
// and the outside file's text never shows up.
func TestRefConfinement(t *testing.T) {
	for _, c := range []struct {
		file  string
		allow []string
		code  string // "" means it loads
		pos   string
	}{
		{file: "inside.yaml"},
		{file: "escape.yaml", code: "ref-outside", pos: "12:31"},
		{file: "symlink.yaml", code: "ref-outside", pos: "12:31"},
		{file: "file-url.yaml", code: "absolute-ref", pos: "12:31"},
		{file: "absolute.yaml", code: "absolute-ref", pos: "12:31"},
		{file: "escape.yaml", allow: []string{filepath.Join(confineDir, "outside")}},
		// Allowing a directory does not allow absolute refs.
		{file: "absolute.yaml", allow: []string{"/"}, code: "absolute-ref", pos: "12:31"},
	} {
		t.Run(c.file+strings.Join(c.allow, ","), func(t *testing.T) {
			doc, err := Load(context.Background(), filepath.Join(confineDir, "api", c.file), LoadOptions{AllowRefsIn: c.allow})
			checkConfined(t, doc, err, c.code, c.pos)
		})
	}
}

// TestRefConfinementStdin: a contract on standard input may read below the
// working directory and nowhere else.
func TestRefConfinementStdin(t *testing.T) {
	for name, code := range map[string]string{"inside.yaml": "", "escape.yaml": "ref-outside", "symlink.yaml": "ref-outside"} {
		t.Run(name, func(t *testing.T) {
			f, err := os.Open(filepath.Join(confineDir, "api", name))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			doc, err := Load(context.Background(), "-", LoadOptions{Stdin: f, Dir: filepath.Join(confineDir, "api")})
			checkConfined(t, doc, err, code, "12:31")
		})
	}
}

// TestRefConfinementGit: REV:path reads $refs from the revision's tree; one
// that climbs out of the repository is refused.
func TestRefConfinementGit(t *testing.T) {
	r := newTestRepo(t)
	data, err := os.ReadFile(filepath.Join(confineDir, "api", "escape.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	escape := strings.ReplaceAll(string(data), "../outside/secret.yaml", "../../outside/secret.yaml")
	r.write("api/escape.yaml", escape)
	r.write("api/inside.yaml", strings.ReplaceAll(string(data), "../outside/secret.yaml", "../shared/secret.yaml"))
	r.write("shared/secret.yaml", "Secret: {type: object}\n")
	r.commit("contracts")
	doc, err := Load(context.Background(), "HEAD:api/inside.yaml", LoadOptions{Dir: r.dir})
	checkConfined(t, doc, err, "", "")
	doc, err = Load(context.Background(), "HEAD:api/escape.yaml", LoadOptions{Dir: r.dir})
	checkConfined(t, doc, err, "ref-outside", "12:31")
}

func checkConfined(t *testing.T, doc *Document, err error, code, pos string) {
	t.Helper()
	if code == "" {
		if err != nil {
			t.Fatalf("refused: %v", err)
		}
		return
	}
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v (document %v), want a %s problem", err, doc != nil, code)
	}
	p := ce.Problems[0]
	if p.Code != code || ce.Class != ClassInvalid {
		t.Fatalf("problem %s (class %s), want %s: %v", p.Code, ce.Class, code, p)
	}
	if got := p.Pos.String(); !strings.HasSuffix(got, ":"+pos) {
		t.Errorf("position %s, want …:%s", got, pos)
	}
	if !strings.Contains(p.Message, "$ref \"") || p.Hint == "" {
		t.Errorf("the message does not quote the $ref or there is no hint: %v", p)
	}
	if strings.Contains(err.Error(), outsideMarker) {
		t.Errorf("the outside file's content is in the error: %v", err)
	}
}
