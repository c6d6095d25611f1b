package main

import (
	"strings"
	"testing"
)

func TestSuggestions(t *testing.T) {
	for _, c := range []struct {
		args []string
		want []string
	}{
		{[]string{"gne"}, []string{`unknown command "gne"; did you mean "gen"?`, "Run 'accord --help' for usage."}},
		{[]string{"compt", "a", "b"}, []string{`did you mean "compat"?`}},
		{[]string{"xyzzy"}, []string{`unknown command "xyzzy"`}},
		{[]string{"gen", "--ouput", "x"}, []string{`unknown flag: --ouput; did you mean --output?`, "Run 'accord gen --help' for usage."}},
		{[]string{"compat", "--fail-no", "error", "a", "b"}, []string{"did you mean --fail-on?", "Run 'accord compat --help'"}},
		{[]string{"compat", "--format", "xml", "a", "b"}, []string{"Run 'accord compat --help' for usage."}},
	} {
		code, _, stderr := runCLI(t, "", c.args...)
		if code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", c.args, code, exitUsage, stderr)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr, w) {
				t.Errorf("%v: stderr %q lacks %q", c.args, stderr, w)
			}
		}
	}
	if got := didYouMean("vrify", []string{"verify", "validate"}); len(got) != 1 || got[0] != "verify" {
		t.Errorf("didYouMean(vrify) = %v", got)
	}
	if got := editDistance("gne", "gen"); got != 1 {
		t.Errorf("a swap costs %d", got)
	}
}

// TestFlagValueCompletions: every enumerated flag completes to the values
// its help lists, a list flag completes after its last comma, and the
// completion script asks the binary (cobra's __complete protocol).
func TestFlagValueCompletions(t *testing.T) {
	e := &env{stdout: &strings.Builder{}, stderr: &strings.Builder{}}
	root := newRoot(e)
	for cmdName, flags := range flagValues() {
		cmd, _, err := root.Find([]string{cmdName})
		if err != nil || cmd == root {
			t.Fatalf("no command %s", cmdName)
		}
		for flag, values := range flags {
			f := cmd.Flags().Lookup(flag)
			if f == nil {
				t.Errorf("%s has no --%s", cmdName, flag)
				continue
			}
			for _, v := range values {
				if !strings.Contains(f.Usage, v) && !strings.Contains(strings.ToUpper(f.Usage), strings.SplitN(v, "_", 2)[0]) {
					t.Errorf("%s --%s: help %q does not list %s", cmdName, flag, f.Usage, v)
				}
			}
			if _, ok := cmd.GetFlagCompletionFunc(flag); !ok {
				t.Errorf("%s --%s has no completion", cmdName, flag)
			}
		}
	}
	code, out, _ := runCLI(t, "", "__complete", "gen", "--generate", "models,cl")
	if code != 0 || !strings.Contains(out, "models,client\n") || strings.Contains(out, "models,models") {
		t.Errorf("completing --generate models,cl: exit %d, %q", code, out)
	}
	code, out, _ = runCLI(t, "", "__complete", "compat", "--format", "s")
	if code != 0 || !strings.Contains(out, "sarif\n") || strings.Contains(out, "text\n") {
		t.Errorf("completing --format s: %q", out)
	}
}
