package contracts

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Invalid cases live in testdata/contracts/invalid. Each case declares what
// must be reported in header comments (a sibling NAME.expect file for JSON):
//
//	# expect-class: syntax            (read|syntax|unsupported|invalid)
//	# expect-code: yaml-syntax        (the Problem.Code)
//	# expect-pos: 4:3                 (line:col, or just line)
//	# expect-message: mapping values  (a substring of the message)
//
// A case that loads but fails validation uses expect-class: invalid; the
// problem is then looked for among Validate's errors.
type expectation struct {
	class, code, pos, message string
}

func readExpectation(t *testing.T, file string) expectation {
	t.Helper()
	src := file
	if strings.HasSuffix(file, ".json") {
		src = file + ".expect"
	}
	data, err := os.ReadFile(src)
	if err != nil {
		t.Fatalf("reading expectations: %v", err)
	}
	var e expectation
	sc := bufio.NewScanner(bytes.NewReader(data))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		key, val, ok := strings.Cut(strings.TrimPrefix(line, "#"), ":")
		if !ok || !strings.HasPrefix(line, "#") {
			continue
		}
		val = strings.TrimSpace(val)
		switch strings.TrimSpace(key) {
		case "expect-class":
			e.class = val
		case "expect-code":
			e.code = val
		case "expect-pos":
			e.pos = val
		case "expect-message":
			e.message = val
		}
	}
	if e.class == "" || e.code == "" {
		t.Fatalf("%s: declare at least expect-class and expect-code", src)
	}
	return e
}

func caseFiles(t *testing.T, dir string) []string {
	t.Helper()
	return contractFiles(t, dir, "parts")
}

// contractFiles lists the JSON and YAML files under dir, skipping folders
// with the given names (those that only hold fragments other files $ref).
func contractFiles(t *testing.T, dir string, skip ...string) []string {
	t.Helper()
	var files []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if slices.Contains(skip, d.Name()) {
				return filepath.SkipDir
			}
			return nil
		}
		switch filepath.Ext(p) {
		case ".yaml", ".yml", ".json":
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return files
}

func TestInvalidContracts(t *testing.T) {
	files := caseFiles(t, "../testdata/contracts/invalid")
	if len(files) < 25 {
		t.Errorf("only %d invalid cases; the suite promises at least 25", len(files))
	}
	for _, file := range files {
		name, _ := filepath.Rel("../testdata/contracts/invalid", file)
		t.Run(name, func(t *testing.T) {
			want := readExpectation(t, file)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			problems, class := loadAndValidate(ctx, file)
			if class != want.class {
				t.Fatalf("class = %s, want %s; problems:\n%s", class, want.class, listProblems(problems))
			}
			for _, p := range problems {
				if p.Code != want.code || p.Severity != SeverityError {
					continue
				}
				if want.message != "" && !strings.Contains(p.Message, want.message) {
					continue
				}
				if want.pos != "" && !posMatches(p.Pos, want.pos) {
					t.Fatalf("%s reported at %s, want line:col %s", p.Code, p.Pos, want.pos)
				}
				if p.Pos.File == "" {
					t.Errorf("problem has no file: %v", p)
				}
				if p.Hint == "" {
					t.Errorf("problem tells the user nothing to do: %v", p)
				}
				return
			}
			t.Fatalf("no error %s containing %q; problems:\n%s", want.code, want.message, listProblems(problems))
		})
	}
}

func TestValidContracts(t *testing.T) {
	dirs := []string{"../testdata/contracts/valid", "../examples"}
	for _, dir := range dirs {
		if _, err := os.Stat(dir); err != nil {
			continue
		}
		for _, file := range caseFiles(t, dir) {
			if isFragment(file) {
				continue
			}
			t.Run(file, func(t *testing.T) {
				problems, class := loadAndValidate(context.Background(), file)
				if class != "" || HasErrors(problems) {
					t.Fatalf("valid contract rejected (%s):\n%s", class, listProblems(problems))
				}
			})
		}
	}
}

// isFragment tells apart contract roots from files that only hold parts
// other files $ref, and from non-contract YAML such as accord.yaml.
func isFragment(file string) bool {
	data, err := os.ReadFile(file)
	if err != nil {
		return false
	}
	return !topLevelVersion.Match(data) && !bytes.Contains(data, []byte(`"openapi"`)) && !bytes.Contains(data, []byte(`"asyncapi"`))
}

// loadAndValidate returns every problem and the failure class ("" when the
// document loaded and has no errors, "invalid" when validation found errors).
func loadAndValidate(ctx context.Context, file string) ([]Problem, string) {
	return loadAndValidateWith(ctx, file, LoadOptions{})
}

func loadAndValidateWith(ctx context.Context, file string, opts LoadOptions) ([]Problem, string) {
	doc, err := Load(ctx, file, opts)
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			return ce.Problems, ce.Class.String()
		}
		return []Problem{{Message: err.Error()}}, "unknown"
	}
	ps := Validate(ctx, doc)
	if HasErrors(ps) {
		return ps, ClassInvalid.String()
	}
	return ps, ""
}

func posMatches(p Position, want string) bool {
	if strings.Contains(want, ":") {
		return fmt.Sprintf("%d:%d", p.Line, p.Col) == want
	}
	return fmt.Sprint(p.Line) == want
}

func listProblems(ps []Problem) string {
	var b strings.Builder
	for _, p := range ps {
		fmt.Fprintf(&b, "  %s [%s]\n", p, p.Code)
	}
	return b.String()
}

// FuzzLoad feeds arbitrary bytes to the loader: it must neither panic nor hang.
func FuzzLoad(f *testing.F) {
	for _, dir := range []string{"../testdata/contracts/valid", "../testdata/contracts/invalid"} {
		files, _ := filepath.Glob(filepath.Join(dir, "*"))
		for _, file := range files {
			if data, err := os.ReadFile(file); err == nil {
				f.Add(data)
			}
		}
	}
	f.Add([]byte("openapi: 3.1.0\ninfo: {title: t, version: '1'}\npaths: {}\n"))
	f.Add([]byte(`{"asyncapi":"3.0.0","info":{"title":"t","version":"1"}}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		// Relative refs resolve inside an empty temporary directory, so a
		// fuzzed $ref cannot wander the file system.
		doc, err := LoadBytes(ctx, "fuzz.yaml", data, LoadOptions{Dir: dir})
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Fatalf("load error is not a positioned *Error: %v", err)
			}
			return
		}
		_ = Validate(ctx, doc)
		_ = doc.Pos("/paths")
	})
}
