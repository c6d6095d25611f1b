package runtime

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"strings"
	"time"
)

// rtSQLAttempts bounds the retries of a statement the engine aborted to
// break a deadlock. InnoDB picks such victims among concurrent
// DELETE / INSERT IGNORE pairs on the same key (gap locks), and the
// engine's own advice is to run the statement again; the claim it
// protects is still decided by the unique key, so a retry cannot let two
// callers win.
const rtSQLAttempts = 6

// rtSQLExec runs q on db, retrying deadlock victims and serialization
// failures with a short jittered pause; any other error, and the last
// retryable one, is returned as it came.
func rtSQLExec(ctx context.Context, db *sql.DB, q string, args ...any) (sql.Result, error) {
	pause := 2 * time.Millisecond
	for attempt := 1; ; attempt++ {
		res, err := db.ExecContext(ctx, q, args...)
		if err == nil || attempt == rtSQLAttempts || !rtSQLRetryable(err) {
			return res, err
		}
		t := time.NewTimer(pause/2 + rand.N(pause))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, errors.Join(err, ctx.Err())
		case <-t.C:
		}
		pause *= 2
	}
}

// rtSQLRetryable reports a deadlock victim or a serialization failure
// (SQLSTATE 40001, and PostgreSQL's 40P01). The runtime names no driver,
// so it asks for the SQLState method pgx's errors have and, for the MySQL
// driver, whose error has no such method, reads the code from the
// message it formats as "Error 1213 (40001): ...".
func rtSQLRetryable(err error) bool {
	var st interface{ SQLState() string }
	if errors.As(err, &st) {
		s := st.SQLState()
		return s == "40001" || s == "40P01"
	}
	return strings.Contains(err.Error(), "Error 1213 (40001)")
}
