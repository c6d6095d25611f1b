//go:build pact

package pact

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/pact-foundation/pact-go/v2/models"
	"github.com/pact-foundation/pact-go/v2/provider"

	"github.com/accord-dev/accord/contracts"
)

// ProviderOptions configure VerifyProvider.
type ProviderOptions struct {
	// Provider is the provider's name in the pacts.
	Provider string
	// PactFiles are the consumer pacts to verify.
	PactFiles []string
	// States set up (setup true) and tear down the provider states the
	// interactions name; a state without a handler fails its interaction.
	States map[string]func(setup bool, params map[string]any) error
	// Filter wraps the handler for the replayed requests only, e.g. to sign
	// them for signed operations or to add credentials a pact leaves out.
	Filter func(http.Handler) http.Handler
	// Contract, when set, also checks every pact against it with Check
	// first: a pact the contract does not allow fails before pact-go runs.
	Contract *contracts.Document
}

// VerifyProvider serves handler (typically the generated server with its
// test dependencies) on a loopback port and replays the consumers' pacts
// against it with pact-go, failing t on a mismatch. It needs CGO and
// libpact_ffi 0.4.28 in /usr/local/lib; build tests with -tags pact.
func VerifyProvider(t *testing.T, handler http.Handler, o ProviderOptions) error {
	t.Helper()
	if len(o.PactFiles) == 0 {
		return fmt.Errorf("no pact files to verify")
	}
	if o.Contract != nil {
		for _, f := range o.PactFiles {
			if err := checkFile(f, o.Contract); err != nil {
				return err
			}
		}
	}
	if os.Getenv("PACT_DO_NOT_TRACK") == "" {
		t.Setenv("PACT_DO_NOT_TRACK", "true") // no usage reports from tests
	}
	if o.Filter != nil {
		handler = o.Filter(handler)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("listening for the provider: %w", err)
	}
	srv := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(ctx)
		<-done
	}()
	states := models.StateHandlers{}
	for name, fn := range o.States {
		states[name] = func(setup bool, s models.ProviderState) (models.ProviderStateResponse, error) {
			return nil, fn(setup, s.Parameters)
		}
	}
	err = provider.NewVerifier().VerifyProvider(t, provider.VerifyRequest{
		Provider:        o.Provider,
		ProviderBaseURL: "http://" + ln.Addr().String(),
		PactFiles:       o.PactFiles,
		StateHandlers:   states,
	})
	if err != nil {
		return fmt.Errorf("pact verification of %s: %w", o.Provider, err)
	}
	return nil
}

// checkFile runs Check on one pact file and turns its errors into one.
func checkFile(file string, doc *contracts.Document) error {
	data, err := os.ReadFile(file)
	if err != nil {
		return fmt.Errorf("reading the pact: %w", err)
	}
	p, err := Parse(data)
	if err != nil {
		return fmt.Errorf("%s: %w", file, err)
	}
	rep, err := Check(p, file, doc)
	if err != nil {
		return err
	}
	if rep.Failed() {
		msg := ""
		for _, f := range rep.Findings {
			if f.Severity == SeverityError {
				msg += fmt.Sprintf("\n  interaction %d %q: %s: %s", f.Index, f.Interaction, f.Kind, f.Message)
			}
		}
		return fmt.Errorf("%s violates %s:%s", file, doc.Name, msg)
	}
	return nil
}
