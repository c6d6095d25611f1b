package main

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/accord-dev/accord/compat"
	"github.com/accord-dev/accord/compat/report"
	"github.com/accord-dev/accord/contracts"
	"github.com/accord-dev/accord/generator"
)

// This file is `accord compat V1 V2 ... --mode MODE`: a schema registry's
// compatibility modes over a series of AsyncAPI versions. Each step of the
// series is compared twice, once per reading direction (new consumers on old
// messages; old consumers on new messages); the mode picks which directions
// fail the check, and both together say, per channel, which side must
// upgrade first.

// checkModeArgs validates the series form; it runs instead of
// checkCompatArgs's two-argument rule when --mode is given.
func checkModeArgs(cmd *cobra.Command, base string, args []string) error {
	if cmd.Flags().Changed("base") {
		// --base REV PATH...: each PATH is a series of two, checked as usual.
		return checkCompatArgs(cmd, base, args)
	}
	if len(args) < 2 {
		return usageError("--mode compares a series of versions: give at least two (oldest first), got %d", len(args))
	}
	stdin := 0
	for _, a := range args {
		if a == "-" {
			stdin++
		}
	}
	if stdin > 1 {
		return usageError("standard input can be only one version of the series")
	}
	return nil
}

// modeSeries lists the series to judge: the arguments, or with --base one
// series of two per path (newAt set: a path absent from the revision is a
// new contract, as in the two-version form).
type modeSeriesArgs struct {
	versions []string
	newAt    string
}

func modeSeries(ctx context.Context, dir string, o compatOptions) ([]modeSeriesArgs, error) {
	if o.base == "" {
		return []modeSeriesArgs{{versions: o.args}}, nil
	}
	pairs, err := compatPairs(ctx, dir, o)
	if err != nil {
		return nil, err
	}
	out := make([]modeSeriesArgs, 0, len(pairs))
	for _, p := range pairs {
		out = append(out, modeSeriesArgs{versions: []string{p.base, p.head}, newAt: p.newAt})
	}
	return out, nil
}

