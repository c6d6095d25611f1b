package runtime

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// SQLReplayOptions configures NewSQLReplayCache.
type SQLReplayOptions struct {
	Table   string     // default "accord_replay"; [schema.]name, letters, digits, underscores
	Dialect SQLDialect // default DialectPostgres
}

// SQLReplayCache shares accepted signatures between replicas and across
// restarts through database/sql, so a captured request or webhook replayed
// to another replica, or after a deploy, is still refused. Rows hold the
// replay id and its expiry in unix milliseconds; Purge removes expired ones.
type SQLReplayCache struct {
	db      *sql.DB
	dialect SQLDialect
	table   string
	err     error
	now     func() time.Time

	qCreate, qIndex, qSeen, qDeleteExpired, qPurge, qForget string
}

func NewSQLReplayCache(db *sql.DB, opt SQLReplayOptions) *SQLReplayCache {
	c := &SQLReplayCache{db: db, dialect: opt.Dialect, table: opt.Table, now: time.Now}
	if c.table == "" {
		c.table = "accord_replay"
	}
	if c.dialect == "" {
		c.dialect = DialectPostgres
	}
	switch {
	case db == nil:
		c.err = errors.New("sql replay cache: nil *sql.DB")
	case !rtValidTableName(c.table):
		c.err = fmt.Errorf("sql replay cache: invalid table name %q", c.table)
	case c.dialect != DialectPostgres && c.dialect != DialectMySQL:
		c.err = fmt.Errorf("sql replay cache: unknown dialect %q", c.dialect)
	default:
		c.buildQueries()
	}
	return c
}

func (c *SQLReplayCache) buildQueries() {
	t := c.table
	if c.dialect == DialectMySQL {
		// VARBINARY compares bytes: the default collations would make two
		// nonces differing in case one id.
		c.qCreate = "CREATE TABLE IF NOT EXISTS " + t + ` (
	id VARBINARY(255) NOT NULL PRIMARY KEY,
	expires_at BIGINT NOT NULL,
	INDEX (expires_at)
)`
		c.qDeleteExpired = "DELETE FROM " + t + " WHERE id = ? AND expires_at <= ?"
		// INSERT IGNORE affects no row when the id is present, whatever
		// the driver's found-rows setting, so 0 rows means "seen".
		c.qSeen = "INSERT IGNORE INTO " + t + " (id, expires_at) VALUES (?, ?)"
		c.qPurge = "DELETE FROM " + t + " WHERE expires_at <= ?"
		c.qForget = "DELETE FROM " + t + " WHERE id = ?"
		return
	}
	c.qCreate = "CREATE TABLE IF NOT EXISTS " + t + ` (
	id VARCHAR(255) NOT NULL PRIMARY KEY,
	expires_at BIGINT NOT NULL
)`
	c.qIndex = "CREATE INDEX IF NOT EXISTS " + strings.ReplaceAll(t, ".", "_") + "_expires_idx ON " + t + " (expires_at)"
	// Insert, or take over an expired row, in one statement: concurrent
	// callers serialise on the row lock, so exactly one affects a row.
	c.qSeen = "INSERT INTO " + t + ` AS cur (id, expires_at) VALUES ($1, $2)
ON CONFLICT (id) DO UPDATE SET expires_at = EXCLUDED.expires_at WHERE cur.expires_at <= $3`
	c.qPurge = "DELETE FROM " + t + " WHERE expires_at <= $1"
	c.qForget = "DELETE FROM " + t + " WHERE id = $1"
}

// Migrate creates the table (and, on PostgreSQL, the expiry index) if missing.
func (c *SQLReplayCache) Migrate(ctx context.Context) error {
	if c.err != nil {
		return c.err
	}
	if _, err := c.db.ExecContext(ctx, c.qCreate); err != nil {
		return fmt.Errorf("create replay table %s: %w", c.table, err)
	}
	if c.qIndex != "" {
		if _, err := c.db.ExecContext(ctx, c.qIndex); err != nil {
			return fmt.Errorf("create replay index on %s: %w", c.table, err)
		}
	}
	return nil
}

func (c *SQLReplayCache) Seen(ctx context.Context, id string, until time.Time) (bool, error) {
	if c.err != nil {
		return false, c.err
	}
	key := rtReplayKey(id)
	now := c.now().UnixMilli()
	var res sql.Result
	var err error
	if c.dialect == DialectMySQL {
		if _, err = rtSQLExec(ctx, c.db, c.qDeleteExpired, key, now); err != nil {
			return false, fmt.Errorf("replay cache %s: delete expired: %w", c.table, err)
		}
		res, err = rtSQLExec(ctx, c.db, c.qSeen, key, until.UnixMilli())
	} else {
		res, err = rtSQLExec(ctx, c.db, c.qSeen, key, until.UnixMilli(), now)
	}
	if err != nil {
		return false, fmt.Errorf("replay cache %s: %w", c.table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("replay cache %s: rows affected: %w", c.table, err)
	}
	return n == 0, nil
}

// Forget drops id (see ReplayForgetter).
func (c *SQLReplayCache) Forget(ctx context.Context, id string) error {
	if c.err != nil {
		return c.err
	}
	if _, err := c.db.ExecContext(ctx, c.qForget, rtReplayKey(id)); err != nil {
		return fmt.Errorf("replay cache %s: forget: %w", c.table, err)
	}
	return nil
}

// Purge deletes expired ids; run it periodically (ids are never reused, so
// their rows are otherwise kept forever).
func (c *SQLReplayCache) Purge(ctx context.Context) (int64, error) {
	if c.err != nil {
		return 0, c.err
	}
	res, err := c.db.ExecContext(ctx, c.qPurge, c.now().UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("replay purge %s: %w", c.table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("replay purge %s: rows affected: %w", c.table, err)
	}
	return n, nil
}
