package contracts

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"testing"
)

func liveHeap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMemBreakdown (ACCORD_MEM=1) prints what one LoadForCompare keeps.
func TestMemBreakdown(t *testing.T) {
	if os.Getenv("ACCORD_MEM") == "" {
		t.Skip("ACCORD_MEM not set")
	}
	requireCorpus(t)
	for _, name := range []string{
		"stripe/stripe-spec3-2023-04-27.yaml",
		"stripe/stripe-spec3-2026-08-26.json",
		"github/api.github.com-octokit-23.0.2.json",
	} {
		before := liveHeap()
		var ms runtime.MemStats
		doc, err := LoadForCompare(context.Background(), filepath.Join(corpusDir, name), LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		runtime.ReadMemStats(&ms)
		after := liveHeap()
		l := doc.root
		t.Logf("%s: live %.1f MB (data %.1f, text %.1f, marks %.1f, tables %d); total alloc so far %.0f MB",
			name, float64(after-before)/1e6, float64(len(l.data))/1e6, float64(len(l.text))/1e6,
			float64(len(l.marks)*12)/1e6, len(l.tables), float64(ms.TotalAlloc)/1e6)
		runtime.KeepAlive(doc)
	}
}

// TestMemProfile (ACCORD_MEMPROF=file, ACCORD_MEMDOC=corpus path) writes a
// heap profile while one document is live.
func TestMemProfile(t *testing.T) {
	out := os.Getenv("ACCORD_MEMPROF")
	if out == "" {
		t.Skip("ACCORD_MEMPROF not set")
	}
	runtime.MemProfileRate = 4096
	doc, err := LoadForCompare(context.Background(), filepath.Join(corpusDir, os.Getenv("ACCORD_MEMDOC")), LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := pprof.WriteHeapProfile(f); err != nil {
		t.Fatal(err)
	}
	runtime.KeepAlive(doc)
}
