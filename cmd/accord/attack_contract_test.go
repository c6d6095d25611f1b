package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"unicode/utf8"
)

// The CLI on hostile contracts (issue 7, items 12–15): each test runs the
// same run function as main on a fixture under testdata/hostile and fails
// on the behaviour the attack found.

const hostileDir = "../../testdata/hostile"

// TestAttackRecursiveSchemas: recursive schemas generate code that
// compiles; a cycle with no finite value is refused with its position by
// validate and gen alike. Before, gen died of a 1 GB stack overflow on all
// three.
func TestAttackRecursiveSchemas(t *testing.T) {
	out := t.TempDir()
	for _, c := range []struct{ file, pkg string }{
		{"recursive-properties.yaml", "recprops"},
		{"recursive-oneof.yaml", "reconeof"},
	} {
		code, stdout, stderr := runCLI(t, "", "gen", filepath.Join(hostileDir, c.file),
			"-o", filepath.Join(out, c.pkg), "-p", c.pkg, "--generate", "models")
		if code != exitOK {
			t.Fatalf("gen %s: exit %d\n%s%s", c.file, code, stdout, stderr)
		}
	}
	compileModule(t, out)

	cycle := filepath.Join(hostileDir, "recursive-allof-cycle.yaml")
	for _, args := range [][]string{
		{"validate", cycle},
		{"gen", cycle, "-o", filepath.Join(out, "cycle"), "-p", "cycle"},
	} {
		code, stdout, stderr := runCLI(t, "", args...)
		all := stdout + stderr
		if code != exitFailed {
			t.Fatalf("%s: exit %d, want %d\n%s", args[0], code, exitFailed, all)
		}
		if !strings.Contains(all, "recursive-allof-cycle.yaml:16:5: error: schema A contains itself") ||
			!strings.Contains(all, "A allOf/0 → B allOf/0 → A") {
			t.Errorf("%s does not name the cycle and its position:\n%s", args[0], all)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "cycle")); err == nil {
		t.Error("gen wrote files for a refused contract")
	}
}

// compileModule vets every package generated under dir as one module that
// requires what generated models import (versions and sums from our go.mod).
func compileModule(t *testing.T, dir string) {
	t.Helper()
	if testing.Short() {
		t.Skip("compiles generated code")
	}
	deps := []string{"github.com/oapi-codegen/runtime v1.8.0", "github.com/google/uuid v1.6.0", "github.com/apapsch/go-jsonmerge/v2 v2.0.0"}
	mod := "module accordattack\n\ngo 1.24\n\nrequire (\n\t" + strings.Join(deps, "\n\t") + "\n)\n"
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../../go.sum")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var sum strings.Builder
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		for _, d := range deps {
			if strings.HasPrefix(sc.Text(), d+" ") || strings.HasPrefix(sc.Text(), d+"/go.mod ") {
				sum.WriteString(sc.Text() + "\n")
			}
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), []byte(sum.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "vet", "./...")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOFLAGS=-mod=mod", "GOSUMDB=off", "GOWORK=off", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generated code does not compile: %v\n%s", err, b)
	}
}

// hostileSecret is written only in testdata/hostile/refs/outside.
const hostileSecret = "ACCORD-HOSTILE-SECRET-91d2"

// TestAttackRefOutside: a $ref that climbs out of the contract's directory,
// or an absolute file: URL, is refused by every command that loads
// contracts, with the ref and its position, and the outside file's text is
// printed or written nowhere. --allow-refs-in lets it be read.
func TestAttackRefOutside(t *testing.T) {
	contract := filepath.Join(hostileDir, "refs", "api", "contract.yaml")
	fileURL := filepath.Join(hostileDir, "refs", "api", "file-url.yaml")
	out := t.TempDir()
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"validate", contract}, `contract.yaml:13:31: error: $ref "../outside/secret.yaml#/Secret" reads a file outside the contract's directory tree`},
		{[]string{"validate", "--format", "json", contract}, `"code": "ref-outside"`},
		{[]string{"gen", contract, "-o", filepath.Join(out, "api"), "-p", "api"}, `$ref "../outside/secret.yaml#/Secret" reads a file outside`},
		{[]string{"compat", contract, contract}, `$ref "../outside/secret.yaml#/Secret" reads a file outside`},
		{[]string{"changelog", contract, contract}, `$ref "../outside/secret.yaml#/Secret" reads a file outside`},
		{[]string{"validate", fileURL}, `file-url.yaml:13:31: error: $ref "file:///etc/passwd#/Secret" is an absolute path`},
	} {
		code, stdout, stderr := runCLI(t, "", c.args...)
		if code == exitOK {
			t.Errorf("%v: accepted", c.args)
		}
		if !strings.Contains(stdout+stderr, c.want) {
			t.Errorf("%v: output lacks %q:\n%s%s", c.args, c.want, stdout, stderr)
		}
		if strings.Contains(stdout+stderr, hostileSecret) {
			t.Errorf("%v: the outside file's text was printed", c.args)
		}
	}
	if _, err := os.Stat(filepath.Join(out, "api")); err == nil {
		t.Error("gen wrote files for a contract with a refused $ref")
	}

	// Allowed explicitly, the same contract reads the file.
	allow := absPath(t, filepath.Join(hostileDir, "refs", "outside"))
	code, stdout, stderr := runCLI(t, "", "gen", contract, "-o", filepath.Join(out, "allowed"), "-p", "allowed", "--generate", "models", "--allow-refs-in", allow)
	if code != exitOK {
		t.Fatalf("--allow-refs-in: exit %d\n%s%s", code, stdout, stderr)
	}
	models, err := os.ReadFile(filepath.Join(out, "allowed", "accord_models.gen.go"))
	if err != nil || !strings.Contains(string(models), hostileSecret) {
		t.Fatalf("--allow-refs-in did not read the allowed file (%v)", err)
	}
}

