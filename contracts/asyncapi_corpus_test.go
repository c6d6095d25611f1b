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
const asyncCorpusDir = "../../shared/corpus/asyncapi"

// asyncCorpusFiles lists the corpus's contract roots, skipping the common/
// folders that only hold fragments other files $ref.
func asyncCorpusFiles(t *testing.T) []string {
	t.Helper()
	if _, err := os.Stat(asyncCorpusDir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("AsyncAPI corpus missing at %s: %v", asyncCorpusDir, err)
		}
		t.Skipf("AsyncAPI corpus not found at %s (set up /work/shared/corpus to run this test)", asyncCorpusDir)
	}
	var files []string
	err := filepath.WalkDir(asyncCorpusDir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if d.Name() == "common" {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(p) {
		case ".yaml", ".yml", ".json":
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
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
