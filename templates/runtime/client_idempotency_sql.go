package runtime

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// SQLCallStoreOptions configures NewSQLCallStore.
type SQLCallStoreOptions struct {
	Table   string     // default "accord_client_calls"; [schema.]name, letters, digits, underscores
	Dialect SQLDialect // default DialectPostgres
	Now     func() time.Time
}

// SQLCallStore shares client call records (IdempotencyClient) between
// replicas through database/sql, so a duplicate sent from another replica
// is answered from the record too. Times are unix milliseconds from the
// application clock, as in SQLIdempotencyStore.
type SQLCallStore struct {
	db      *sql.DB
	dialect SQLDialect
	table   string
	err     error
	now     func() time.Time

	qCreate, qIndex, qBegin, qDeleteExpired string
	qSelect, qFinish, qForget, qPurge       string
}

func NewSQLCallStore(db *sql.DB, opt SQLCallStoreOptions) *SQLCallStore {
	s := &SQLCallStore{db: db, dialect: opt.Dialect, table: opt.Table, now: opt.Now}
	if s.table == "" {
		s.table = "accord_client_calls"
	}
	if s.dialect == "" {
		s.dialect = DialectPostgres
	}
	if s.now == nil {
		s.now = time.Now
	}
	switch {
	case db == nil:
		s.err = errors.New("sql call store: nil *sql.DB")
	case !rtValidTableName(s.table):
		s.err = fmt.Errorf("sql call store: invalid table name %q", s.table)
	case s.dialect != DialectPostgres && s.dialect != DialectMySQL:
		s.err = fmt.Errorf("sql call store: unknown dialect %q", s.dialect)
	default:
		s.buildQueries()
	}
	return s
}

func (s *SQLCallStore) buildQueries() {
	t := s.table
	cols := "(operation_id, call_key, reference, state, status_code, header, body, lease_until, expires_at)"
	body, idx := "BYTEA", ""
	if s.dialect == DialectMySQL {
		body, idx = "LONGBLOB NULL", ",\n\tINDEX (expires_at)"
	}
	s.qCreate = "CREATE TABLE IF NOT EXISTS " + t + ` (
	operation_id VARCHAR(255) NOT NULL,
	call_key VARCHAR(255) NOT NULL,
	reference VARCHAR(64) NOT NULL,
	state SMALLINT NOT NULL,
	status_code INTEGER NOT NULL DEFAULT 0,
	header TEXT NULL,
	body ` + body + `,
	lease_until BIGINT NOT NULL,
	expires_at BIGINT NOT NULL,
	PRIMARY KEY (operation_id, call_key)` + idx + `
)`
	if s.dialect == DialectMySQL {
		s.qDeleteExpired = "DELETE FROM " + t + " WHERE operation_id = ? AND call_key = ? AND expires_at <= ?"
		s.qBegin = "INSERT IGNORE INTO " + t + " " + cols + " VALUES (?, ?, ?, ?, 0, NULL, NULL, ?, ?)"
		s.qSelect = "SELECT reference, state, status_code, header, body, lease_until, expires_at FROM " + t + " WHERE operation_id = ? AND call_key = ?"
		s.qFinish = "UPDATE " + t + " SET state = ?, status_code = ?, header = ?, body = ?, lease_until = 0, expires_at = ? WHERE operation_id = ? AND call_key = ? AND reference = ?"
		s.qForget = "DELETE FROM " + t + " WHERE operation_id = ? AND call_key = ? AND reference = ?"
		s.qPurge = "DELETE FROM " + t + " WHERE expires_at <= ?"
		return
	}
	s.qIndex = "CREATE INDEX IF NOT EXISTS " + rtIndexName(t) + "_expires_idx ON " + t + " (expires_at)"
	// One statement takes a free key or an expired row; ON CONFLICT's row
	// lock makes racing duplicates re-check the WHERE against the winner's
	// row, so exactly one of them affects a row and sends.
	s.qBegin = "INSERT INTO " + t + " AS cur " + cols + ` VALUES ($1, $2, $3, $4, 0, NULL, NULL, $5, $6)
ON CONFLICT (operation_id, call_key) DO UPDATE SET reference = EXCLUDED.reference, state = EXCLUDED.state,
status_code = 0, header = NULL, body = NULL, lease_until = EXCLUDED.lease_until, expires_at = EXCLUDED.expires_at
WHERE cur.expires_at <= $7`
	s.qSelect = "SELECT reference, state, status_code, header, body, lease_until, expires_at FROM " + t + " WHERE operation_id = $1 AND call_key = $2"
	s.qFinish = "UPDATE " + t + " SET state = $1, status_code = $2, header = $3, body = $4, lease_until = 0, expires_at = $5 WHERE operation_id = $6 AND call_key = $7 AND reference = $8"
	s.qForget = "DELETE FROM " + t + " WHERE operation_id = $1 AND call_key = $2 AND reference = $3"
	s.qPurge = "DELETE FROM " + t + " WHERE expires_at <= $1"
}

func rtIndexName(table string) string {
	b := []byte(table)
	for i, c := range b {
		if c == '.' {
			b[i] = '_'
		}
	}
	return string(b)
}

