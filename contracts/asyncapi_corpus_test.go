package contracts

import (
	"context"
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
			problems, class := loadAndValidate(context.Background(), file)
			if class != "" || HasErrors(problems) {
				t.Fatalf("corpus document rejected (%s):\n%s", class, listProblems(problems))
			}
		})
	}
}
