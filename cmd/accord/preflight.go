package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/config"
	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/generator"
	"github.com/accord-dev/accord/preflight"
)

type preflightOptions struct {
	contracts       []string
	config          string
	base            string
	format          string
	warn            bool
	allowRemoteRefs bool
	allowRefsIn     []string
}

const preflightLong = `preflight prints the launch table of the integrations in accord.yaml (or of
the contracts named): one block per area, each check yes or no with why and
where (file:line).

  Idempotency      creating and money-moving operations keyed (or off with an
                   x-accord-reason); a shared idempotency store for replicas
  Retries          timeout below budget; budget within the slo; at most 2
                   retries; jitter; a retry budget across calls
  Security         webhooks and signed operations with a freshness window of at
                   most 10m; no literal secrets; production servers on https;
                   authentication on every non-public operation
  Contracts        tracked in git; accord compat in CI; generated code up to
                   date; no breaking change against --base
  Observability    trace ids; hooks or OpenTelemetry wired; a health endpoint
  Rollback         kill switches; a sandbox server

A check that cannot be made says no, and why.

Formats: text (colour on a terminal), markdown (a PR comment), json.

Exit codes: 0 every check says yes (or --warn), 1 some check says no,
2 usage error, 3 a contract or the config could not be read.`

func newPreflightCmd(e *env) *cobra.Command {
	var o preflightOptions
	cmd := &cobra.Command{
		Use:   "preflight [CONTRACT... | --config accord.yaml]",
		Short: "Check the launch list: idempotency, retries, security, contracts, observability, rollback",
		Long:  preflightLong,
		Example: `  accord preflight                           # the integrations of ./accord.yaml
  accord preflight --config examples/accord.yaml --base origin/main
  accord preflight --format markdown --warn > preflight.md
  accord preflight api/payments.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch o.format {
			case "text", "markdown", "json":
			default:
				return usageError("--format must be text, markdown or json, not %q", o.format)
			}
			if len(args) > 0 && cmd.Flags().Changed("config") {
				return usageError("name contracts or --config, not both")
			}
			if cmd.Flags().Changed("base") && strings.TrimSpace(o.base) == "" {
				return usageError("--base needs a git revision, e.g. --base origin/main")
			}
			for _, a := range args {
				if a == "-" {
					return usageError("preflight checks files in a repository; standard input (-) is none")
				}
			}
			o.contracts = args
			return runPreflight(cmd.Context(), e, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.config, "config", "", "config file (default ./"+config.DefaultFile+")")
	f.StringVar(&o.base, "base", "", "git revision to check for breaking changes against (e.g. origin/main)")
	f.StringVar(&o.format, "format", "text", "output format: text, markdown or json")
	f.BoolVar(&o.warn, "warn", false, "report, but exit 0 even when a check says no")
	f.BoolVar(&o.allowRemoteRefs, "allow-remote-refs", false, "let $refs fetch http(s) documents")
	f.StringSliceVar(&o.allowRefsIn, "allow-refs-in", nil, "let $refs read files in `DIR` too, besides the contract's own directory tree (repeatable)")
	return cmd
}

func runPreflight(ctx context.Context, e *env, o preflightOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	wd := e.dir
	if wd == "" {
		var err error
		if wd, err = os.Getwd(); err != nil {
			return &exitError{code: exitInput, err: fmt.Errorf("finding the working directory: %w", err)}
		}
	}
	wd, _ = filepath.Abs(wd)
	in := preflight.Input{BaseRev: o.base}
	type source struct {
		name, path string
		integ      *config.Integration
	}
	var sources []source
	if len(o.contracts) > 0 {
		for _, c := range o.contracts {
			sources = append(sources, source{name: c, path: inDir(wd, c)})
		}
	} else {
		path := o.config
		if path == "" {
			path = config.DefaultFile
		}
		cfg, err := config.Load(inDir(wd, path))
		if err != nil {
			var ce *contracts.Error
			if o.config == "" && errors.As(err, &ce) && errors.Is(ce.Err, fs.ErrNotExist) {
				return usageError("no %s here: name contracts, or a config with --config", config.DefaultFile)
			}
			return reportProblems(e, err)
		}
		in.Config = cfg
		if in.ConfigText, err = os.ReadFile(inDir(wd, path)); err != nil {
			return &exitError{code: exitInput, err: err}
		}
		for _, integ := range cfg.Enabled() {
			integ := integ
			integ.Output = relTo(wd, integ.Output)
			sources = append(sources, source{name: integ.Name, path: integ.Contract, integ: &integ})
		}
	}

	root, tracked := gitRepo(ctx, wd)
	in.Repo.Tracked = tracked
	fsRoot := root
	if fsRoot == "" {
		fsRoot = wd
	}
	in.Repo.FS = os.DirFS(fsRoot)

	failed := false
	for _, src := range sources {
		rel := relTo(wd, src.path)
		doc, err := contracts.Load(ctx, rel, contracts.LoadOptions{Dir: wd, AllowRemoteRefs: o.allowRemoteRefs, AllowRefsIn: inDirs(wd, o.allowRefsIn)})
		if err != nil {
			reportLoadError(e, "preflight", src.path, err)
			failed = true
			continue
		}
		t := preflight.Target{Name: src.name, Doc: doc, Integration: src.integ}
		if src.integ != nil && in.Config != nil {
			out := inDir(wd, src.integ.Output)
			shared := in.Config.Runtime
			if imp, _, err := generator.RuntimeImportPath(generator.RuntimeDir(out, shared), out, src.integ.Package); err == nil {
				t.RuntimeImport = imp
			}
		}
		if abs, err := filepath.Abs(inDir(wd, src.path)); err == nil {
			if r, err := filepath.Rel(fsRoot, abs); err == nil && !strings.HasPrefix(r, "..") {
				t.File = filepath.ToSlash(r)
			}
		}
		if o.base != "" && t.File != "" && root != "" {
			bsrc := o.base + ":" + t.File
			base, err := contracts.Load(ctx, bsrc, contracts.LoadOptions{Dir: root, AllowRemoteRefs: o.allowRemoteRefs, AllowRefsIn: inDirs(wd, o.allowRefsIn)})
			switch {
			case err == nil:
				t.Base = base
			case isNewAt(ctx, root, o.base, bsrc):
				t.BaseNew = true
			default:
				reportLoadError(e, "base", bsrc, err)
				failed = true
				continue
			}
		}
		in.Targets = append(in.Targets, t)
	}
	if failed {
		return silentExit(exitInput)
	}

	rep := preflight.Run(in)
	var err error
	switch o.format {
	case "markdown":
		err = preflight.Markdown(e.stdout, rep)
	case "json":
		err = preflight.JSON(e.stdout, rep)
	default:
		err = preflight.Text(e.stdout, rep, e.color)
	}
	if err != nil {
		return fmt.Errorf("writing the launch table: %w", err)
	}
	if rep.Failed() > 0 && !o.warn {
		return silentExit(exitFailed)
	}
	return nil
}

// gitRepo returns the work tree's root and the files git tracks (slash
// paths relative to the root); "" and nil outside a git work tree.
func gitRepo(ctx context.Context, dir string) (string, map[string]bool) {
	top, err := gitOutput(ctx, dir, "rev-parse", "--show-toplevel")
	if err != nil {
		return "", nil
	}
	root := strings.TrimSpace(top)
	out, err := gitOutput(ctx, root, "ls-files", "-z")
	if err != nil {
		return root, nil
	}
	tracked := map[string]bool{}
	for _, f := range strings.Split(out, "\x00") {
		if f != "" {
			tracked[f] = true
		}
	}
	return root, tracked
}

// relTo makes p relative to dir, so that positions read
// examples/payments/openapi.yaml:12 as the user would type it.
func relTo(dir, p string) string {
	if !filepath.IsAbs(p) {
		return p
	}
	if r, err := filepath.Rel(dir, p); err == nil {
		return r
	}
	return p
}
