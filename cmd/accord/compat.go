package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/compat"
	"github.com/accord-dev/accord/compat/report"
	"github.com/accord-dev/accord/compat/rules"
	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/generator"
)

type compatOptions struct {
	// base is --base REV; when set, args are head paths each compared with
	// its own version at REV. Otherwise args are exactly BASE and HEAD.
	base            string
	args            []string
	format          report.Format
	failOn          compat.Severity
	profile         compat.Profile
	allowMajor      bool
	accept          string // --accept FILE; "" = .accord-compat.yaml if present
	explode         bool
	allowRemoteRefs bool
	allowRefsIn     []string
	// today is the policy's clock (x-sunset, expiry dates); zero means now.
	today time.Time
	// deprecationDays is --deprecation-days: the minimum grace period
	// between a deprecation and its x-sunset (0: not checked).
	deprecationDays int
	// mode is --mode (nil without it): the args are then a series of
	// versions judged as a schema registry would.
	mode *compat.Mode
}

const compatLong = `compat compares two versions of a contract and fails when the newer one
(head) would break clients or consumers written against the older one (base).

Inputs. Each side is a path, - for standard input, or REV:path for a file at a
git revision (read with git show; $refs are read from the same revision).
With --base REV, each PATH is compared with its own version at REV: the usual
CI form. A PATH that does not exist at REV is a new contract: nothing to break.

What is breaking. A finding is one root cause (one changed element) with every
operation it reaches; --explode lists one finding per operation instead.
  error    breaks existing clients on the wire: an operation, response property,
           header or media type they rely on is removed; a request property,
           parameter or body becomes required; a type or format changes; what a
           request accepts narrows (enum, range, length, pattern); what a
           response may contain widens (new enum values, null, new variants);
           security becomes stricter
  warning  may break some clients: an optional parameter is removed, a new
           success status appears, a request default changes, response limits
           loosen, a server URL is removed
  info     breaks nobody: accepted breaks (see Policy)
Direction matters: narrowing what clients send (requests; AsyncAPI messages the
application receives) breaks them, and so does widening what they read
(responses; messages the application sends). Every rule is listed at the end.

Profiles.
  --profile wire  (default) only what breaks clients at run time
  --profile sdk   also what breaks the source of generated clients although the
                  wire still works (renamed operationIds and schema components,
                  parameter types the wire accepts but signatures do not)

Policy: breaks that are accepted become info, keeping their original severity
in the report, and never fail the check.
  --allow-major   accept breaks when info.version's major is bumped (1.x → 2.0),
                  and removals of operations that moved behind a new /vN prefix
                  (/v1/payments removed while /v2/payments appears). A version
                  that is not semver (e.g. a date) has no major: the report
                  says so rather than guessing.
  x-sunset        removing an operation (or element) deprecated in base with an
                  x-sunset date that has passed is info.
  --accept FILE   accepted breaks, each with a reason and an expiry date; by
                  default .accord-compat.yaml in the working directory:

                    accepted:
                      - fingerprint: 9c1f2e7a55d0b3c4   # the finding's id
                        reason: v1 refunds retired with partners (PAY-412)
                        expires: 2025-09-30           # first day it stops applying
                        rule: operation-removed       # optional guard

                  An expired entry fails again, and the report says when it
                  expired. A malformed file is an error (exit 3) with file:line.

Lifecycle. x-sunset and x-deprecated-at must be dates (YYYY-MM-DD or RFC 3339
date-time). Moving a sunset earlier, deleting it while the operation stays
deprecated, removing an operation before its sunset, and lowering
x-stability-level (stable > beta > alpha > draft) are errors. With
--deprecation-days N, a new or changed sunset must be at least N days after
the deprecation (x-deprecated-at, else the day of the comparison). Findings
that only affect draft or alpha operations are reported as info. When
info.version changes, breaking changes without a major bump are a warning
naming the right version, and additions with only a patch bump are info.

Events. Avro payloads (schemaFormat application/vnd.apache.avro...) are judged
by Avro's reader/writer resolution, Protobuf payloads
(application/vnd.google.protobuf) by buf's WIRE_JSON rules, each in the
direction the message flows.

Schema registry modes: accord compat --mode MODE V1 V2 [V3...] judges a series
of AsyncAPI versions (oldest first) as a schema registry would. BACKWARD:
consumers on each new version read messages written with the previous one;
FORWARD: consumers on the previous version read the new one's; FULL: both;
*_TRANSITIVE: against every earlier version, not only the previous one. Each
step's notes say, per channel, which side must upgrade first.

Output: --format text (grouped by root cause; colour on a terminal), json (a
stable schema, see compat/report/SCHEMA.md), markdown (a PR comment), github
(workflow annotations on the head file), sarif (2.1.0, for code scanning),
junit (one suite per contract, one test per rule).

Exit codes: 0 compatible (nothing at or above --fail-on), 1 breaking findings
at or above --fail-on (default error), 2 usage error (including comparing an
OpenAPI document with an AsyncAPI one), 3 a side or the accepted-breaks file
could not be read or parsed.

GitHub Actions:

  - uses: actions/checkout@v4
    with: {fetch-depth: 0}          # compat reads the base from git
  - run: accord compat --base origin/${{ github.base_ref }} --format github contracts/*.yaml
  # or, for code scanning:
  - run: accord compat --base origin/${{ github.base_ref }} --format sarif contracts/*.yaml > compat.sarif
  - uses: github/codeql-action/upload-sarif@v3
    with: {sarif_file: compat.sarif}`

