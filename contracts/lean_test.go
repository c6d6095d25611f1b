package contracts

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// TestLeanTakesTheBigContracts makes sure LoadForCompare's single-pass
// decoder, not its fallback, reads the real contracts compat is timed on
// (compat's tests prove the findings are the same either way).
func TestLeanTakesTheBigContracts(t *testing.T) {
	requireCorpus(t)
	for _, name := range []string{
		"stripe/stripe-spec3-2023-04-27.yaml",
		"stripe/stripe-spec3-2023-09-12.yaml",
		"stripe/stripe-spec3-2026-08-26.json",
		"github/api.github.com-octokit-17.0.0.json",
		"github/api.github.com-octokit-23.0.2.json",
	} {
		src, _, err := readSource(context.Background(), filepath.Join(corpusDir, name), LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := decodeLeanSource(src); err != nil {
			t.Errorf("%s: the lean decoder declined: %v", name, err)
		}
	}
}

// TestLeanDeclines: what the lean decoder does not handle goes to the full
// loader, whose errors (with positions) are then the same as Load's.
func TestLeanDeclines(t *testing.T) {
	for name, text := range map[string]string{
		"external ref": `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"responses":{"200":{"description":"ok","content":{"application/json":{"schema":{"$ref":"other.yaml#/X"}}}}}}}}}`,
		"dangling ref": `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{"A":{"$ref":"#/components/schemas/B"}}}}`,
		"ref cycle":    `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{"A":{"$ref":"#/components/schemas/B"},"B":{"$ref":"#/components/schemas/A"}}}}`,
		"bad shape":    `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{"/a":{"get":{"parameters":{"name":"x"}}}}}`,
		"syntax":       `{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{`,
		"asyncapi":     `{"asyncapi":"3.0.0","info":{"title":"t","version":"1"}}`,
	} {
		t.Run(name, func(t *testing.T) {
			src := &sourceFile{name: "api.json", key: "/nonexistent/api.json", data: []byte(text)}
			if _, ok := loadLean(src); ok {
				t.Fatal("the lean decoder accepted it; want the full loader to decide")
			}
			file := filepath.Join(t.TempDir(), "api.json")
			if err := os.WriteFile(file, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			_, lerr := LoadForCompare(context.Background(), file, LoadOptions{})
			_, ferr := Load(context.Background(), file, LoadOptions{})
			if fmt.Sprint(lerr) != fmt.Sprint(ferr) {
				t.Fatalf("LoadForCompare: %v\nLoad: %v", lerr, ferr)
			}
		})
	}
}
