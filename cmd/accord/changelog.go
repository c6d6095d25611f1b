package main

import (
	"context"
	"fmt"
	"os"
	"runtime/debug"
	"sync"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/compat"
	"github.com/accord-dev/accord/compat/report"
	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/generator"
)

type changelogOptions struct {
	// rev is --base REV: args are head paths, each compared with its own
	// version at REV. Otherwise args are exactly BASE and HEAD.
	rev             string
	args            []string
	format          string // markdown, html or json
	profile         compat.Profile
	allowRemoteRefs bool
	allowRefsIn     []string
}

const changelogLong = `changelog writes a partner-facing change log of every change from BASE to
HEAD: breaking changes (with what the partner must do), deprecations (with
their x-sunset dates) and additions (operations, webhooks, channels,
messages, parameters, properties, enum values, response statuses, media
types), grouped by operation, webhook and channel. A change to a shared
component is listed once with the operations it reaches.

It runs the same engine as accord compat, with the change rules on; it is a
report, not a check: it exits 0 whatever changed.

Inputs are like compat's: a path, - for standard input, or REV:path; with
--base REV, each PATH is compared with its own version at REV (one change
log per contract; a contract new at REV says so).

Formats: markdown (default; release notes, a PR), html (one self-contained
page: inline CSS, no scripts or external assets), json (see
compat/report/changelog_json.go for the fields).

Exit codes: 0 written, 2 usage error (including an OpenAPI document against an
AsyncAPI one), 3 a side could not be read or parsed.`

func newChangelogCmd(e *env) *cobra.Command {
	var o changelogOptions
	var profile string
	cmd := &cobra.Command{
		Use:   "changelog BASE HEAD | --base REV PATH...",
		Short: "Write a partner-facing change log between two versions of a contract",
		Long:  changelogLong,
		Example: `  accord changelog v1/payments.yaml v2/payments.yaml
  accord changelog v1.4.0:api/payments.yaml api/payments.yaml > CHANGES.md
  accord changelog --format html origin/main:api.yaml api.yaml > changes.html
  accord changelog --base v1.4.0 contracts/*.yaml > RELEASE-NOTES.md`,
		RunE: func(cmd *cobra.Command, args []string) error {
			switch o.format {
			case "markdown", "html", "json":
			default:
				return usageError("--format must be markdown, html or json, not %q", o.format)
			}
			switch compat.Profile(profile) {
			case compat.ProfileWire, compat.ProfileSDK:
				o.profile = compat.Profile(profile)
			default:
				return usageError("--profile must be wire or sdk, not %q", profile)
			}
			if cmd.Flags().Changed("base") {
				if err := checkCompatArgs(cmd, o.rev, args); err != nil {
					return err
				}
			} else {
				switch {
				case len(args) != 2:
					return usageError("changelog needs BASE and HEAD (or --base REV PATH...), got %d argument(s)", len(args))
				case args[0] == "-" && args[1] == "-":
					return usageError("standard input can be only one side: pass a file or REV:path for the other")
				}
			}
			o.args = args
			return runChangelog(cmd.Context(), e, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.rev, "base", "", "compare each PATH with its version at this git revision (e.g. v1.4.0)")
	f.StringVar(&o.format, "format", "markdown", "output format: markdown, html or json")
	f.StringVar(&profile, "profile", "wire", "what counts as breaking: wire or sdk (as in compat)")
	f.BoolVar(&o.allowRemoteRefs, "allow-remote-refs", false, "let $refs fetch http(s) documents")
	f.StringSliceVar(&o.allowRefsIn, "allow-refs-in", nil, "let $refs read files in `DIR` too, besides the contract's own directory tree (repeatable)")
	return cmd
}

func runChangelog(ctx context.Context, e *env, o changelogOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	// The same trade as compat's: two large models at once.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(35))
	}
	pairs, err := compatPairs(ctx, e.dir, compatOptions{base: o.rev, args: o.args})
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	var logs []report.Changelog
	for _, p := range pairs {
		cl, err := changelogPair(ctx, e, o, p)
		if err != nil {
			return err
		}
		logs = append(logs, cl)
	}
	switch o.format {
	case "html":
		err = report.ChangelogHTML(e.stdout, logs, generator.Version)
	case "json":
		err = report.ChangelogJSON(e.stdout, logs, generator.Version)
	default:
		err = report.ChangelogMarkdown(e.stdout, logs)
	}
	if err != nil {
		return fmt.Errorf("writing the change log: %w", err)
	}
	return nil
}

// changelogPair loads both sides of one comparison and builds its change
// log; a head that does not exist at the --base revision is a new contract.
func changelogPair(ctx context.Context, e *env, o changelogOptions, p compatPair) (report.Changelog, error) {
	lo := contracts.LoadOptions{Stdin: e.stdin, Dir: e.dir, AllowRemoteRefs: o.allowRemoteRefs, AllowRefsIn: inDirs(e.dir, o.allowRefsIn)}
	var base, head *contracts.Document
	var baseErr, headErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); base, baseErr = contracts.LoadForCompare(ctx, p.base, lo) }()
	go func() { defer wg.Done(); head, headErr = contracts.LoadForCompare(ctx, p.head, lo) }()
	wg.Wait()
	if baseErr != nil && headErr == nil && p.newAt != "" && isNewAt(ctx, e.dir, p.newAt, p.base) {
		return report.Changelog{
			Contract: head.Name, Base: compat.DocInfo{Name: p.base}, Head: compat.DocInfo{Name: head.Name, Version: infoVersion(head)},
			Groups: []report.ChangeGroup{}, Note: fmt.Sprintf("a new contract: it does not exist at %s", p.newAt),
		}, nil
	}
	if baseErr != nil || headErr != nil {
		if baseErr != nil {
			reportLoadError(e, "base", p.base, baseErr)
		}
		if headErr != nil {
			reportLoadError(e, "head", p.head, headErr)
		}
		return report.Changelog{}, silentExit(exitInput)
	}
	if err := sameKind(base, head); err != nil {
		return report.Changelog{}, &exitError{code: exitUsage, err: err}
	}
	res, err := compat.Compare(base, head, compat.Options{Profile: o.profile, Changes: true})
	if err != nil {
		return report.Changelog{}, &exitError{code: exitInput, err: fmt.Errorf("comparing %s with %s: %w", p.base, p.head, err)}
	}
	res.Base = compat.DocInfo{Name: base.Name, Version: orName(res.Base.Version, infoVersion(base))}
	res.Head = compat.DocInfo{Name: head.Name, Version: orName(res.Head.Version, infoVersion(head))}
	return report.BuildChangelog(res), nil
}