// compatHelp appends the rule registry to the long help, so that what counts
// as breaking is listed from the same source the engine runs.
func compatHelp() string {
	var b strings.Builder
	b.WriteString(compatLong)
	b.WriteString("\n\nRules (severity, ID, what changed; sdk rules run only with --profile sdk):\n")
	for _, r := range rules.All() {
		sev := string(r.Severity)
		if r.Profile == rules.SDK {
			sev += " sdk"
		}
		fmt.Fprintf(&b, "  %-11s %-37s %s\n", sev, r.ID, r.Summary)
	}
	return strings.TrimRight(b.String(), "\n")
}

func newCompatCmd(e *env) *cobra.Command {
	var o compatOptions
	var format, failOn, profile, mode string
	cmd := &cobra.Command{
		Use:   "compat BASE HEAD | --base REV PATH... | --mode MODE V1 V2...",
		Short: "Fail on backward-incompatible contract changes",
		Long:  compatHelp(),
		Example: `  accord compat api-v1.yaml api.yaml
  accord compat origin/main:contracts/payments.yaml contracts/payments.yaml
  accord compat --base origin/main contracts/*.yaml
  accord compat --base origin/main --format markdown contracts/payments.yaml > comment.md
  git show v1.4.0:api.yaml | accord compat - api.yaml
  accord compat --allow-major --fail-on warning --format json old.yaml new.yaml
  accord compat --mode FULL_TRANSITIVE events-v1.yaml events-v2.yaml events.yaml
  accord compat --deprecation-days 90 --base origin/main contracts/*.yaml`,
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.format, err = report.ParseFormat(format); err != nil {
				return usageError("--format: %v", err)
			}
			if o.failOn, err = compat.ParseSeverity(failOn); err != nil {
				return usageError("--fail-on: %v", err)
			}
			switch compat.Profile(profile) {
			case compat.ProfileWire, compat.ProfileSDK:
				o.profile = compat.Profile(profile)
			default:
				return usageError("--profile must be wire or sdk, not %q", profile)
			}
			if o.deprecationDays < 0 {
				return usageError("--deprecation-days must be 0 or more, not %d", o.deprecationDays)
			}
			if cmd.Flags().Changed("mode") {
				m, err := compat.ParseMode(mode)
				if err != nil {
					return usageError("--mode: %v", err)
				}
				o.mode = &m
				if err := checkModeArgs(cmd, o.base, args); err != nil {
					return err
				}
				o.args = args
				return runCompat(cmd.Context(), e, o)
			}
			if err := checkCompatArgs(cmd, o.base, args); err != nil {
				return err
			}
			o.args = args
			return runCompat(cmd.Context(), e, o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.base, "base", "", "compare each PATH with its version at this git revision (e.g. origin/main)")
	f.StringVar(&format, "format", "text", "output format: text, json, markdown, github, sarif or junit")
	f.StringVar(&failOn, "fail-on", "error", "lowest severity that fails the check: error, warning or info")
	f.StringVar(&profile, "profile", "wire", "what counts as breaking: wire (clients at run time) or sdk (also generated client source)")
	f.BoolVar(&o.allowMajor, "allow-major", false, "accept breaks that come with a major info.version bump or a move behind a new /vN prefix")
	f.StringVar(&o.accept, "accept", "", "accepted-breaks file (default: "+defaultAcceptFile+" in the working directory, if present)")
	f.BoolVar(&o.explode, "explode", false, "list one finding per affected operation instead of one per root cause")
	f.BoolVar(&o.allowRemoteRefs, "allow-remote-refs", false, "let $refs fetch http(s) documents")
	f.StringSliceVar(&o.allowRefsIn, "allow-refs-in", nil, "let $refs read files in `DIR` too, besides the contract's own directory tree (repeatable)")
	f.StringVar(&mode, "mode", "", "judge a series of AsyncAPI versions (oldest first) like a schema registry: BACKWARD, FORWARD, FULL, or *_TRANSITIVE")
	f.IntVar(&o.deprecationDays, "deprecation-days", 0, "minimum days between a deprecation (x-deprecated-at, else today) and its x-sunset; 0 = not checked")
	return cmd
}

// checkCompatArgs enforces the two command forms; every violation is a usage
// error (exit 2).
func checkCompatArgs(cmd *cobra.Command, base string, args []string) error {
	if cmd.Flags().Changed("base") {
		if strings.TrimSpace(base) == "" {
			return usageError("--base needs a git revision, e.g. --base origin/main")
		}
		if len(args) == 0 {
			return usageError("missing contract path (try: accord compat --base origin/main contracts/api.yaml)")
		}
		for _, a := range args {
			if a == "-" {
				return usageError("--base compares files with their git history; standard input (-) has none: use accord compat BASE -")
			}
			if strings.Contains(a, ":") {
				if _, err := os.Stat(a); err != nil {
					return usageError("%s: with --base, give plain paths; the revision comes from --base", a)
				}
			}
		}
		return nil
	}
	switch {
	case len(args) < 2:
		return usageError("compat needs BASE and HEAD (or --base REV PATH...), got %d argument(s)", len(args))
	case len(args) > 2:
		return usageError("compat takes exactly BASE and HEAD; to compare several contracts with a revision use --base REV PATH..., to judge a series of versions use --mode")
	case args[0] == "-" && args[1] == "-":
		return usageError("standard input can be only one side: pass a file or REV:path for the other")
	}
	return nil
}

// compatPair is one comparison to run.
type compatPair struct {
	base, head string
	// newAt is the --base revision: a head absent from it is a new contract.
	newAt string
}

func runCompat(ctx context.Context, e *env, o compatOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	// compat holds two large models at once, and decoding them makes several
	// times their size in short-lived garbage: with Go's default GOGC=100 the
	// heap grows to twice the live set and peak memory is mostly that
	// headroom. Since the lean read path makes little garbage, a tight
	// target costs little: GOGC 10 against 35 measured Stripe 2023-04 ->
	// 2023-09 (YAML) at 59-60 MB instead of 71-78 MB peak, GitHub 17 -> 23
	// at 0.93 s instead of 0.6-0.8 s (oasdiff: 12 s, 850-990 MB).
	// A GOGC the user set wins.
	if os.Getenv("GOGC") == "" {
		defer debug.SetGCPercent(debug.SetGCPercent(10))
	}
	today := o.today
	if today.IsZero() {
		today = time.Now()
	}
	if o.mode != nil {
		return runCompatSeries(ctx, e, o, today)
	}
	accepted, acceptFile, err := loadAcceptances(e.dir, o.accept)
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	pairs, err := compatPairs(ctx, e.dir, o)
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}

	code := exitOK
	var results []*compat.Result
	for _, p := range pairs {
		res, pairCode := comparePair(ctx, e, o, p, accepted, today)
		if pairCode == exitUsage {
			return silentExit(exitUsage)
		}
		if pairCode == exitInput {
			code = exitInput
		}
		if res != nil {
			results = append(results, res)
		}
	}
	// An entry looks unused when the contract it is about did not load, so
	// the hint is only given when every comparison ran.
	for _, a := range compat.UnusedAcceptances(accepted, results...) {
		if code != exitOK {
			break
		}
		fmt.Fprintf(e.stderr, "accord: note: %s: accepted break %s matched no finding; delete the entry if the change is gone\n", orName(a.Source, acceptFile), a.Fingerprint)
	}

	rep := report.Report{Results: results, FailOn: o.failOn, ToolVersion: generator.Version, Profile: o.profile, Today: today}
	if err := report.Write(e.stdout, o.format, rep, report.Options{Color: e.color}); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	if code == exitOK {
		for _, r := range results {
			if compat.Failing(r, o.failOn) > 0 {
				code = exitFailed
			}
		}
	}
	return silentExit(code)
}

