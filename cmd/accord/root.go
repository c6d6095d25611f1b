package main

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/generator"
	"github.com/accord-dev/accord/internal/termsafe"
)

// env is what every command needs from the outside world; tests pass buffers.
type env struct {
	stdin          io.Reader
	stdout, stderr io.Writer
	// dir is the working directory ("" = the process's).
	dir string
	// color says whether stdout is a terminal that wants colour.
	color bool
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Everything printed may quote a contract; control characters in it are
	// escaped here, once, for every command and format (JSON and XML escape
	// them already, so they pass unchanged).
	out, errOut := termsafe.NewWriter(stdout), termsafe.NewWriter(stderr)
	defer out.Flush()
	defer errOut.Flush()
	return (&env{stdin: stdin, stdout: out, stderr: errOut, color: wantsColor(stdout)}).run(args)
}

// run executes one command line and reports its error, the single place
// errors become text on stderr and an exit code.
func (e *env) run(args []string) int {
	root := newRoot(e)
	root.SetArgs(args)
	err := root.Execute()
	if err != nil {
		var ee *exitError
		if !errors.As(err, &ee) || ee.err != nil {
			fmt.Fprintln(e.stderr, "accord:", err)
			if exitCode(err) == exitUsage {
				fmt.Fprintln(e.stderr, helpHint(root, args))
			}
		}
	}
	return exitCode(err)
}

func newRoot(e *env) *cobra.Command {
	root := &cobra.Command{
		Use:   "accord",
		Short: "Contract-first Go clients and servers, and a CI gate for breaking changes",
		Long: `accord makes the API contract (OpenAPI 3.0/3.1, AsyncAPI 2.6/3.0) the single
source of truth for partner integrations:

  accord validate  checks contracts, including the x-accord resilience policy
  accord gen       writes Go clients and servers with idempotency keys, timeouts
                   within a budget, safe retries, circuit breaking, concurrency
                   limits, signed requests and webhooks, trace ids and RFC 9457 errors
  accord compat    compares two versions of a contract and fails on breaking changes
  accord changelog writes a partner-facing change log between two versions
  accord mock      serves a sandbox of a contract, with faults on demand
  accord verify    checks that a live provider honours its contract
  accord pact      checks consumer pacts against a provider's OpenAPI contract
  accord preflight checks the launch list: idempotency, retries, security,
                   contracts in CI, observability and rollback

Exit codes: 0 ok, 1 the check failed, 2 usage error, 3 an input could not be read.`,
		Version:       generator.Version,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) > 0 {
				return unknownCommand(cmd, args[0])
			}
			return cmd.Help()
		},
		Args: cobra.ArbitraryArgs,
	}
	root.SetIn(e.stdin)
	root.SetOut(e.stdout)
	root.SetErr(e.stderr)
	root.SetFlagErrorFunc(flagError)
	root.AddCommand(newValidateCmd(e), newCompatCmd(e), newGenCmd(e), newChangelogCmd(e), newPreflightCmd(e))
	root.AddCommand(newMockCmd(e), newVerifyCmd(e))
	root.AddCommand(newPactCmd(e))
	registerCompletions(root)
	return root
}

// exactArgs, minArgs wrap cobra's validators so that a wrong argument count is
// a usage error (exit 2), like a wrong flag.
func minArgs(n int, what string) cobra.PositionalArgs {
	return func(_ *cobra.Command, args []string) error {
		if len(args) < n {
			return usageError("missing %s", what)
		}
		return nil
	}
}

func wantsColor(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
