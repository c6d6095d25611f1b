package contracts

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
)

func TestLoadFromStdin(t *testing.T) {
	data, err := os.ReadFile("../testdata/contracts/valid/openapi-3.0-json.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Load(context.Background(), "-", LoadOptions{Stdin: strings.NewReader(string(data))})
	if err != nil {
		t.Fatal(err)
	}
	if doc.Name != "<stdin>" || doc.Kind != KindOpenAPI || doc.Version != "3.0.0" {
		t.Fatalf("got %s %s %s", doc.Name, doc.Kind, doc.Version)
	}
}

// A contract at a git revision resolves its relative $refs at the same
// revision, not from the working tree.
func TestLoadFromGitRevision(t *testing.T) {
	repo := newTestRepo(t)
	dir, write := repo.dir, repo.write
	root := "openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: 'parts/s.yaml#/A'}\n"
	write("api/openapi.yaml", root)
	write("api/parts/s.yaml", "A: {type: string}\n")
	repo.commit("v1")
	// The working tree moves on; the revision must not see it.
	write("api/parts/s.yaml", "A: {type: integer}\n")

	for _, src := range []string{"HEAD:api/openapi.yaml", "HEAD:./api/openapi.yaml"} {
		doc, err := Load(context.Background(), src, LoadOptions{Dir: dir})
		if err != nil {
			t.Fatalf("%s: %v", src, err)
		}
		schema := doc.OpenAPI.Paths.Value("/a").Get.Responses.Status(200).Value.Content["application/json"].Schema.Value
		if !schema.Type.Is("string") {
			t.Errorf("%s: $ref read from the working tree, not the revision: %v", src, schema.Type)
		}
		if doc.Name != src {
			t.Errorf("Name = %q", doc.Name)
		}
		if p := doc.RefPos("parts/s.yaml#/A"); !strings.HasPrefix(p.File, "HEAD:") || p.Line != 1 {
			t.Errorf("position in the referenced file = %v", p)
		}
	}
	_, err := Load(context.Background(), "nope:api/openapi.yaml", LoadOptions{Dir: dir})
	var ce *Error
	if !errors.As(err, &ce) || ce.Class != ClassRead || ce.Problems[0].Code != "git-failed" {
		t.Fatalf("bad revision: %v", err)
	}
}

func TestReadErrorsAreSpecific(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct{ src, code string }{
		{"missing.yaml", "file-not-found"},
		{".", "is-directory"},
		{"/dev/null", "not-regular-file"},
		{"", "no-input"},
	} {
		_, err := Load(context.Background(), c.src, LoadOptions{Dir: dir})
		var ce *Error
		if !errors.As(err, &ce) || ce.Class != ClassRead || ce.Problems[0].Code != c.code {
			t.Errorf("%q: got %v, want %s", c.src, err, c.code)
		}
	}
}
