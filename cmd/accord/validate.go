package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/internal/termsafe"
)

type validateOptions struct {
	files           []string
	format          string
	profile         string
	strict          bool
	allowRemoteRefs bool
	allowRefsIn     []string
}

func newValidateCmd(e *env) *cobra.Command {
	var o validateOptions
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check contracts: structure, $refs, x-accord policy, AsyncAPI semantics",
		Long: `validate loads each contract, resolves its $refs and checks it against its
specification and accord's rules: the x-accord policy (known keys, durations,
numbers), signing schemes named by policies, and for AsyncAPI that operations,
channels and messages refer to each other correctly.

Each FILE is a path, - for standard input, or REV:path for a file at a git
revision (e.g. origin/main:contracts/payments.yaml).

--profile catalog adds the data-model checks a local catalog synced from
several systems needs: every entity (what GET /things/{id} answers) has a
required unique id, created and updated date-time timestamps and a metadata
map; no money is a floating-point number (integer minor units instead).

Exit codes: 0 every contract is valid (warnings allowed unless --strict),
1 a contract has errors, 2 usage error, 3 a file could not be read or parsed.`,
		Example: `  accord validate examples/payments/openapi.yaml
  accord validate --format json contracts/*.yaml
  git show HEAD:api.yaml | accord validate -
  accord validate --profile catalog crm.yaml invoicing.yaml`,
		Args: minArgs(1, "contract file (try: accord validate openapi.yaml)"),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.files = args
			if o.format != "text" && o.format != "json" {
				return usageError("--format must be text or json, not %q", o.format)
			}
			if o.profile != "" && o.profile != "catalog" {
				return usageError("--profile must be catalog, not %q", o.profile)
			}
			return runValidate(cmd.Context(), e, o)
		},
	}
	cmd.Flags().StringVar(&o.format, "format", "text", "output format: text or json")
	cmd.Flags().StringVar(&o.profile, "profile", "", "extra checks: catalog (entity ids, timestamps, metadata, integer money)")
	cmd.Flags().BoolVar(&o.strict, "strict", false, "fail on warnings too")
	cmd.Flags().BoolVar(&o.allowRemoteRefs, "allow-remote-refs", false, "let $refs fetch http(s) documents")
	cmd.Flags().StringSliceVar(&o.allowRefsIn, "allow-refs-in", nil, "let $refs read files in `DIR` too, besides the contract's own directory tree (repeatable)")
	return cmd
}

// fileReport is one file's result; its JSON form is part of the CLI contract.
type fileReport struct {
	File       string              `json:"file"`
	Kind       contracts.Kind      `json:"kind,omitempty"`
	Version    string              `json:"version,omitempty"`
	Valid      bool                `json:"valid"`
	Operations int                 `json:"operations"`
	Problems   []contracts.Problem `json:"problems"`
	class      contracts.Class
}

func runValidate(ctx context.Context, e *env, o validateOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	reports := make([]fileReport, len(o.files))
	// Contracts load independently; a few at a time keeps a directory of
	// large files fast without holding them all in memory.
	sem := make(chan struct{}, max(1, runtime.GOMAXPROCS(0)))
	var wg sync.WaitGroup
	for i, f := range o.files {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			reports[i] = validateOne(ctx, e, f, o)
		}()
	}
	wg.Wait()

	code := exitOK
	for _, r := range reports {
		switch {
		case r.class != 0 && r.class != contracts.ClassInvalid:
			code = exitInput
		case !r.Valid && code == exitOK:
			code = exitFailed
		}
	}
	var err error
	if o.format == "json" {
		err = writeValidateJSON(e.stdout, reports, code == exitOK)
	} else {
		err = writeValidateText(e, reports)
	}
	if err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return silentExit(code)
}

func validateOne(ctx context.Context, e *env, file string, o validateOptions) fileReport {
	r := fileReport{File: file, Problems: []contracts.Problem{}}
	if file == "-" {
		r.File = "<stdin>"
	}
	doc, err := contracts.Load(ctx, file, contracts.LoadOptions{Stdin: e.stdin, Dir: e.dir, AllowRemoteRefs: o.allowRemoteRefs, AllowRefsIn: inDirs(e.dir, o.allowRefsIn)})
	if err != nil {
		var ce *contracts.Error
		if errors.As(err, &ce) {
			r.class, r.Problems = ce.Class, ce.Problems
		} else {
			r.class = contracts.ClassRead
			r.Problems = []contracts.Problem{{Pos: contracts.Position{File: file}, Severity: contracts.SeverityError, Code: "load-failed", Message: err.Error()}}
		}
		return r
	}
	r.File, r.Kind, r.Version = doc.Name, doc.Kind, doc.Version
	ops, _ := doc.Policies()
	r.Operations = len(ops)
	r.Problems = append(r.Problems, contracts.Validate(ctx, doc)...)
	if o.profile == "catalog" {
		r.Problems = append(r.Problems, contracts.CatalogProblems(doc)...)
	}
	r.Valid = !contracts.HasErrors(r.Problems)
	if o.strict && len(r.Problems) > 0 {
		r.Valid = false
	}
	return r
}

func writeValidateJSON(w io.Writer, reports []fileReport, valid bool) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Valid bool         `json:"valid"`
		Files []fileReport `json:"files"`
	}{valid, reports})
}

func writeValidateText(e *env, reports []fileReport) error {
	p := newPainter(e.color)
	for _, r := range reports {
		var errs, warns int
		for _, pr := range r.Problems {
			sev := p.yellow(string(pr.Severity))
			if pr.Severity == contracts.SeverityError {
				sev = p.red(string(pr.Severity))
				errs++
			} else {
				warns++
			}
			// One line per problem: a newline from the contract must not
			// start a line of its own (in a CI log, a "::error::" command).
			if _, err := fmt.Fprintf(e.stdout, "%s: %s: %s\n", termsafe.Line(pr.Pos.String()), sev, termsafe.Line(pr.Message)); err != nil {
				return err
			}
			if pr.Hint != "" {
				fmt.Fprintf(e.stdout, "    %s %s\n", p.dim("hint:"), termsafe.Line(pr.Hint))
			}
		}
		switch {
		case r.class == contracts.ClassInvalid:
			fmt.Fprintf(e.stdout, "%s: %s%s\n", r.File, p.red("invalid"), plural(errs, "error"))
		case r.class != 0:
			fmt.Fprintf(e.stdout, "%s: %s\n", r.File, p.red("could not be loaded"))
		case r.Valid:
			fmt.Fprintf(e.stdout, "%s: %s %s %s, %d operations%s\n", r.File, p.green("valid"), kindName(r.Kind), r.Version, r.Operations, plural(warns, "warning"))
		default:
			fmt.Fprintf(e.stdout, "%s: %s%s%s\n", r.File, p.red("invalid"), plural(errs, "error"), plural(warns, "warning"))
		}
	}
	return nil
}

func kindName(k contracts.Kind) string {
	if k == contracts.KindAsyncAPI {
		return "AsyncAPI"
	}
	return "OpenAPI"
}

func plural(n int, word string) string {
	switch n {
	case 0:
		return ""
	case 1:
		return ", 1 " + word
	}
	return fmt.Sprintf(", %d %ss", n, word)
}
