package contracts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
)

// maxContractBytes bounds what one contract file may hold, so that pointing
// accord at /dev/zero or a multi-gigabyte blob fails instead of exhausting memory.
const maxContractBytes = 512 << 20

// LoadOptions tune how Load reads its inputs.
type LoadOptions struct {
	// Stdin is read when the source is "-".
	Stdin io.Reader
	// Dir is the working directory for relative paths and git; empty means the
	// process's working directory.
	Dir string
	// AllowRemoteRefs lets $refs fetch http(s) documents. Off by default: a
	// contract must not make the generator or CI reach out to the network.
	AllowRemoteRefs bool
	// AllowRefsIn names directories, besides the root contract's own
	// directory tree, whose files $refs may read (relative to Dir). A
	// contract must not otherwise make accord read ../../secret.yaml or a
	// symlink out of the tree and copy its text into generated code or a
	// report. It does not apply to REV:path, whose $refs stay in the revision.
	AllowRefsIn []string
}

// origin says where a source's bytes live, so that relative $refs in it are
// read from the same place (the same git revision, the same directory).
type origin struct {
	dir string // working directory
	rev string // git revision; empty for the file system and stdin
	// root is the directory relative $refs resolve against: an absolute
	// directory for files and stdin, a repository-relative one for git.
	root string
	// allow are further directories file $refs may read (LoadOptions.AllowRefsIn).
	allow []string
}

// sourceFile is one file read for a document: the root or a $ref'd one.
type sourceFile struct {
	// name is what positions print: the path as the user wrote it, "<stdin>",
	// or "REV:path".
	name string
	// key is the resolved location used to match $refs to files.
	key  string
	data []byte
	// text and marks hold a YAML file's JSON conversion when loading made
	// one, so positions reuse it instead of parsing the YAML again.
	text  []byte
	marks []posMark
}

// readSource reads the root of a contract: a path, "-" or "REV:path".
func readSource(ctx context.Context, arg string, opts LoadOptions) (*sourceFile, origin, error) {
	dir := opts.Dir
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, origin{}, fail(ClassRead, Position{File: arg}, "read-failed",
				"cannot determine the working directory", "", err)
		}
		dir = wd
	}
	switch {
	case arg == "":
		return nil, origin{}, fail(ClassRead, Position{File: "(empty)"}, "no-input",
			"no contract given", "pass a file path, - for stdin, or REV:path for a git revision", nil)
	case arg == "-":
		if opts.Stdin == nil {
			return nil, origin{}, fail(ClassRead, Position{File: "<stdin>"}, "read-failed",
				"standard input is not available", "pass a file path instead of -", nil)
		}
		data, err := readBounded(opts.Stdin)
		if err != nil {
			return nil, origin{}, fail(ClassRead, Position{File: "<stdin>"}, "read-failed",
				"cannot read standard input: "+err.Error(), "", err)
		}
		return &sourceFile{name: "<stdin>", key: filepath.Join(dir, "<stdin>"), data: data},
			origin{dir: dir, root: dir}, nil
	}
	if rev, p, ok := splitRevPath(arg, dir); ok {
		repoPath, err := repoRelative(ctx, dir, p)
		if err != nil {
			return nil, origin{}, fail(ClassRead, Position{File: arg}, "git-failed",
				err.Error(), "run accord inside a git work tree, or pass a plain file path", err)
		}
		data, err := gitShow(ctx, dir, rev, repoPath)
		if err != nil {
			return nil, origin{}, fail(ClassRead, Position{File: arg}, "git-failed",
				err.Error(), "check the revision with `git rev-parse "+rev+"` and the path with `git ls-tree -r "+rev+" --name-only`", err)
		}
		return &sourceFile{name: arg, key: repoPath, data: data},
			origin{dir: dir, rev: rev, root: path.Dir(repoPath)}, nil
	}
	full := arg
	if !filepath.IsAbs(full) {
		full = filepath.Join(dir, full)
	}
	data, err := readFile(full)
	if err != nil {
		return nil, origin{}, fileError(arg, err)
	}
	return &sourceFile{name: arg, key: full, data: data}, origin{dir: dir, root: filepath.Dir(full)}, nil
}

// splitRevPath recognises REV:path. A name that exists on disk is always a
// path, so files with colons in their names still load.
func splitRevPath(arg, dir string) (rev, p string, ok bool) {
	i := strings.Index(arg, ":")
	if i <= 0 || i == len(arg)-1 {
		return "", "", false
	}
	full := arg
	if !filepath.IsAbs(full) {
		full = filepath.Join(dir, full)
	}
	if _, err := os.Stat(full); err == nil {
		return "", "", false
	}
	return arg[:i], arg[i+1:], true
}

