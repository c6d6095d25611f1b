package generator

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accord-dev/accord/contracts"
)

// TestCorpusFailureClassesCompile generates client and server for one small
// contract per failure class seen on samples of real contracts, and builds
// the result: nested inline enums and objects of component responses,
// several XML media types of one response, path parameters named like the
// builders' own variables or the packages they import (url, http, fmt...),
// text request bodies of non-string types, one
// callback name under several operations, allOf members merged below a
// component response's top, allOf members that disagree on readOnly,
// uniqueItems or a default, and schemas named like oapi-codegen's own
// declarations (Handler).
func TestCorpusFailureClassesCompile(t *testing.T) {
	if testing.Short() {
		t.Skip("compiles generated code")
	}
	cases := []struct {
		file  string
		notes []string
	}{
		{"responses.yaml", []string{
			"components/responses/400Error: its application/json schema holds inline types",
			"method ListThingsResponse.GetXML200 was declared twice",
		}},
		{"params-text.yaml", []string{
			`the path parameter "server" is generated as ServerParam`,
			"JSON or text bodies without a schema",
		}},
		{"params-packages.yaml", []string{
			`the path parameter "url" is generated as UrlParam (url is a package the generated function refers to)`,
			`the path parameter "accordrt" is generated as AccordrtParam`,
		}},
		{"merges.yaml", []string{
			"components/schemas/Compliance: its allOf members disagree on readOnly",
			"components/schemas/Settings: its allOf members disagree",
			"components/schemas/Function: its allOf members disagree",
			"components/schemas/Handler: Go type Handler is declared by the generated code itself",
		}},
		{"callbacks.yaml", []string{
			"callback hangup is used by 2 operations",
			"components/responses/CommentResponse: its application/json schema holds inline types",
		}},
	}
	for _, c := range cases {
		t.Run(c.file, func(t *testing.T) {
			doc, err := contracts.Load(context.Background(), filepath.Join("testdata", "corpus-classes", c.file), contracts.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Generate(doc, Options{Package: "api", Runtime: testRuntime, templates: testTemplates()})
			if err != nil {
				t.Fatal(err)
			}
			all := strings.Join(res.Notes, "\n")
			for _, want := range c.notes {
				if !strings.Contains(all, want) {
					t.Errorf("no note %q among:\n%s", want, all)
				}
			}
			mod := t.TempDir()
			writeTestModule(t, mod)
			writeGenerated(t, mod, "api", res, nil)
			if out, err := goCmd(t, mod, "build", "./..."); err != nil {
				t.Fatalf("go build: %v\n%s", err, out)
			}
		})
	}
}