// Migrate creates the table (and, on PostgreSQL, the expiry index) if missing.
func (s *SQLCallStore) Migrate(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	if _, err := s.db.ExecContext(ctx, s.qCreate); err != nil {
		return fmt.Errorf("create client call table %s: %w", s.table, err)
	}
	if s.qIndex != "" {
		if _, err := s.db.ExecContext(ctx, s.qIndex); err != nil {
			return fmt.Errorf("create client call index on %s: %w", s.table, err)
		}
	}
	return nil
}

// rtCallKeyColumn keeps a long caller key within the column: its digest
// names the record instead (keys are compared, never shown).
func rtCallKeyColumn(key string) string {
	if len(key) <= 200 {
		return key
	}
	sum := sha256.Sum256([]byte(key))
	return "d:" + hex.EncodeToString(sum[:])
}

func (s *SQLCallStore) Begin(ctx context.Context, op, key string, rec CallRecord, ttl time.Duration) (CallRecord, bool, error) {
	if s.err != nil {
		return CallRecord{}, false, s.err
	}
	key = rtCallKeyColumn(key)
	lease := rec.LeaseUntil.UnixMilli()
	// A few rounds cover the row vanishing (forgotten) or expiring between
	// the insert and the read; more would mean a pathological race.
	for range 3 {
		now := s.now()
		exp := now.Add(ttl).UnixMilli()
		var res sql.Result
		var err error
		if s.dialect == DialectMySQL {
			if _, err = rtSQLExec(ctx, s.db, s.qDeleteExpired, op, key, now.UnixMilli()); err != nil {
				return CallRecord{}, false, fmt.Errorf("client call %s: delete expired: %w", op, err)
			}
			res, err = rtSQLExec(ctx, s.db, s.qBegin, op, key, rec.Reference, int(rec.State), lease, exp)
		} else {
			res, err = rtSQLExec(ctx, s.db, s.qBegin, op, key, rec.Reference, int(rec.State), lease, exp, now.UnixMilli())
		}
		if err != nil {
			return CallRecord{}, false, fmt.Errorf("client call %s: record: %w", op, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return CallRecord{}, false, fmt.Errorf("client call %s: rows affected: %w", op, err)
		}
		if n > 0 {
			return CallRecord{}, true, nil
		}
		cur, expires, found, err := s.load(ctx, op, key)
		if err != nil {
			return CallRecord{}, false, err
		}
		if found && now.Before(expires) {
			return rtLive(cur, now), false, nil
		}
	}
	return CallRecord{}, false, fmt.Errorf("client call %s: record kept changing under concurrent calls", op)
}

func (s *SQLCallStore) load(ctx context.Context, op, key string) (CallRecord, time.Time, bool, error) {
	var (
		rec          CallRecord
		state        int
		header       sql.NullString
		lease, exp   int64
		body         []byte
		readFailedAt = "client call " + op
	)
	err := s.db.QueryRowContext(ctx, s.qSelect, op, key).Scan(&rec.Reference, &state, &rec.Status, &header, &body, &lease, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return CallRecord{}, time.Time{}, false, nil
	}
	if err != nil {
		return CallRecord{}, time.Time{}, false, fmt.Errorf("%s: read: %w", readFailedAt, err)
	}
	if header.Valid && header.String != "" {
		if err := json.Unmarshal([]byte(header.String), &rec.Header); err != nil {
			return CallRecord{}, time.Time{}, false, fmt.Errorf("%s: decode headers: %w", readFailedAt, err)
		}
	}
	rec.State, rec.Body = CallState(state), body
	if lease > 0 {
		rec.LeaseUntil = time.UnixMilli(lease)
	}
	return rec, time.UnixMilli(exp), true, nil
}

func (s *SQLCallStore) Finish(ctx context.Context, op, key string, rec CallRecord, ttl time.Duration) error {
	if s.err != nil {
		return s.err
	}
	key = rtCallKeyColumn(key)
	h := rec.Header
	if h == nil {
		h = http.Header{}
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("client call %s: encode headers: %w", op, err)
	}
	body := rec.Body
	if body == nil {
		body = []byte{}
	}
	exp := s.now().Add(ttl).UnixMilli()
	res, err := s.db.ExecContext(ctx, s.qFinish, int(rec.State), rec.Status, string(hj), body, exp, op, key, rec.Reference)
	if err != nil {
		return fmt.Errorf("client call %s: record outcome: %w", op, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("client call %s: rows affected: %w", op, err)
	} else if n == 0 {
		return fmt.Errorf("client call %s: no record of reference %s (expired or settled)", op, rec.Reference)
	}
	return nil
}

func (s *SQLCallStore) Forget(ctx context.Context, op, key, ref string) error {
	if s.err != nil {
		return s.err
	}
	if _, err := s.db.ExecContext(ctx, s.qForget, op, rtCallKeyColumn(key), ref); err != nil {
		return fmt.Errorf("client call %s: forget: %w", op, err)
	}
	return nil
}

// Purge deletes expired records; run it periodically (expired records are
// already ignored, this only reclaims space). It returns how many went.
func (s *SQLCallStore) Purge(ctx context.Context) (int64, error) {
	if s.err != nil {
		return 0, s.err
	}
	res, err := s.db.ExecContext(ctx, s.qPurge, s.now().UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("purge client calls from %s: %w", s.table, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("purge client calls from %s: rows affected: %w", s.table, err)
	}
	return n, nil
}
