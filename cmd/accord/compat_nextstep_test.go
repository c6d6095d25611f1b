package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestCompatNextStepEntriesAccept: the accepted-breaks entries the markdown
// and github reports suggest, pasted as they are under `accepted:`, make the
// same comparison pass. A reviewer acting from the PR comment must not have
// to fix up what accord told them to write.
func TestCompatNextStepEntriesAccept(t *testing.T) {
	block := regexp.MustCompile("(?s)```yaml\n(.*?)    ```")
	flow := regexp.MustCompile(`%0Aaccepted:%0A  (- \{[^\n]*\})`)
	for _, tc := range []struct {
		format  string
		entries func(out string) []string
	}{
		{"markdown", func(out string) []string {
			var es []string
			for _, m := range block.FindAllStringSubmatch(out, -1) {
				es = append(es, m[1])
			}
			return es
		}},
		{"github", func(out string) []string {
			var es []string
			for _, m := range flow.FindAllStringSubmatch(out, -1) {
				es = append(es, "    "+m[1]+"\n")
			}
			return es
		}},
	} {
		t.Run(tc.format, func(t *testing.T) {
			dir := t.TempDir()
			for _, f := range []string{v1, v1Breaking} {
				copyFile(t, f, filepath.Join(dir, filepath.Base(f)))
			}
			args := []string{"compat", "--format", tc.format, "payments-v1.yaml", "payments-v1-breaking.yaml"}
			code, out, _ := runCLIIn(t, dir, "", args...)
			if code != exitFailed {
				t.Fatalf("exit %d before accepting, want 1", code)
			}
			entries := tc.entries(out)
			if len(entries) == 0 || !strings.Contains(out, "fingerprint") {
				t.Fatalf("the %s report suggests no accepted-breaks entry:\n%s", tc.format, out)
			}
			file := "accepted:\n" + strings.Join(entries, "")
			if err := os.WriteFile(filepath.Join(dir, ".accord-compat.yaml"), []byte(file), 0o644); err != nil {
				t.Fatal(err)
			}
			code, out, stderr := runCLIIn(t, dir, "", args...)
			if code != exitOK {
				t.Errorf("with the suggested entries: exit %d, want 0\n%s\nstderr: %s\nfile:\n%s", code, out, stderr, file)
			}
		})
	}
}