func orName(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// compatPairs turns the arguments into comparisons.
func compatPairs(ctx context.Context, dir string, o compatOptions) ([]compatPair, error) {
	if o.base == "" {
		return []compatPair{{base: o.args[0], head: o.args[1]}}, nil
	}
	// REV:path is relative to the repository root for git, unless it starts
	// with ./ or ../, which git (and contracts.Load) read as relative to the
	// working directory. Paths on the command line are relative to the
	// working directory, so they get ./ unless that is the root anyway,
	// which keeps the common case's names short (origin/main:api.yaml).
	prefix, err := gitOutput(ctx, dir, "rev-parse", "--show-prefix")
	if err != nil {
		return nil, fmt.Errorf("--base %s needs a git work tree: %w", o.base, err)
	}
	wd := dir
	if wd == "" {
		if wd, err = os.Getwd(); err != nil {
			return nil, fmt.Errorf("finding the working directory: %w", err)
		}
	}
	pairs := make([]compatPair, 0, len(o.args))
	for _, head := range o.args {
		rel := head
		if filepath.IsAbs(rel) {
			if rel, err = filepath.Rel(wd, rel); err != nil {
				return nil, fmt.Errorf("%s: %w", head, err)
			}
		}
		rel = filepath.ToSlash(filepath.Clean(rel))
		if strings.TrimSpace(prefix) != "" && !strings.HasPrefix(rel, "../") {
			rel = "./" + rel
		}
		pairs = append(pairs, compatPair{base: o.base + ":" + rel, head: head, newAt: o.base})
	}
	return pairs, nil
}

// comparePair loads both sides concurrently (they are independent, and on
// large contracts loading dominates), compares them and applies the policy.
// It reports problems on stderr and returns the exit code they call for.
func comparePair(ctx context.Context, e *env, o compatOptions, p compatPair, accepted []compat.Acceptance, today time.Time) (*compat.Result, int) {
	lo := contracts.LoadOptions{Stdin: e.stdin, Dir: e.dir, AllowRemoteRefs: o.allowRemoteRefs, AllowRefsIn: inDirs(e.dir, o.allowRefsIn)}
	var base, head *contracts.Document
	var baseErr, headErr error
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); base, baseErr = contracts.LoadForCompare(ctx, p.base, lo) }()
	go func() { defer wg.Done(); head, headErr = contracts.LoadForCompare(ctx, p.head, lo) }()
	wg.Wait()

	if baseErr != nil && headErr == nil && p.newAt != "" && isNewAt(ctx, e.dir, p.newAt, p.base) {
		return &compat.Result{
			Kind:     head.Kind,
			Base:     compat.DocInfo{Name: p.base},
			Head:     compat.DocInfo{Name: p.head, Version: infoVersion(head)},
			Findings: []compat.Finding{},
			Notes:    []string{fmt.Sprintf("%s does not exist at %s: a new contract, nothing to compare", p.head, p.newAt)},
		}, exitOK
	}
	failed := false
	for _, side := range []struct {
		name, source string
		err          error
	}{{"base", p.base, baseErr}, {"head", p.head, headErr}} {
		if side.err != nil {
			reportLoadError(e, side.name, side.source, side.err)
			failed = true
		}
	}
	if failed {
		return nil, exitInput
	}
	if err := sameKind(base, head); err != nil {
		fmt.Fprintln(e.stderr, "accord:", err)
		return nil, exitUsage
	}

	res, err := compat.Compare(base, head, compat.Options{Profile: o.profile, Today: today, DeprecationDays: o.deprecationDays})
	if err != nil {
		fmt.Fprintf(e.stderr, "accord: comparing %s with %s: %v\n", p.base, p.head, err)
		return nil, exitInput
	}
	res.Kind = head.Kind
	// The documents' names are the inputs as given, with "<stdin>" for "-",
	// the same names positions carry.
	res.Base = compat.DocInfo{Name: base.Name, Version: orName(res.Base.Version, infoVersion(base))}
	res.Head = compat.DocInfo{Name: head.Name, Version: orName(res.Head.Version, infoVersion(head))}
	anchorInHead(res, head)
	pol := compat.Policy{AllowMajor: o.allowMajor, Accepted: accepted, Today: today, Stability: compat.StabilityLevels(base)}
	if o.allowMajor {
		pol.BaseOperations, pol.HeadOperations = compat.OperationKeys(base), compat.OperationKeys(head)
	}
	res = compat.ApplyPolicy(res, pol)
	if o.explode {
		res = compat.Explode(res)
	}
	return res, exitOK
}