func fileError(name string, err error) *Error {
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fail(ClassRead, Position{File: name}, "file-not-found", "file not found",
			"check the path; to read a git revision write REV:path, e.g. origin/main:"+filepath.ToSlash(name), err)
	case errors.Is(err, errIsDir):
		return fail(ClassRead, Position{File: name}, "is-directory", "is a directory, not a contract file",
			"name the contract file inside it", err)
	case errors.Is(err, errNotRegular):
		return fail(ClassRead, Position{File: name}, "not-regular-file", "not a regular file",
			"pass a contract file; to read a stream use - and pipe it to standard input", err)
	case errors.Is(err, fs.ErrPermission):
		return fail(ClassRead, Position{File: name}, "permission-denied", "permission denied",
			"make the file readable by this user", err)
	}
	return fail(ClassRead, Position{File: name}, "read-failed", "cannot read: "+err.Error(), "", err)
}

var (
	errIsDir      = errors.New("is a directory")
	errNotRegular = errors.New("not a regular file")
)

func readFile(name string) ([]byte, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, errIsDir
	}
	// Devices and pipes could stream forever; contracts are regular files
	// (stdin, the one stream accepted, is read through "-").
	if !st.Mode().IsRegular() {
		return nil, errNotRegular
	}
	return readBounded(f)
}

func readBounded(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxContractBytes+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxContractBytes {
		return nil, fmt.Errorf("larger than %d MiB", maxContractBytes>>20)
	}
	return data, nil
}

// repoRelative turns a path as git's REV:path syntax takes it into one
// relative to the repository root: "./x" and "../x" are relative to dir (as
// git itself treats them), anything else is already root-relative.
func repoRelative(ctx context.Context, dir, p string) (string, error) {
	p = filepath.ToSlash(p)
	if !strings.HasPrefix(p, "./") && !strings.HasPrefix(p, "../") {
		return path.Clean(p), nil
	}
	out, err := git(ctx, dir, "rev-parse", "--show-prefix")
	if err != nil {
		return "", err
	}
	rel := path.Clean(path.Join(strings.TrimSpace(string(out)), p))
	if strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("%s leaves the repository", p)
	}
	return rel, nil
}

func gitShow(ctx context.Context, dir, rev, repoPath string) ([]byte, error) {
	out, err := git(ctx, dir, "show", rev+":"+repoPath)
	if err != nil {
		return nil, err
	}
	if len(out) > maxContractBytes {
		return nil, fmt.Errorf("%s:%s is larger than %d MiB", rev, repoPath, maxContractBytes>>20)
	}
	return out, nil
}

func git(ctx context.Context, dir string, args ...string) ([]byte, error) {
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
		return nil, fmt.Errorf("git %s: %s", strings.Join(args, " "), msg)
	}
	return out, nil
}

// readRef reads a file a $ref points at, from the same place the root came from.
// key is the resolved location (absolute path, or repository-relative for git).
func (o origin) readRef(ctx context.Context, key string) ([]byte, error) {
	if err := o.confine(key); err != nil {
		return nil, err
	}
	if o.rev != "" {
		return gitShow(ctx, o.dir, o.rev, key)
	}
	return readFile(key)
}

// errRefOutside marks a $ref'd file outside the directories a contract may
// read; refOutside carries which.
var errRefOutside = errors.New("$ref reads a file outside the contract's directory tree")

type refOutside struct {
	key, root string
}

func (e *refOutside) Error() string { return errRefOutside.Error() + ": " + e.key }
func (e *refOutside) Unwrap() error { return errRefOutside }

// confine refuses a $ref'd file that is not inside the root contract's
// directory tree (or the revision's tree, for git) or a directory the
// caller allowed. Symlinks count where they lead: a link inside the tree to
// /etc is outside.
func (o origin) confine(key string) error {
	if o.rev != "" {
		if path.IsAbs(key) || key == ".." || strings.HasPrefix(key, "../") {
			return &refOutside{key: key, root: "the repository at " + o.rev}
		}
		return nil
	}
	roots := []string{o.root}
	for _, d := range o.allow {
		if !filepath.IsAbs(d) {
			d = filepath.Join(o.dir, d)
		}
		roots = append(roots, d)
	}
	lexical := false
	for _, r := range roots {
		if within(r, key) {
			lexical = true
			break
		}
	}
	if !lexical {
		return &refOutside{key: key, root: o.root}
	}
	real, err := filepath.EvalSymlinks(key)
	if err != nil {
		return nil // nothing there to read: the read reports it
	}
	for _, r := range roots {
		if rr, err := filepath.EvalSymlinks(r); err == nil && within(rr, real) {
			return nil
		}
	}
	return &refOutside{key: key, root: o.root}
}

// within reports whether p is dir or below it, lexically.
func within(dir, p string) bool {
	rel, err := filepath.Rel(dir, p)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel)
}

// displayName turns a resolved key back into something short to print.
func (o origin) displayName(key string) string {
	if o.rev != "" {
		return o.rev + ":" + key
	}
	if rel, err := filepath.Rel(o.dir, key); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return key
}
