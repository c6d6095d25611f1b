package runtime

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SQLInboxOptions configures NewSQLInbox.
type SQLInboxOptions struct {
	Table   string     // default "accord_inbox"
	Dialect SQLDialect // default DialectPostgres
}

// SQLInbox records processed (consumer group, message id) pairs in the
// transaction that carries the handler's effect. Two deliveries of one id
// racing on two replicas serialise on the primary key: the second insert
// waits for the first transaction and then finds the row (skip) or, if the
// first rolled back, takes over.
type SQLInbox struct {
	db      *sql.DB
	table   string
	dialect SQLDialect
	err     error
	now     func() time.Time

	qCreate, qIndex, qInsert, qPurge string
}

func NewSQLInbox(db *sql.DB, opt SQLInboxOptions) *SQLInbox {
	in := &SQLInbox{db: db, table: opt.Table, now: time.Now}
	if in.table == "" {
		in.table = "accord_inbox"
	}
	d := opt.Dialect
	if d == "" {
		d = DialectPostgres
	}
	in.dialect = d
	switch {
	case db == nil:
		in.err = errors.New("sql inbox: nil *sql.DB")
	case !rtValidTableName(in.table):
		in.err = fmt.Errorf("sql inbox: invalid table name %q", in.table)
	case d == DialectMySQL:
		t := in.table
		in.qCreate = "CREATE TABLE IF NOT EXISTS " + t + ` (
	consumer_group VARBINARY(255) NOT NULL,
	message_id VARBINARY(255) NOT NULL,
	processed_at BIGINT NOT NULL,
	PRIMARY KEY (consumer_group, message_id),
	INDEX (processed_at)
)`
		in.qInsert = "INSERT IGNORE INTO " + t + " (consumer_group, message_id, processed_at) VALUES (?, ?, ?)"
		in.qPurge = "DELETE FROM " + t + " WHERE processed_at <= ?"
	case d == DialectPostgres:
		t := in.table
		in.qCreate = "CREATE TABLE IF NOT EXISTS " + t + ` (
	consumer_group VARCHAR(255) NOT NULL,
	message_id VARCHAR(255) NOT NULL,
	processed_at BIGINT NOT NULL,
	PRIMARY KEY (consumer_group, message_id)
)`
		in.qIndex = "CREATE INDEX IF NOT EXISTS " + strings.ReplaceAll(t, ".", "_") + "_processed_idx ON " + t + " (processed_at)"
		in.qInsert = "INSERT INTO " + t + " (consumer_group, message_id, processed_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
		in.qPurge = "DELETE FROM " + t + " WHERE processed_at <= $1"
	default:
		in.err = fmt.Errorf("sql inbox: unknown dialect %q", d)
	}
	return in
}

// Migrate creates the table if missing.
func (in *SQLInbox) Migrate(ctx context.Context) error {
	if in.err != nil {
		return in.err
	}
	if _, err := in.db.ExecContext(ctx, in.qCreate); err != nil {
		return fmt.Errorf("create inbox table %s: %w", in.table, err)
	}
	if in.qIndex != "" {
		if _, err := in.db.ExecContext(ctx, in.qIndex); err != nil {
			return fmt.Errorf("create inbox index on %s: %w", in.table, err)
		}
	}
	return nil
}

