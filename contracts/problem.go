package contracts

import (
	"fmt"
	"strings"
)

// Position is a place in a contract file. Line and Col are 1-based; zero means
// unknown (the file itself is still worth naming).
type Position struct {
	File string `json:"file"`
	Line int    `json:"line,omitempty"`
	Col  int    `json:"col,omitempty"`
}

func (p Position) String() string {
	switch {
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Severity says whether a problem makes the contract unusable.
type Severity string

const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Problem is one thing wrong with a contract: where, what, and what to do.
type Problem struct {
	Pos      Position `json:"position"`
	Severity Severity `json:"severity"`
	// Code is a stable kebab-case identifier, safe to match on in scripts.
	Code    string `json:"code"`
	Message string `json:"message"`
	Hint    string `json:"hint,omitempty"`
}

func (p Problem) String() string {
	s := p.Pos.String() + ": " + string(p.Severity) + ": " + p.Message
	if p.Hint != "" {
		s += " (" + p.Hint + ")"
	}
	return s
}

// Class groups load failures by what the caller can do about them; the CLI
// maps it to an exit code.
type Class int

const (
	// ClassRead: the input could not be read (missing file, bad git revision).
	ClassRead Class = iota + 1
	// ClassSyntax: the bytes are not JSON or YAML.
	ClassSyntax
	// ClassUnsupported: well-formed, but not a contract kind or version accord handles.
	ClassUnsupported
	// ClassInvalid: a supported contract that breaks the specification
	// (dangling or cyclic $ref, missing required fields, bad x-accord).
	ClassInvalid
)

func (c Class) String() string {
	switch c {
	case ClassRead:
		return "read"
	case ClassSyntax:
		return "syntax"
	case ClassUnsupported:
		return "unsupported"
	case ClassInvalid:
		return "invalid"
	}
	return "unknown"
}

// Error is what Load returns when a contract cannot be turned into a Document.
// It always carries at least one Problem.
type Error struct {
	Class    Class
	Problems []Problem
	// Err is the underlying cause, kept for errors.Is/As; its text is already
	// folded into the problems.
	Err error
}

func (e *Error) Error() string {
	lines := make([]string, 0, len(e.Problems))
	for _, p := range e.Problems {
		lines = append(lines, p.String())
	}
	return strings.Join(lines, "\n")
}

func (e *Error) Unwrap() error { return e.Err }

// fail builds a single-problem Error.
func fail(class Class, pos Position, code, msg, hint string, cause error) *Error {
	return &Error{
		Class: class,
		Problems: []Problem{{
			Pos: pos, Severity: SeverityError, Code: code, Message: msg, Hint: hint,
		}},
		Err: cause,
	}
}

// HasErrors reports whether any problem is an error rather than a warning.
func HasErrors(ps []Problem) bool {
	for _, p := range ps {
		if p.Severity == SeverityError {
			return true
		}
	}
	return false
}
