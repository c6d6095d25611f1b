package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/pact"
)

// maxPactBytes bounds a pact file, as contracts bound theirs.
const maxPactBytes = 64 << 20

type pactCheckOptions struct {
	pact, contract string
	format         string
}

func newPactCmd(e *env) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pact",
		Short: "Check consumer pacts against the provider's OpenAPI contract",
		Long: `pact works with Pact consumer contracts (pact files, specification v2, v3
and v4) without a broker and without running the provider.

  accord pact check PACT.json CONTRACT   every interaction of the pact is valid
                                         against the provider's OpenAPI contract`,
		Args: cobra.ArbitraryArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return usageError("unknown pact command %q (try: accord pact check PACT.json CONTRACT)", args[0])
			}
			return cmd.Help()
		},
	}
	cmd.AddCommand(newPactCheckCmd(e))
	return cmd
}

func newPactCheckCmd(e *env) *cobra.Command {
	var o pactCheckOptions
	cmd := &cobra.Command{
		Use:   "check PACT.json CONTRACT",
		Short: "Check that every interaction of a consumer pact is valid against an OpenAPI contract",
		Long: `check is bi-directional contract testing on your machine: the consumer's pact
says what it sends and what it expects back, the provider's OpenAPI contract
says what it accepts and what it may answer, and check finds where they
disagree, before either side deploys.

For every HTTP interaction of the pact:

  the request     must match an operation: its path (with or without the
                  base path of the contract's servers) and method, its path,
                  query and header parameters (required ones present, values
                  valid), and its body (declared media type, valid against
                  the schema in full). Undeclared query parameters and
                  missing credentials are warnings.
  the response    must be declared for its status (exact, 2XX range or
                  default); its headers declared and valid; its body valid
                  against the schema as a part of it: the consumer may leave
                  out fields it does not use, but every field it expects must
                  be declared, or the provider may drop it any day.

Message interactions (v3 messages, v4 asynchronous or synchronous messages)
are listed as notes and not checked. Matching rules are not needed: the
example values in the pact are what is checked.

PACT.json is a path or - for stdin; CONTRACT a path, - or REV:path.

Exit codes: 0 every interaction is valid, 1 a violation was found (warnings
alone pass), 2 usage error, 3 the pact or the contract could not be read.`,
		Example: `  accord pact check pacts/shop-payments.json examples/payments/openapi.yaml
  accord pact check pacts/shop-payments.json main:api/openapi.yaml --format json`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 2 {
				return usageError("pact check takes a pact file and a contract, got %d arguments (try: accord pact check PACT.json openapi.yaml)", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			o.pact, o.contract = args[0], args[1]
			ctx := cmd.Context()
			if ctx == nil {
				ctx = context.Background()
			}
			return runPactCheck(ctx, e, o)
		},
	}
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: "+strings.Join(pact.Formats(), ", "))
	return cmd
}

func runPactCheck(ctx context.Context, e *env, o pactCheckOptions) error {
	if !slices.Contains(pact.Formats(), o.format) {
		return usageError("--format must be one of %s, not %q", strings.Join(pact.Formats(), ", "), o.format)
	}
	if o.pact == "-" && o.contract == "-" {
		return usageError("the pact and the contract cannot both be read from stdin")
	}
	data, err := readPact(e, o.pact)
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	p, err := pact.Parse(data)
	if err != nil {
		return &exitError{code: exitInput, err: fmt.Errorf("%s: %w", o.pact, err)}
	}
	docs, err := loadServedContracts(ctx, e, []string{o.contract})
	if err != nil {
		return err
	}
	name := o.pact
	if name == "-" {
		name = "<stdin>"
	}
	rep, err := pact.Check(p, name, docs[0])
	if err != nil {
		return usageError("%v", err)
	}
	if err := pact.Write(e.stdout, o.format, rep); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if rep.Failed() {
		return silentExit(exitFailed)
	}
	return nil
}

func readPact(e *env, arg string) ([]byte, error) {
	var r io.Reader
	if arg == "-" {
		r = e.stdin
	} else {
		path := arg
		if !filepath.IsAbs(path) && e.dir != "" {
			path = filepath.Join(e.dir, path)
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("reading the pact: %w", err)
		}
		defer f.Close()
		r = f
	}
	data, err := io.ReadAll(io.LimitReader(r, maxPactBytes+1))
	if err != nil {
		return nil, fmt.Errorf("reading the pact %s: %w", arg, err)
	}
	if len(data) > maxPactBytes {
		return nil, fmt.Errorf("the pact %s is over %d MiB", arg, maxPactBytes>>20)
	}
	return data, nil
}
