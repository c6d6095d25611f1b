package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/accord-dev/accord/verify"
)

// flagValues are the values of the enumerated flags, for shell completion
// (`accord completion bash|zsh|fish|powershell`). A test keeps each list in
// step with the flag's help text.
func flagValues() map[string]map[string][]string {
	return map[string]map[string][]string{
		"compat": {
			"format":  {"text", "json", "markdown", "github", "sarif", "junit"},
			"fail-on": {"error", "warning", "info"},
			"profile": {"wire", "sdk"},
			"mode":    {"BACKWARD", "FORWARD", "FULL", "BACKWARD_TRANSITIVE", "FORWARD_TRANSITIVE", "FULL_TRANSITIVE"},
		},
		"changelog": {"format": {"markdown", "html", "json"}, "profile": {"wire", "sdk"}},
		"preflight": {"format": {"text", "markdown", "json"}},
		"validate":  {"format": {"text", "json"}, "profile": {"catalog"}},
		"verify":    {"format": verify.Formats()},
		"gen":       {"generate": {"models", "client", "server", "redis", "kafka", "nats", "otel", "pact"}},
	}
}

// listFlags take comma-separated values.
func listFlags() map[string]bool { return map[string]bool{"generate": true} }

// registerCompletions attaches the value completions to the commands.
func registerCompletions(root *cobra.Command) {
	vals := flagValues()
	for _, c := range root.Commands() {
		for flag, values := range vals[c.Name()] {
			if c.Flags().Lookup(flag) == nil {
				continue
			}
			_ = c.RegisterFlagCompletionFunc(flag, completeValues(values, listFlags()[flag]))
		}
	}
}

func completeValues(values []string, list bool) cobra.CompletionFunc {
	return func(_ *cobra.Command, _ []string, toComplete string) ([]string, cobra.ShellCompDirective) {
		prefix, last := "", toComplete
		if list {
			if i := strings.LastIndexByte(toComplete, ','); i >= 0 {
				prefix, last = toComplete[:i+1], toComplete[i+1:]
			}
		}
		taken := map[string]bool{}
		for _, v := range strings.Split(prefix, ",") {
			taken[v] = true
		}
		var out []string
		for _, v := range values {
			if strings.HasPrefix(v, last) && !taken[v] {
				out = append(out, prefix+v)
			}
		}
		directive := cobra.ShellCompDirectiveNoFileComp
		if list {
			directive |= cobra.ShellCompDirectiveNoSpace
		}
		return out, directive
	}
}

// didYouMean returns the candidates closest to s: a prefix, or at most two
// edits away (for longer words), nearest first.
func didYouMean(s string, candidates []string) []string {
	best, out := 3, []string(nil)
	for _, c := range candidates {
		d := editDistance(s, c)
		if strings.HasPrefix(c, s) && len(s) >= 2 {
			d = min(d, 1)
		}
		if d > 2 || (d == 2 && len(s) < 4) {
			continue
		}
		switch {
		case d < best:
			best, out = d, []string{c}
		case d == best:
			out = append(out, c)
		}
	}
	return out
}

// editDistance is the Levenshtein distance, with a swap of two adjacent
// letters counted once (the commonest typo).
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev2 := make([]int, len(rb)+1)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && ra[i-1] == rb[j-2] && ra[i-2] == rb[j-1] {
				cur[j] = min(cur[j], prev2[j-2]+1)
			}
		}
		prev2, prev, cur = prev, cur, prev2
	}
	return prev[len(rb)]
}

// flagError turns pflag's "unknown flag: --ouput" into a usage error that
// suggests the flag meant.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	name, ok := strings.CutPrefix(msg, "unknown flag: --")
	if !ok {
		return &exitError{code: exitUsage, err: err}
	}
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) {
		if !f.Hidden {
			names = append(names, f.Name)
		}
	})
	if s := didYouMean(name, names); len(s) > 0 {
		return usageError("unknown flag: --%s; did you mean --%s?", name, strings.Join(s, " or --"))
	}
	return &exitError{code: exitUsage, err: err}
}

// unknownCommand suggests the commands meant.
func unknownCommand(root *cobra.Command, name string) error {
	var names []string
	for _, c := range root.Commands() {
		if c.IsAvailableCommand() {
			names = append(names, c.Name())
		}
	}
	if s := didYouMean(name, names); len(s) > 0 {
		return usageError("unknown command %q; did you mean %s?", name, quoteAll(s))
	}
	return usageError("unknown command %q", name)
}

func quoteAll(s []string) string {
	q := make([]string, len(s))
	for i, v := range s {
		q[i] = fmt.Sprintf("%q", v)
	}
	return strings.Join(q, " or ")
}

// helpHint names the help of the command args run, or the root's.
func helpHint(root *cobra.Command, args []string) string {
	if c, _, err := root.Find(args); err == nil && c != nil && c != root {
		return "Run '" + c.CommandPath() + " --help' for usage."
	}
	return "Run 'accord --help' for usage."
}
