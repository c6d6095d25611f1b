package compat

import (
	"context"
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/accord-dev/accord/contracts"
)

// corpusPairs are the real evolutions the benchmarks and the lean read path
// are measured on.
var corpusPairs = [][2]string{
	{"stripe/stripe-spec3-2023-04-27.yaml", "stripe/stripe-spec3-2023-09-12.yaml"},
	{"stripe/stripe-spec3-2023-09-12.yaml", "stripe/stripe-spec3-2026-08-26.json"},
	{"github/api.github.com-octokit-17.0.0.json", "github/api.github.com-octokit-23.0.2.json"},
}

// TestLeanLoadSameFindings proves the lean read path (LoadForCompare) gives
// the comparison exactly what the full loader gives it: the same findings,
// positions and fingerprints included, with and without the change log's
// additions.
func TestLeanLoadSameFindings(t *testing.T) {
	if testing.Short() {
		t.Skip("loading multi-megabyte contracts; skipped with -short")
	}
	dir := corpus(t)
	ctx := context.Background()
	for _, p := range corpusPairs {
		t.Run(p[0]+"->"+filepath.Base(p[1]), func(t *testing.T) {
			load := func(f func(context.Context, string, contracts.LoadOptions) (*contracts.Document, error), name string) *contracts.Document {
				d, err := f(ctx, filepath.Join(dir, name), contracts.LoadOptions{})
				if err != nil {
					t.Fatalf("loading %s: %v", name, err)
				}
				return d
			}
			fb, fh := load(contracts.Load, p[0]), load(contracts.Load, p[1])
			lb, lh := load(contracts.LoadForCompare, p[0]), load(contracts.LoadForCompare, p[1])
			for _, opts := range []Options{{}, {Changes: true, Profile: ProfileSDK}} {
				want := findingsJSON(t, fb, fh, opts)
				got := findingsJSON(t, lb, lh, opts)
				if len(want) != len(got) {
					t.Errorf("%+v: %d findings through the lean path, %d through the full loader", opts, len(got), len(want))
				}
				for i := range min(len(want), len(got)) {
					if want[i] != got[i] {
						t.Errorf("%+v: finding %d differs:\nfull: %s\nlean: %s", opts, i, want[i], got[i])
						break
					}
				}
			}
		})
	}
}

func findingsJSON(t *testing.T, b, h *contracts.Document, opts Options) []string {
	t.Helper()
	res, err := Compare(b, h, opts)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]string, len(res.Findings))
	for i, f := range res.Findings {
		j, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(j)
	}
	return out
}

// BenchmarkLoadForCompare is the read path compat's CLI uses, on the
// largest real contract (profile with -cpuprofile / -memprofile).
//
//	go test ./compat -run '^$' -bench 'Load(ForCompare|Full)' -benchmem
func BenchmarkLoadForCompare(b *testing.B) {
	benchLoad(b, contracts.LoadForCompare)
}

// BenchmarkLoadFull is the same with the general loader, for the ratio.
func BenchmarkLoadFull(b *testing.B) {
	benchLoad(b, contracts.Load)
}

func benchLoad(b *testing.B, f func(context.Context, string, contracts.LoadOptions) (*contracts.Document, error)) {
	name := filepath.Join(corpus(b), "github/api.github.com-octokit-23.0.2.json")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := f(context.Background(), name, contracts.LoadOptions{}); err != nil {
			b.Fatal(err)
		}
	}
}