// reportLoadError names the side and the file, then lists the loader's
// problems (each with its own file:line:col).
func reportLoadError(e *env, side, source string, err error) {
	fmt.Fprintf(e.stderr, "accord: cannot load the %s contract %s\n", side, source)
	var ce *contracts.Error
	if errors.As(err, &ce) {
		for _, pr := range ce.Problems {
			fmt.Fprintf(e.stderr, "  %s\n", pr)
		}
		return
	}
	fmt.Fprintf(e.stderr, "  %v\n", err)
}

// sameKind refuses to compare an OpenAPI document with an AsyncAPI one: the
// inputs are fine, the request is not, so it is a usage error.
func sameKind(base, head *contracts.Document) error {
	if base.Kind == head.Kind {
		return nil
	}
	return fmt.Errorf("cannot compare %s (%s %s) with %s (%s %s): both sides must be the same kind of contract",
		base.Name, kindName(base.Kind), base.Version, head.Name, kindName(head.Kind), head.Version)
}

func infoVersion(d *contracts.Document) string {
	switch {
	case d.OpenAPI != nil && d.OpenAPI.Info != nil:
		return d.OpenAPI.Info.Version
	case d.AsyncAPI != nil:
		return d.AsyncAPI.Info.Version
	}
	return ""
}

// anchorInHead gives each base-side finding (its element is gone from head)
// the nearest place in head where it used to be: the closest ancestor of
// its pointer that head still has. Annotations need a line in the file under
// review; the document root is no anchor, so those keep none.
func anchorInHead(res *compat.Result, head *contracts.Document) {
	var root *contracts.Position
	for i := range res.Findings {
		f := &res.Findings[i]
		if f.Side != "base" || f.HeadPos != nil || f.Pointer == "" {
			continue
		}
		if root == nil {
			r := head.Pos("")
			root = &r
		}
		if pos := head.Pos(f.Pointer); pos.Line > 0 && pos != *root {
			f.HeadPos = &pos
		}
	}
}

// isNewAt tells whether source (REV:path) failed to load because the file
// does not exist at the revision, as opposed to a bad revision or a broken
// file: only the former means "a new contract".
func isNewAt(ctx context.Context, dir, rev, source string) bool {
	if _, err := gitOutput(ctx, dir, "rev-parse", "--verify", "--quiet", rev+"^{commit}"); err != nil {
		return false
	}
	_, err := gitOutput(ctx, dir, "cat-file", "-e", source)
	return err != nil
}

func gitOutput(ctx context.Context, dir string, args ...string) (string, error) {
	cmd := exec.CommandContext(ctx, "git", args...)
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		msg := strings.TrimSpace(stderr.String())
		if msg == "" {
			msg = err.Error()
		}
		return "", fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return string(out), nil
}