// rawControl finds a control character that must not reach a terminal.
func rawControl(s string) (rune, bool) {
	for i, r := range s {
		if _, size := utf8.DecodeRuneInString(s[i:]); r == utf8.RuneError && size == 1 {
			return rune(s[i]), true // a byte that is not UTF-8
		}
		switch {
		case r == '\n' || r == '\t':
		case r < 0x20, r == 0x7f, r >= 0x80 && r <= 0x9f,
			r == 0x2028, r == 0x2029, r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069:
			return r, true
		}
	}
	return 0, false
}

var workflowCommand = regexp.MustCompile(`^::(error|warning|notice) [^:]*::`)

// TestAttackControlCharacters: ESC, OSC, CR, BEL, C1 and bidi characters in
// a contract's paths, operationIds, titles and descriptions are escaped in
// everything validate, gen and compat print, in every format, and in the
// generated code's comments; a GitHub annotation cannot start a second
// workflow command.
func TestAttackControlCharacters(t *testing.T) {
	base := filepath.Join(hostileDir, "control-chars.yaml")
	head := filepath.Join(hostileDir, "control-chars-head.yaml")
	out := t.TempDir()
	runs := [][]string{
		{"validate", filepath.Join(hostileDir, "control-chars-invalid.yaml")},
		{"validate", "--format", "json", filepath.Join(hostileDir, "control-chars-invalid.yaml")},
		{"validate", base},
		{"gen", filepath.Join(hostileDir, "control-chars-gen.yaml"), "-o", filepath.Join(out, "cc"), "-p", "cc"},
		{"gen", base, "-o", filepath.Join(out, "refused"), "-p", "refused"},
		{"changelog", base, head},
	}
	for _, f := range []string{"text", "json", "markdown", "github", "sarif", "junit"} {
		runs = append(runs, []string{"compat", "--format", f, base, head})
	}
	escaped := 0
	for _, args := range runs {
		_, stdout, stderr := runCLI(t, "", args...)
		for name, s := range map[string]string{"stdout": stdout, "stderr": stderr} {
			if r, bad := rawControl(s); bad {
				t.Errorf("%v: %s carries a raw %U:\n%q", args, name, r, s)
			}
		}
		all := stdout + stderr
		// A newline in a path must not start a line that a CI runner reads
		// as a workflow command, in any format.
		for _, line := range strings.Split(all, "\n") {
			if l := strings.TrimSpace(line); strings.HasPrefix(l, "::warning file=x.yaml") || strings.HasPrefix(l, "::error file=x.yaml") {
				t.Errorf("%v: a contract's newline started a workflow command: %q", args, line)
			}
		}
		if strings.Contains(all, `\x1b`) || strings.Contains(all, `\u001b`) || strings.Contains(all, `\u202e`) {
			escaped++
		}
		if args[0] == "compat" && args[2] == "github" {
			for _, line := range strings.Split(stdout, "\n") {
				if strings.HasPrefix(line, "::") && !workflowCommand.MatchString(line) {
					t.Errorf("a line is a workflow command accord did not mean: %q", line)
				}
			}
		}
	}
	// The hostile text was printed (escaped), not merely lost.
	if escaped < len(runs)-3 {
		t.Errorf("only %d of %d runs show the hostile text in escaped form", escaped, len(runs))
	}
	entries, err := os.ReadDir(filepath.Join(out, "cc"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue // the runtime package: accord's own sources
		}
		b, err := os.ReadFile(filepath.Join(out, "cc", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		if r, bad := rawControl(string(b)); bad {
			t.Errorf("generated %s carries a raw %U", e.Name(), r)
		}
	}
}

// TestAttackBadInputMessages: the three messages the attack found useless
// now name the file, line, column, the element and what to do.
func TestAttackBadInputMessages(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	for _, c := range []struct {
		name, content string
		want          []string
		not           string
	}{
		{"missing-components.yaml",
			"openapi: 3.0.3\ninfo: {title: t, version: '1'}\npaths:\n  /a:\n    get:\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema: {$ref: '#/components/schemas/Missing'}\n",
			[]string{`missing-components.yaml:11:31: error: $ref "#/components/schemas/Missing" points at nothing: the document has no "components" section`, "hint: point the $ref at an existing component"},
			"$ref  points"},
		{"no-paths.yaml", "openapi: 3.0.3\ninfo: {title: t, version: '1'}\n",
			[]string{"no-paths.yaml:1:1: error: the document has no paths", "hint: add `paths:`"},
			": error: must be an object"},
		{"paths-array.json", `{"openapi": "3.0.3", "info": {"title": "t", "version": "1"}, "paths": []}`,
			[]string{"paths-array.json:1:62: error: paths must be an object (a map of paths to Path Item Objects), not a list", "hint: write paths as an object"},
			"map[string]interface"},
	} {
		file := write(c.name, c.content)
		code, stdout, stderr := runCLI(t, "", "validate", file)
		if code != exitFailed {
			t.Errorf("%s: exit %d, want %d", c.name, code, exitFailed)
		}
		for _, w := range c.want {
			if !strings.Contains(stderr+stdout, w) {
				t.Errorf("%s: output lacks %q:\n%s%s", c.name, w, stdout, stderr)
			}
		}
		if strings.Contains(stderr+stdout, c.not) {
			t.Errorf("%s: still says %q", c.name, c.not)
		}
	}
}
