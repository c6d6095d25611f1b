package contracts

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// corpusDir holds real public contracts beside the checkout (see
// ../shared/corpus/INDEX.md). They are read in place, never copied.
const corpusDir = "../../shared/corpus"

// requireCorpus skips when the corpus is absent, except in CI where a missing
// corpus must not silently turn the robustness check green.
func requireCorpus(t *testing.T) {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("corpus %s is missing: %v", corpusDir, err)
		}
		t.Skipf("corpus %s not found; real-contract checks skipped", corpusDir)
	}
}

// corpusRejections lists the real contracts accord rejects, and why. Each is
// a defect in the contract itself, checked by hand:
var corpusRejections = map[string]string{
	// $ref to models/domain_record_types.yml, a file that is not shipped.
	"wellknown/digitalocean.com.json": "dangling-ref",
	// Item.definitions.itemType is {type: {<schema>}}: not a schema.
	"apisguru/codat.io__accounting.json": "bad-ref-target",
	// GET /…/payslips/{year} and GET /…/payslips/{payrollrunId} are one route.
	"apisguru/loket.nl.json": "openapi-conflicting-paths",
}

func TestRealOpenAPIContracts(t *testing.T) {
	requireCorpus(t)
	files := contractFiles(t, corpusDir, "asyncapi")
	if len(files) < 70 {
		t.Fatalf("found only %d OpenAPI files in the corpus", len(files))
	}
	for _, file := range files {
		rel, _ := filepath.Rel(corpusDir, file)
		t.Run(rel, func(t *testing.T) {
			t.Parallel()
			if testing.Short() && fileSize(file) > 2<<20 {
				t.Skip("large contract skipped in -short mode")
			}
			problems, class := loadAndValidate(context.Background(), file)
			want, rejected := corpusRejections[filepath.ToSlash(rel)]
			if !rejected {
				if class != "" {
					t.Fatalf("real contract rejected (%s):\n%s", class, listProblems(firstN(problems, 5)))
				}
				return
			}
			for _, p := range problems {
				if p.Code == want && p.Severity == SeverityError {
					return
				}
			}
			t.Fatalf("expected rejection %s, got class %q:\n%s", want, class, listProblems(firstN(problems, 5)))
		})
	}
}

func fileSize(p string) int64 {
	st, err := os.Stat(p)
	if err != nil {
		return 0
	}
	return st.Size()
}

func firstN(ps []Problem, n int) []Problem {
	if len(ps) > n {
		return ps[:n]
	}
	return ps
}

// BenchmarkLoadLargest loads the largest real contract (GitHub, 13 MB JSON).
func BenchmarkLoadLargest(b *testing.B) {
	file := filepath.Join(corpusDir, "github/api.github.com-octokit-23.0.2.json")
	if _, err := os.Stat(file); err != nil {
		b.Skip("corpus not found")
	}
	for b.Loop() {
		if _, err := Load(context.Background(), file, LoadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
