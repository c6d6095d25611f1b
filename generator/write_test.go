package generator

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// A part dropped from the configuration leaves files of ours behind; Write
// removes them, the pact part's _test.go file included, and never a file
// accord did not write.
func TestWriteRemovesWhatIsNoLongerGenerated(t *testing.T) {
	dir := t.TempDir()
	ours := []byte(Header() + "\n\n//go:build pact\n\npackage api\n")
	files := []File{
		{Name: "accord_client.gen.go", Content: []byte(Header() + "\n\npackage api\n")},
		{Name: "accord_pact.gen_test.go", Content: ours},
	}
	if _, err := Write(dir, files); err != nil {
		t.Fatal(err)
	}
	mine := filepath.Join(dir, "handwritten.gen_test.go")
	if err := os.WriteFile(mine, []byte("package api\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	d, err := Write(dir, files[:1])
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Extra, []string{"accord_pact.gen_test.go"}) {
		t.Fatalf("extra %v, want the pact test", d.Extra)
	}
	if _, err := os.Stat(filepath.Join(dir, "accord_pact.gen_test.go")); !os.IsNotExist(err) {
		t.Fatalf("the pact test is still there: %v", err)
	}
	if _, err := os.Stat(mine); err != nil {
		t.Fatalf("a file accord did not write was touched: %v", err)
	}
}