// Once records (group, id) and runs fn in one transaction; see EventInbox.
func (in *SQLInbox) Once(ctx context.Context, group, id string, fn func(context.Context, *sql.Tx) error) (bool, error) {
	if in.err != nil {
		return false, in.err
	}
	tx, err := in.db.BeginTx(ctx, nil)
	if err != nil {
		return false, fmt.Errorf("inbox begin: %w", err)
	}
	res, err := tx.ExecContext(ctx, in.qInsert, group, id, in.now().UnixMilli())
	if err != nil {
		_ = tx.Rollback()
		return false, fmt.Errorf("inbox record %s/%s: %w", group, id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		_ = tx.Rollback()
		return false, fmt.Errorf("inbox record %s/%s: rows affected: %w", group, id, err)
	}
	if n == 0 {
		return true, tx.Rollback()
	}
	if err := fn(ctx, tx); err != nil {
		if rbErr := tx.Rollback(); rbErr != nil && !errors.Is(rbErr, sql.ErrTxDone) {
			return false, errors.Join(err, fmt.Errorf("inbox rollback: %w", rbErr))
		}
		return false, err
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("inbox commit %s/%s: %w", group, id, err)
	}
	return false, nil
}

// Purge deletes records older than retention; keep it longer than any
// redelivery can arrive (the broker's retention), or a late duplicate runs.
func (in *SQLInbox) Purge(ctx context.Context, retention time.Duration) (int64, error) {
	if in.err != nil {
		return 0, in.err
	}
	res, err := in.db.ExecContext(ctx, in.qPurge, in.now().Add(-retention).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("inbox purge %s: %w", in.table, err)
	}
	return res.RowsAffected()
}

// rtOnceAll runs fn for every id of a batch in one transaction, skipping
// recorded ids (dup[i]); one commit for the batch is what makes a busy
// consumer fast. Any failure rolls the whole batch back (ok false) and the
// caller handles its messages one by one, with retries and dead letters.
func (in *SQLInbox) rtOnceAll(ctx context.Context, group string, ids []string, fn func(ctx context.Context, tx *sql.Tx, i int) error) (dup []bool, ok bool) {
	if in.err != nil {
		return nil, false
	}
	tx, err := in.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, false
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	dup, err = in.recordAll(ctx, tx, group, ids)
	if err != nil {
		return nil, false
	}
	for i := range ids {
		if dup[i] {
			continue
		}
		if err := fn(ctx, tx, i); err != nil {
			return nil, false
		}
	}
	if tx.Commit() != nil {
		return nil, false
	}
	return dup, true
}

// rtInboxChunk ids per multi-row insert (two placeholders each) keep a
// statement well under PostgreSQL's 65,535 parameters.
const rtInboxChunk = 1000

// recordAll records (group, id) for every id in tx and reports which were
// recorded already (dup[i]); a later copy of an id within ids is a
// duplicate of its first. On PostgreSQL it is one INSERT … RETURNING per
// chunk instead of one round trip per id, which halves a batch's round
// trips when the handler writes one row per message. MySQL's INSERT IGNORE
// cannot say which rows it skipped, so there each id is its own insert.
func (in *SQLInbox) recordAll(ctx context.Context, tx *sql.Tx, group string, ids []string) ([]bool, error) {
	dup := make([]bool, len(ids))
	now := in.now().UnixMilli()
	if in.dialect != DialectPostgres {
		for i, id := range ids {
			res, err := tx.ExecContext(ctx, in.qInsert, group, id, now)
			if err != nil {
				return nil, fmt.Errorf("inbox record %s/%s: %w", group, id, err)
			}
			n, err := res.RowsAffected()
			if err != nil {
				return nil, fmt.Errorf("inbox record %s/%s: rows affected: %w", group, id, err)
			}
			dup[i] = n == 0
		}
		return dup, nil
	}
	for start := 0; start < len(ids); start += rtInboxChunk {
		chunk := ids[start:min(start+rtInboxChunk, len(ids))]
		var q strings.Builder
		q.WriteString("INSERT INTO " + in.table + " (consumer_group, message_id, processed_at) VALUES ")
		args := make([]any, 0, len(chunk)+2)
		args = append(args, group, now)
		for i, id := range chunk {
			if i > 0 {
				q.WriteString(", ")
			}
			q.WriteString("($1, $" + strconv.Itoa(i+3) + ", $2)")
			args = append(args, id)
		}
		q.WriteString(" ON CONFLICT DO NOTHING RETURNING message_id")
		rows, err := tx.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("inbox record %d ids of %s: %w", len(chunk), group, err)
		}
		fresh := make(map[string]bool, len(chunk))
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return nil, fmt.Errorf("inbox record %s: %w", group, err)
			}
			fresh[id] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("inbox record %s: %w", group, err)
		}
		for i, id := range chunk {
			// The first copy of an inserted id takes it; later copies and
			// ids recorded before are duplicates.
			dup[start+i] = !fresh[id]
			delete(fresh, id)
		}
	}
	return dup, nil
}
