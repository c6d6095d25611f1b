package runtime

import (
	"errors"
	"fmt"
	"testing"
)

type sqlStateErr string

func (e sqlStateErr) Error() string    { return "pg: " + string(e) }
func (e sqlStateErr) SQLState() string { return string(e) }

func TestSQLRetryable(t *testing.T) {
	for _, c := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("claim: %w", sqlStateErr("40001")), true},
		{sqlStateErr("40P01"), true},
		{sqlStateErr("23505"), false},
		{errors.New("Error 1213 (40001): Deadlock found when trying to get lock; try restarting transaction"), true},
		{errors.New("Error 1205 (HY000): Lock wait timeout exceeded"), false},
		{errors.New("Error 1062 (23000): Duplicate entry"), false},
	} {
		if got := rtSQLRetryable(c.err); got != c.want {
			t.Errorf("rtSQLRetryable(%q) = %v, want %v", c.err, got, c.want)
		}
	}
}
