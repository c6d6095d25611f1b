package main

import (
	"errors"
	"fmt"
)

// Exit codes, the one place they are defined (README lists them).
const (
	exitOK = 0
	// exitFailed: the check ran and failed (breaking changes, stale generated
	// code, an invalid contract).
	exitFailed = 1
	// exitUsage: the command line is wrong.
	exitUsage = 2
	// exitInput: an input could not be read or parsed.
	exitInput = 3
)

// exitError carries an exit code up to run. A nil Err means the command has
// already reported everything it had to say.
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string {
	if e.err == nil {
		return fmt.Sprintf("exit %d", e.code)
	}
	return e.err.Error()
}

func (e *exitError) Unwrap() error { return e.err }

func usageError(format string, args ...any) error {
	return &exitError{code: exitUsage, err: fmt.Errorf(format, args...)}
}

// silentExit ends the command with code once its output is written.
func silentExit(code int) error {
	if code == exitOK {
		return nil
	}
	return &exitError{code: code}
}

func exitCode(err error) int {
	if err == nil {
		return exitOK
	}
	var ee *exitError
	if errors.As(err, &ee) {
		return ee.code
	}
	return exitFailed
}
