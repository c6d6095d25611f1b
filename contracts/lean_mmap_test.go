package contracts

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// TestMappedLoadMatchesRead: a mapped contract, its pages released behind
// the decoder, decodes to the same model with the same positions as the
// same file read.
func TestMappedLoadMatchesRead(t *testing.T) {
	requireCorpus(t)
	if runtime.GOOS != "linux" {
		t.Skip("contracts are mapped on Linux only")
	}
	for _, name := range []string{
		"github/api.github.com-octokit-17.0.0.json",
		"stripe/stripe-spec3-2026-08-26.json",
		"stripe/stripe-spec3-2023-09-12.yaml",
	} {
		path := filepath.Join(corpusDir, name)
		msrc, ok := mapContract(path, LoadOptions{})
		if !ok {
			t.Fatalf("%s: not mapped", name)
		}
		mapped, ok := loadMapped(msrc)
		if !ok {
			t.Fatalf("%s: the mapped decode declined", name)
		}
		rsrc, _, err := readSource(context.Background(), path, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		read, err := decodeLeanSource(rsrc)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := json.Marshal(mapped.OpenAPI)
		b, _ := json.Marshal(read.OpenAPI)
		if !bytes.Equal(a, b) {
			t.Errorf("%s: models differ", name)
		}
		n := 0
		for p, item := range read.OpenAPI.Paths.Map() {
			for method := range item.Operations() {
				ptr := "/paths/" + strings.ReplaceAll(strings.ReplaceAll(p, "~", "~0"), "/", "~1") + "/" + strings.ToLower(method) + "/responses"
				if mp, rp := mapped.Pos(ptr), read.Pos(ptr); mp != rp {
					t.Errorf("%s %s: mapped at %v, read at %v", name, ptr, mp, rp)
				}
				n++
			}
			if n > 300 {
				break
			}
		}
	}
}

// TestMappedFileTruncated: a file cut short under its mapping faults the
// decoder; that declines (readSource then reads what is there) instead of
// ending the process.
func TestMappedFileTruncated(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("contracts are mapped on Linux only")
	}
	var b strings.Builder
	b.WriteString(`{"openapi":"3.0.3","info":{"title":"t","version":"1"},"paths":{},"components":{"schemas":{`)
	for i := 0; b.Len() < 2*mapMin; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`"S` + strings.Repeat("x", 40) + itoa(i) + `":{"type":"string","maxLength":5000}`)
	}
	b.WriteString(`}}}`)
	file := filepath.Join(t.TempDir(), "api.json")
	if err := os.WriteFile(file, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	src, ok := mapContract(file, LoadOptions{})
	if !ok {
		t.Fatal("not mapped")
	}
	if err := os.Truncate(file, 4096); err != nil {
		t.Fatal(err)
	}
	if _, ok := loadMapped(src); ok {
		t.Fatal("decoded a truncated mapping")
	}
	if _, err := LoadForCompare(context.Background(), file, LoadOptions{}); err == nil {
		t.Fatal("the truncated file loaded")
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
