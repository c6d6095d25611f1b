//go:build pact

package pact

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/generator"
	"github.com/accord-dev/accord/mock"
	rt "github.com/accord-dev/accord/templates/runtime"
)

// The round trip of `accord gen --generate client,pact`: the generated
// consumer test drives the generated client through every client operation
// of a contract and writes a pact; Check finds nothing in it against the
// contract; and pact-go replays it against a provider (accord mock of the
// same contract standing in), signed operations re-signed with the
// provider's key, the provider states taken from the pact. Payments has
// bearer auth, signatures, idempotency keys and no examples at all (every
// value synthesised); the shop fixture has examples, query and header
// parameters, API key and basic credentials, a response header, a 204 and
// operations the pact test skips.
func TestPactRoundTrip(t *testing.T) {
	t.Setenv("PACT_DO_NOT_TRACK", "true")
	mod := t.TempDir()
	writeModule(t, mod)
	for _, c := range []struct {
		contract, pkg, provider string
		interactions            int
	}{
		{payments, "paymentsapi", "payments", 4},
		{"../generator/testdata/pact/shop.yaml", "shopapi", "shop-catalog", 5},
	} {
		t.Run(c.pkg, func(t *testing.T) {
			file := consumerPact(t, mod, c.contract, c.pkg, c.provider)
			data, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("no pact written: %v", err)
			}
			p, err := Parse(data)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Interactions) != c.interactions {
				t.Errorf("%d interactions, want one per client operation the test covers (%d)", len(p.Interactions), c.interactions)
			}
			doc := load(t, c.contract)
			rep, err := Check(p, file, doc)
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Findings) > 0 {
				t.Errorf("check found:\n%s", text(rep))
			}
			key := []byte("provider-signing-key-0123456789")
			schemes, _ := doc.SignatureSchemes()
			secrets := map[string][]byte{}
			var signers []rt.Signer
			for name, sc := range schemes {
				secrets[name] = key
				signers = append(signers, rt.Signer{Secrets: rt.StaticSecrets{key}, Scheme: rt.SignatureScheme{Name: sc.Name, Format: rt.SignatureFormat(sc.Format),
					SignatureHeader: sc.SignatureHeader, TimestampHeader: sc.TimestampHeader, NonceHeader: sc.NonceHeader, Tolerance: sc.Tolerance}})
			}
			m, err := mock.New([]*contracts.Document{doc}, mock.Options{Secrets: secrets})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(m.Close)
			states := map[string]func(bool, map[string]any) error{}
			for _, in := range p.Interactions {
				for _, s := range in.States {
					states[s] = func(bool, map[string]any) error { return nil } // the mock answers every id
				}
			}
			if err := VerifyProvider(t, m, ProviderOptions{Provider: c.provider, PactFiles: []string{file}, Contract: doc, States: states,
				Filter: resign(t, signers)}); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// consumerPact generates contract's client and pact test into mod/pkg,
// runs the test and returns the pact it wrote.
func consumerPact(t *testing.T, mod, contract, pkg, provider string) string {
	t.Helper()
	parts, err := generator.ParseParts([]string{"client", "pact"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := generator.Generate(load(t, contract), generator.Options{Package: pkg, Runtime: "accordtest/accordrt", Parts: parts})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := generator.Write(filepath.Join(mod, pkg), res.Files); err != nil {
		t.Fatal(err)
	}
	runtime, err := generator.RuntimePackage()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := generator.Write(filepath.Join(mod, "accordrt"), runtime); err != nil {
		t.Fatal(err)
	}
	pacts := t.TempDir()
	cmd := exec.Command("go", "test", "-tags", "pact", "-count=1", "-run", "TestAccordPact", "./"+pkg)
	cmd.Dir = mod
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOSUMDB=off", "GOWORK=off", "CGO_ENABLED=1",
		"ACCORD_PACT_DIR="+pacts, "ACCORD_PACT_CONSUMER=shop", "ACCORD_PACT_PROVIDER="+provider)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("the generated consumer test: %v\n%s", err, out)
	}
	return filepath.Join(pacts, "shop-"+provider+".json")
}

// resign signs every replayed request afresh: a pact holds no signature a
// provider could accept twice, so the provider's test signs what pact-go
// sends with the key the provider verifies.
func resign(t *testing.T, signers []rt.Signer) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, err := io.ReadAll(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			r.Body = io.NopCloser(bytes.NewReader(body))
			for _, s := range signers {
				if err := s.Sign(r.Context(), r, body); err != nil {
					t.Errorf("signing %s %s: %v", r.Method, r.URL, err)
				}
			}
			next.ServeHTTP(w, r)
		})
	}
}

// writeModule makes dir a module for generated code and its pact test,
// requiring accord (replaced by this checkout) so that the module graph and
// go.sum are accord's own.
func writeModule(t *testing.T, dir string) {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	mod := "module accordtest\n\ngo 1.24\n\nrequire (\n\tgithub.com/accord-dev/accord v0.0.0\n" +
		"\tgithub.com/pact-foundation/pact-go/v2 v2.4.2\n\tgithub.com/oapi-codegen/runtime v1.8.0\n)\n\n" +
		"replace github.com/accord-dev/accord => " + root + "\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(root, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
}
