package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// TestActionUsesRealFlags: every flag the GitHub Action (action.yml)
// passes to accord exists on that command, so renaming a flag cannot break
// the users' CI silently.
func TestActionUsesRealFlags(t *testing.T) {
	data, err := os.ReadFile("../../action.yml")
	if err != nil {
		t.Fatal(err)
	}
	// Join continued lines, then read each accord invocation.
	text := strings.ReplaceAll(string(data), "\\\n", " ")
	calls := regexp.MustCompile(`"\$RUNNER_TEMP/accord" (\w+)([^\n]*)`).FindAllStringSubmatch(text, -1)
	if len(calls) < 2 {
		t.Fatalf("found %d accord calls in action.yml", len(calls))
	}
	root := newRoot(&env{stdout: &strings.Builder{}, stderr: &strings.Builder{}})
	for _, c := range calls {
		cmd, _, err := root.Find([]string{c[1]})
		if err != nil || cmd == root {
			t.Errorf("action.yml calls unknown command %q", c[1])
			continue
		}
		for _, f := range regexp.MustCompile(`--([a-z-]+)`).FindAllStringSubmatch(c[2], -1) {
			if cmd.Flags().Lookup(f[1]) == nil {
				t.Errorf("action.yml passes --%s to %s, which has no such flag", f[1], c[1])
			}
		}
	}
}
