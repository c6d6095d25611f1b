package contracts

import (
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
)

// Where a contract's $refs may read from: the root contract's directory
// tree (the revision's tree for REV:path, the working directory for stdin)
// and the directories LoadOptions.AllowRefsIn names. origin.confine decides
// for each file; this file turns a refusal into a positioned problem.

// jsonRef finds $ref values in JSON text (a JSON contract, or the JSON a
// YAML one was converted to), where quotes inside strings are escaped, so a
// description that mentions "$ref" is not taken for one.
var jsonRef = regexp.MustCompile(`"\$ref"\s*:\s*("(?:[^"\\]|\\.)*")`)

// refsIn lists the $ref values written in f.
func refsIn(f *sourceFile) []string {
	text := f.text
	if text == nil {
		text = f.data
	}
	var out []string
	for _, m := range jsonRef.FindAllSubmatch(text, -1) {
		if v, err := strconv.Unquote(string(m[1])); err == nil {
			out = append(out, v)
		}
	}
	return out
}

// absoluteRefs refuses $refs written as absolute paths or file: URLs: they
// name a place on the machine that reads the contract, not a file that
// travels with it.
func absoluteRefs(f *sourceFile) error {
	for _, ref := range refsIn(f) {
		file, _, _ := strings.Cut(ref, "#")
		if file == "" {
			continue
		}
		lower := strings.ToLower(file)
		isDrive := len(file) > 2 && file[1] == ':' && (file[2] == '\\' || file[2] == '/')
		if strings.HasPrefix(lower, "file:") || path.IsAbs(file) || filepath.IsAbs(file) || isDrive || strings.HasPrefix(file, `\\`) {
			return fail(ClassInvalid, refPos(f, nil, ref), "absolute-ref",
				"$ref "+strconv.Quote(ref)+" is an absolute path; accord reads $refs relative to the file that holds them",
				"write the path relative to this file (e.g. ./schemas/common.yaml) and keep the file inside the contract's directory", nil)
		}
	}
	return nil
}

// refusedRef reports the first $ref (in the files read so far) whose value
// starts with prefix.
func refusedRef(src *sourceFile, files []*sourceFile, prefix, code, what, hint string) *Error {
	for _, f := range append([]*sourceFile{src}, files...) {
		for _, ref := range refsIn(f) {
			if strings.HasPrefix(strings.ToLower(ref), prefix) {
				return fail(ClassInvalid, refPos(f, nil, ref), code, "$ref "+strconv.Quote(ref)+" "+what, hint, nil)
			}
		}
	}
	return fail(ClassInvalid, Position{File: src.name}, code, "a $ref "+what, hint, nil)
}

// outsideRefError names the $ref that resolved to a file outside the
// allowed directories, where it is written, and what to do.
func outsideRefError(src *sourceFile, files []*sourceFile, org origin, out *refOutside) *Error {
	ref, pos := "", Position{File: src.name}
	for _, f := range append([]*sourceFile{src}, files...) {
		for _, r := range refsIn(f) {
			file, _, _ := strings.Cut(r, "#")
			if file == "" {
				continue
			}
			var key string
			if org.rev != "" {
				key = path.Clean(path.Join(path.Dir(f.key), file))
			} else {
				key = filepath.Join(filepath.Dir(f.key), filepath.FromSlash(file))
			}
			if key == out.key {
				ref, pos = r, refPos(f, nil, r)
				break
			}
		}
		if ref != "" {
			break
		}
	}
	where := "the contract's directory tree"
	dir := filepath.Dir(out.key)
	if rel, err := filepath.Rel(org.dir, dir); err == nil {
		dir = rel
	}
	hint := "move the file into the contract's directory (or below it) and $ref it from there; to read it where it is, pass --allow-refs-in " + dir
	if org.rev != "" {
		where = out.root
		hint = "keep referenced files inside the repository"
	}
	msg := "$ref " + strconv.Quote(ref) + " reads a file outside " + where + "; it was not read"
	if ref == "" {
		msg = "a $ref reads a file outside " + where + " (" + org.displayName(out.key) + "); it was not read"
	}
	return fail(ClassInvalid, pos, "ref-outside", msg, hint, out)
}