func runCompatSeries(ctx context.Context, e *env, o compatOptions, today time.Time) error {
	accepted, _, err := loadAcceptances(e.dir, o.accept)
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	series, err := modeSeries(ctx, e.dir, o)
	if err != nil {
		return &exitError{code: exitInput, err: err}
	}
	code := exitOK
	var results []*compat.Result
	for _, sr := range series {
		res, c := judgeSeries(ctx, e, o, sr, accepted, today)
		if c == exitUsage {
			return silentExit(exitUsage)
		}
		if c != exitOK {
			code = c
		}
		results = append(results, res...)
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

// judgeSeries loads every version (concurrently: loading dominates) and
// returns one result per step the mode requires.
func judgeSeries(ctx context.Context, e *env, o compatOptions, sr modeSeriesArgs, accepted []compat.Acceptance, today time.Time) ([]*compat.Result, int) {
	versions := sr.versions
	lo := contracts.LoadOptions{Stdin: e.stdin, Dir: e.dir, AllowRemoteRefs: o.allowRemoteRefs, AllowRefsIn: inDirs(e.dir, o.allowRefsIn)}
	docs := make([]*contracts.Document, len(versions))
	errs := make([]error, len(versions))
	var wg sync.WaitGroup
	for i, v := range versions {
		wg.Add(1)
		go func() { defer wg.Done(); docs[i], errs[i] = contracts.LoadForCompare(ctx, v, lo) }()
	}
	wg.Wait()
	if len(versions) == 2 && errs[0] != nil && errs[1] == nil && sr.newAt != "" && isNewAt(ctx, e.dir, sr.newAt, versions[0]) {
		return []*compat.Result{{
			Kind:     docs[1].Kind,
			Base:     compat.DocInfo{Name: versions[0]},
			Head:     compat.DocInfo{Name: versions[1], Version: infoVersion(docs[1])},
			Findings: []compat.Finding{},
			Notes:    []string{fmt.Sprintf("%s does not exist at %s: a new contract, nothing to compare", versions[1], sr.newAt)},
		}}, exitOK
	}
	failed := false
	for i, err := range errs {
		if err != nil {
			reportLoadError(e, fmt.Sprintf("version %d of the series", i+1), versions[i], err)
			failed = true
		}
	}
	if failed {
		return nil, exitInput
	}
	for i, d := range docs {
		if d.Kind != contracts.KindAsyncAPI {
			fmt.Fprintf(e.stderr, "accord: --mode judges AsyncAPI message schemas the way a schema registry does; %s is %s\n", versions[i], kindName(d.Kind))
			return nil, exitUsage
		}
	}
	var out []*compat.Result
	for _, step := range o.mode.Steps(len(docs)) {
		res, err := judgeStep(o, docs[step[0]], docs[step[1]], accepted, today)
		if err != nil {
			fmt.Fprintf(e.stderr, "accord: comparing %s with %s: %v\n", versions[step[0]], versions[step[1]], err)
			return nil, exitInput
		}
		out = append(out, res)
	}
	return out, exitOK
}

// judgeStep compares one step in both reading directions. The mode's
// directions give the findings; both give the per-channel upgrade order.
func judgeStep(o compatOptions, base, head *contracts.Document, accepted []compat.Acceptance, today time.Time) (*compat.Result, error) {
	pol := compat.Policy{AllowMajor: o.allowMajor, Accepted: accepted, Today: today, Stability: compat.StabilityLevels(base)}
	if o.allowMajor {
		pol.BaseOperations, pol.HeadOperations = compat.OperationKeys(base), compat.OperationKeys(head)
	}
	breaks := map[compat.Direction]map[string]int{} // direction -> channel -> failing findings
	var merged *compat.Result
	seen := map[string]bool{}
	for _, dir := range []compat.Direction{compat.DirRequest, compat.DirResponse} {
		res, err := compat.Compare(base, head, compat.Options{Profile: o.profile, Today: today,
			DeprecationDays: o.deprecationDays, MessageDir: dir})
		if err != nil {
			return nil, err
		}
		res.Base = compat.DocInfo{Name: base.Name, Version: orName(res.Base.Version, infoVersion(base))}
		res.Head = compat.DocInfo{Name: head.Name, Version: orName(res.Head.Version, infoVersion(head))}
		anchorInHead(res, head)
		res = compat.ApplyPolicy(res, pol)
		breaks[dir] = map[string]int{}
		for _, f := range res.Findings {
			if compat.Fails(f, o.failOn) {
				for _, ch := range findingChannels(f) {
					breaks[dir][ch]++
				}
			}
		}
		if !wanted(*o.mode, dir) {
			continue
		}
		if merged == nil {
			cp := *res
			cp.Findings = nil
			merged = &cp
		}
		for _, f := range res.Findings {
			if k := f.Rule + "\x00" + f.Fingerprint; !seen[k] {
				seen[k] = true
				merged.Findings = append(merged.Findings, f)
			}
		}
	}
	if merged.Findings == nil {
		merged.Findings = []compat.Finding{}
	}
	merged.Notes = append(merged.Notes, modeNotes(*o.mode, breaks)...)
	if o.explode {
		merged = compat.Explode(merged)
	}
	return merged, nil
}

func wanted(m compat.Mode, dir compat.Direction) bool {
	return (dir == compat.DirRequest && m.Backward) || (dir == compat.DirResponse && m.Forward)
}

// findingChannels is the channel of each operation a finding affects:
// AsyncAPI operation keys are "ACTION ADDRESS".
func findingChannels(f compat.Finding) []string {
	var out []string
	for _, op := range f.Affected {
		if _, ch, ok := strings.Cut(op.Key, " "); ok {
			out = append(out, ch)
		}
	}
	return out
}

// modeNotes says what the step was checked for and, per channel with a
// break in either direction, which side must upgrade first.
func modeNotes(m compat.Mode, breaks map[compat.Direction]map[string]int) []string {
	var checked []string
	if m.Backward {
		checked = append(checked, "consumers on the new version read messages written with the old one (BACKWARD)")
	}
	if m.Forward {
		checked = append(checked, "consumers on the old version read messages written with the new one (FORWARD)")
	}
	notes := []string{fmt.Sprintf("--mode %s: checked that %s", m.Name, strings.Join(checked, ", and that "))}
	channels := map[string]bool{}
	for _, byCh := range breaks {
		for ch := range byCh {
			channels[ch] = true
		}
	}
	names := make([]string, 0, len(channels))
	for ch := range channels {
		names = append(names, ch)
	}
	sort.Strings(names)
	for _, ch := range names {
		b, f := breaks[compat.DirRequest][ch], breaks[compat.DirResponse][ch]
		notes = append(notes, fmt.Sprintf("channel %s: %s (%d backward, %d forward breaking findings)", ch, compat.UpgradeOrder(b == 0, f == 0), b, f))
	}
	if len(names) == 0 {
		notes = append(notes, "every channel: "+compat.UpgradeOrder(true, true))
	}
	return notes
}
