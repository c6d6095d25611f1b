package compat

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/accord-dev/accord/contracts"
)

// The shared corpus holds real contract histories (Stripe, GitHub). It lives
// outside the repository; locally its absence skips these tests, in CI it
// is an error.
const corpusDir = "../../shared/corpus"

func corpus(t testing.TB) string {
	t.Helper()
	if _, err := os.Stat(corpusDir); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("the real-contract corpus is missing at %s (CI=true): %v", corpusDir, err)
		}
		t.Skipf("the real-contract corpus is not at %s; skipping the real-pair tests", corpusDir)
	}
	return corpusDir
}

// loadPair loads both sides concurrently through the CLI's read path
// (TestLeanLoadSameFindings holds it to the full loader's findings).
func loadPair(t testing.TB, base, head string) (*contracts.Document, *contracts.Document) {
	t.Helper()
	dir := corpus(t)
	var docs [2]*contracts.Document
	var errs [2]error
	var wg sync.WaitGroup
	for i, name := range []string{base, head} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			docs[i], errs[i] = contracts.LoadForCompare(context.Background(), filepath.Join(dir, name), contracts.LoadOptions{})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("loading %s: %v", []string{base, head}[i], err)
		}
	}
	return docs[0], docs[1]
}

// knownEdit is a real breaking change found by reading the two versions.
type knownEdit struct{ rule, subject, contains string }

func TestCorpusPairs(t *testing.T) {
	if testing.Short() {
		t.Skip("loading multi-megabyte contracts; skipped with -short")
	}
	pairs := []struct {
		base, head string
		max        int
		known      []knownEdit
		// absent are changes that must not be reported: they break nobody.
		absent []knownEdit
	}{
		{
			base: "stripe/stripe-spec3-2023-04-27.yaml", head: "stripe/stripe-spec3-2023-09-12.yaml", max: 150,
			known: []knownEdit{
				// Blik left the mandate payment method details.
				{"response-property-removed", "components.schemas.mandate_payment_method_details.properties.blik", ""},
				// PayPal and Zip became payment method types.
				{"response-enum-widened", "components.schemas.payment_method.properties.type.enum", `"paypal"`},
				// The invoiceitem.updated event can no longer be subscribed to.
				{"request-enum-narrowed", "POST /v1/webhook_endpoints requestBody.content.application/x-www-form-urlencoded.schema.properties.enabled_events.items.enum", "invoiceitem.updated"},
			},
		},
		{
			base: "stripe/stripe-spec3-2023-09-12.yaml", head: "stripe/stripe-spec3-2026-08-26.json", max: 600,
			known: []knownEdit{
				{"path-removed", "/v1/invoices/upcoming", ""},
				{"response-property-removed", "components.schemas.charge.properties.invoice", ""},
				// Stripe rejects unknown form parameters: removing `coupon` breaks senders.
				{"request-property-removed", "POST /v1/customers requestBody.content.application/x-www-form-urlencoded.schema.properties.coupon", ""},
			},
		},
		{
			base: "github/api.github.com-octokit-17.0.0.json", head: "github/api.github.com-octokit-23.0.2.json", max: 600,
			known: []knownEdit{
				{"path-removed", "/projects/{project_id}", ""},
				{"response-property-removed", "components.schemas.integration.properties.client_secret", ""},
			},
			absent: []knownEdit{
				// A query parameter went from integer to string: every old
				// request is still text the server accepts.
				{"type-changed", "components.parameters.repository-name-in-query.schema.type", ""},
			},
		},
	}
	for _, p := range pairs {
		t.Run(p.base+"->"+filepath.Base(p.head), func(t *testing.T) {
			base, head := loadPair(t, p.base, p.head)
			res, err := Compare(base, head, Options{})
			if err != nil {
				t.Fatalf("Compare: %v", err)
			}
			if n := len(res.Findings); n == 0 || n > p.max {
				t.Errorf("%d findings, want between 1 and %d: one per root cause", n, p.max)
			}
			seen := map[string]bool{}
			for _, f := range res.Findings {
				key := f.Rule + "\x00" + f.Subject + "\x00" + f.Before + "\x00" + f.After
				if seen[key] {
					t.Errorf("duplicate finding %s %s", f.Rule, f.Subject)
				}
				seen[key] = true
				if len(f.Affected) == 0 || f.Pos.Line == 0 {
					t.Errorf("%s %s: no affected operation or no position", f.Rule, f.Subject)
				}
			}
			for _, k := range p.known {
				if !hasFinding(res, k) {
					t.Errorf("missed the known edit %s at %s", k.rule, k.subject)
				}
			}
			for _, k := range p.absent {
				if hasFinding(res, k) {
					t.Errorf("false alarm %s at %s", k.rule, k.subject)
				}
			}
			self, err := Compare(head, head, Options{Profile: ProfileSDK})
			if err != nil {
				t.Fatal(err)
			}
			if len(self.Findings) != 0 {
				t.Errorf("head compared with itself: %d findings, first %+v", len(self.Findings), self.Findings[0])
			}
		})
	}
}

func hasFinding(res *Result, k knownEdit) bool {
	for _, f := range res.Findings {
		if f.Rule == k.rule && f.Subject == k.subject && strings.Contains(f.Before+" "+f.After, k.contains) {
			return true
		}
	}
	return false
}

// BenchmarkCompareStripe times Compare alone on the largest real pair, both
// sides loaded once. The first iteration also builds the two position
// indexes (they are cached in the Documents afterwards).
//
//	go test ./compat -run '^$' -bench CompareStripe -benchmem
func BenchmarkCompareStripe(b *testing.B) {
	base, head := loadPair(b, "stripe/stripe-spec3-2023-09-12.yaml", "stripe/stripe-spec3-2026-08-26.json")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Compare(base, head, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

// TestCorpusSelfCompare compares every loadable real contract with a second
// load of itself (full loader against LoadForCompare): any finding is a false positive (map-order dependence,
// ambiguous matching), whatever the document's oddities.
func TestCorpusSelfCompare(t *testing.T) {
	if testing.Short() {
		t.Skip("loading every real contract; skipped with -short")
	}
	dir := corpus(t)
	var files []string
	for _, pattern := range []string{"*/*.json", "*/*.yaml", "asyncapi/*/*.yml", "asyncapi/*/*/*.yml"} {
		m, _ := filepath.Glob(filepath.Join(dir, pattern))
		files = append(files, m...)
	}
	for _, f := range files {
		if st, err := os.Stat(f); err != nil || st.Size() > 6<<20 {
			continue // the big histories are covered by TestCorpusPairs
		}
		rel, _ := filepath.Rel(dir, f)
		t.Run(rel, func(t *testing.T) {
			a, err := contracts.Load(context.Background(), f, contracts.LoadOptions{})
			if err != nil {
				t.Skipf("does not load (the loader's concern): %v", err)
			}
			// The second side goes through compat's lean read path: a
			// finding is then also a difference between the two loaders.
			b, err := contracts.LoadForCompare(context.Background(), f, contracts.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			res, err := Compare(a, b, Options{Profile: ProfileSDK})
			if err != nil {
				t.Fatal(err)
			}
			for i, x := range res.Findings {
				if i < 3 {
					t.Errorf("false positive: %s %s [%s -> %s]", x.Rule, x.Subject, x.Before, x.After)
				}
			}
		})
	}
}
