package compat

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/accord-dev/accord/contracts"
)

// FuzzCompare feeds arbitrary pairs of small documents to Compare: whatever
// loads must compare without panicking, in bounded time, under both
// profiles and in both orders. Seeds are the case folders' pairs.
//
//	go test ./compat -run '^$' -fuzz FuzzCompare -fuzztime 30s
func FuzzCompare(f *testing.F) {
	dirs, _ := filepath.Glob(filepath.Join(casesDir, "*"))
	for _, dir := range dirs {
		base := readFirst(dir, "base")
		head := readFirst(dir, "head")
		if base != nil && head != nil {
			f.Add(base, head)
		}
	}
	f.Fuzz(func(t *testing.T, base, head []byte) {
		if len(base) > 64<<10 || len(head) > 64<<10 {
			return // small documents: the point is odd shapes, not size
		}
		// A hang is a failure too: panic from a timer so the fuzzer keeps
		// the input (it records inputs whose worker dies).
		watchdog := time.AfterFunc(20*time.Second, func() { panic("FuzzCompare: an input took more than 20s") })
		defer watchdog.Stop()
		ctx := context.Background()
		b, err := contracts.LoadBytes(ctx, "base.yaml", base, contracts.LoadOptions{})
		if err != nil {
			return
		}
		h, err := contracts.LoadBytes(ctx, "head.yaml", head, contracts.LoadOptions{})
		if err != nil {
			return
		}
		for _, pair := range [][2]*contracts.Document{{b, h}, {h, b}, {b, b}} {
			for _, p := range []Profile{ProfileWire, ProfileSDK} {
				start := time.Now()
				res, err := Compare(pair[0], pair[1], Options{Profile: p})
				if err != nil {
					if pair[0].Kind == pair[1].Kind {
						t.Fatalf("Compare failed on documents of the same kind: %v", err)
					}
					continue
				}
				if d := time.Since(start); d > 5*time.Second {
					t.Fatalf("Compare took %v on small documents", d)
				}
				if pair[0] == pair[1] && len(res.Findings) > 0 {
					t.Fatalf("a document compared with itself has findings: %+v", res.Findings[0])
				}
			}
		}
	})
}

func readFirst(dir, side string) []byte {
	for _, ext := range []string{".yaml", ".json"} {
		if data, err := os.ReadFile(filepath.Join(dir, side+ext)); err == nil {
			return data
		}
	}
	return nil
}
