package contracts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// asyncCorpusDir holds real AsyncAPI documents (the AsyncAPI project's examples,
// 2.6.0 and 3.0.0) shared by the team; they are never copied into the repo.
var asyncCorpusDir = filepath.Join(corpusDir, "asyncapi")

// asyncCorpusFiles lists the corpus's contract roots, skipping the common/
// folders that only hold fragments other files $ref.
func asyncCorpusFiles(t *testing.T) []string {
	t.Helper()
	requireCorpus(t)
	files := contractFiles(t, asyncCorpusDir, "common")
	if len(files) == 0 {
		t.Fatalf("no documents under %s", asyncCorpusDir)
	}
	return files
}

func TestAsyncAPICorpus(t *testing.T) {
	for _, file := range asyncCorpusFiles(t) {
		name := strings.TrimPrefix(filepath.ToSlash(file), asyncCorpusDir+"/")
		t.Run(name, func(t *testing.T) {
			var opts LoadOptions
			// The social-media example's services share ../common: outside
			// each service's tree, so read only when allowed.
			if common := filepath.Join(filepath.Dir(filepath.Dir(file)), "common"); strings.Contains(name, "social-media/") && isDir(common) {
				problems, _ := loadAndValidate(context.Background(), file)
				if len(problems) == 0 || problems[0].Code != "ref-outside" {
					t.Fatalf("$refs into ../common read without --allow-refs-in: %v", problems)
				}
				opts.AllowRefsIn = []string{common}
			}
			problems, class := loadAndValidateWith(context.Background(), file, opts)
			if class != "" || HasErrors(problems) {
				t.Fatalf("corpus document rejected (%s):\n%s", class, listProblems(problems))
			}
		})
	}
}

func isDir(p string) bool {
	st, err := os.Stat(p)
	return err == nil && st.IsDir()
}
