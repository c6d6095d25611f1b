package runtime

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// SQLDialect selects placeholder style and upsert syntax.
type SQLDialect string

const (
	DialectPostgres SQLDialect = "postgres" // $1 placeholders, INSERT ... ON CONFLICT
	DialectMySQL    SQLDialect = "mysql"    // ? placeholders, INSERT IGNORE (MySQL, MariaDB)
)

// SQLStoreOptions configures NewSQLIdempotencyStore.
type SQLStoreOptions struct {
	Table   string     // default "accord_idempotency"; [schema.]name, letters, digits, underscores
	Dialect SQLDialect // default DialectPostgres
}

// SQLIdempotencyStore shares idempotency records between replicas through
// database/sql; the caller opens the *sql.DB with the driver of its choice.
// Expiry times are stored as unix milliseconds from the application clock so
// the schema is the same on every database and needs no timezone handling.
type SQLIdempotencyStore struct {
	db      *sql.DB
	dialect SQLDialect
	table   string
	err     error // invalid options, reported by every method
	now     func() time.Time

	qCreate, qIndex        string
	qClaim, qDeleteExpired string
	qSelect                string
	qComplete, qInsertDone string
	qRelease, qPurge       string
	qShape                 string
}

func NewSQLIdempotencyStore(db *sql.DB, opt SQLStoreOptions) *SQLIdempotencyStore {
	s := &SQLIdempotencyStore{db: db, dialect: opt.Dialect, table: opt.Table, now: time.Now}
	if s.table == "" {
		s.table = "accord_idempotency"
	}
	if s.dialect == "" {
		s.dialect = DialectPostgres
	}
	switch {
	case db == nil:
		s.err = errors.New("sql idempotency store: nil *sql.DB")
	case !rtValidTableName(s.table):
		s.err = fmt.Errorf("sql idempotency store: invalid table name %q", s.table)
	case s.dialect != DialectPostgres && s.dialect != DialectMySQL:
		s.err = fmt.Errorf("sql idempotency store: unknown dialect %q", s.dialect)
	default:
		s.buildQueries()
	}
	return s
}

// rtValidTableName keeps the table name safe to splice into SQL, which is
// unavoidable: identifiers cannot be bound as parameters.
func rtValidTableName(t string) bool {
	parts := strings.Split(t, ".")
	if len(parts) > 2 {
		return false
	}
	for _, p := range parts {
		if p == "" || len(p) > 63 {
			return false
		}
		for i := 0; i < len(p); i++ {
			c := p[i]
			letter := c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
			if !letter && (i == 0 || c < '0' || c > '9') {
				return false
			}
		}
	}
	return true
}

func (s *SQLIdempotencyStore) buildQueries() {
	t := s.table
	cols := "(scope, operation_id, idempotency_key, fingerprint, done, status_code, header, body, expires_at)"
	if s.dialect == DialectMySQL {
		// VARBINARY compares bytes (the default collations would make keys
		// differing only in case one record) and keeps the primary key
		// well within InnoDB's 3072-byte limit.
		s.qCreate = "CREATE TABLE IF NOT EXISTS " + t + ` (
	scope VARBINARY(128) NOT NULL,
	operation_id VARBINARY(255) NOT NULL,
	idempotency_key VARBINARY(255) NOT NULL,
	fingerprint VARCHAR(64) NOT NULL,
	done BOOLEAN NOT NULL DEFAULT FALSE,
	status_code INTEGER NOT NULL DEFAULT 0,
	header TEXT NULL,
	body LONGBLOB NULL,
	expires_at BIGINT NOT NULL,
	PRIMARY KEY (scope, operation_id, idempotency_key),
	INDEX (expires_at)
)`
		s.qDeleteExpired = "DELETE FROM " + t + " WHERE scope = ? AND operation_id = ? AND idempotency_key = ? AND expires_at <= ?"
		s.qClaim = "INSERT IGNORE INTO " + t + " " + cols + " VALUES (?, ?, ?, ?, FALSE, 0, NULL, NULL, ?)"
		s.qSelect = "SELECT fingerprint, done, status_code, header, body, expires_at FROM " + t + " WHERE scope = ? AND operation_id = ? AND idempotency_key = ?"
		s.qComplete = "UPDATE " + t + " SET done = TRUE, status_code = ?, header = ?, body = ?, expires_at = ? WHERE scope = ? AND operation_id = ? AND idempotency_key = ? AND fingerprint = ? AND done = FALSE"
		s.qInsertDone = "INSERT IGNORE INTO " + t + " " + cols + " VALUES (?, ?, ?, ?, TRUE, ?, ?, ?, ?)"
		s.qRelease = "DELETE FROM " + t + " WHERE scope = ? AND operation_id = ? AND idempotency_key = ? AND done = FALSE"
		s.qPurge = "DELETE FROM " + t + " WHERE expires_at <= ?"
		s.qShape = rtShapeQuery(t)
		return
	}
	s.qCreate = "CREATE TABLE IF NOT EXISTS " + t + ` (
	scope VARCHAR(128) NOT NULL,
	operation_id VARCHAR(255) NOT NULL,
	idempotency_key VARCHAR(255) NOT NULL,
	fingerprint VARCHAR(64) NOT NULL,
	done BOOLEAN NOT NULL DEFAULT FALSE,
	status_code INTEGER NOT NULL DEFAULT 0,
	header TEXT,
	body BYTEA,
	expires_at BIGINT NOT NULL,
	PRIMARY KEY (scope, operation_id, idempotency_key)
)`
	s.qShape = rtShapeQuery(t)
	s.qIndex = "CREATE INDEX IF NOT EXISTS " + strings.ReplaceAll(t, ".", "_") + "_expires_idx ON " + t + " (expires_at)"
	// One statement claims a free key or takes over an expired row; the row
	// lock taken by ON CONFLICT makes concurrent claimers re-check the WHERE
	// against the winner's row, so exactly one of them affects a row.
	s.qClaim = "INSERT INTO " + t + " AS cur " + cols + ` VALUES ($1, $2, $3, $4, FALSE, 0, NULL, NULL, $5)
ON CONFLICT (scope, operation_id, idempotency_key) DO UPDATE SET fingerprint = EXCLUDED.fingerprint, done = FALSE,
status_code = 0, header = NULL, body = NULL, expires_at = EXCLUDED.expires_at WHERE cur.expires_at <= $6`
	s.qSelect = "SELECT fingerprint, done, status_code, header, body, expires_at FROM " + t + " WHERE scope = $1 AND operation_id = $2 AND idempotency_key = $3"
	s.qComplete = "UPDATE " + t + " SET done = TRUE, status_code = $1, header = $2, body = $3, expires_at = $4 WHERE scope = $5 AND operation_id = $6 AND idempotency_key = $7 AND fingerprint = $8 AND done = FALSE"
	s.qInsertDone = "INSERT INTO " + t + " " + cols + " VALUES ($1, $2, $3, $4, TRUE, $5, $6, $7, $8) ON CONFLICT (scope, operation_id, idempotency_key) DO NOTHING"
	s.qRelease = "DELETE FROM " + t + " WHERE scope = $1 AND operation_id = $2 AND idempotency_key = $3 AND done = FALSE"
	s.qPurge = "DELETE FROM " + t + " WHERE expires_at <= $1"
}

// rtShapeQuery selects the columns the current schema needs; it fails on a
// table an older accord created, keyed without the caller's scope.
func rtShapeQuery(t string) string {
	return "SELECT scope, operation_id, idempotency_key FROM " + t + " WHERE 1 = 0"
}

// Migrate creates the table (and, on PostgreSQL, the expiry index) if
// missing. A table of the old shape, keyed by (operation_id,
// idempotency_key) without the caller's scope, is refused rather than
// used: mixing the two would replay one tenant's answers to another.
func (s *SQLIdempotencyStore) Migrate(ctx context.Context) error {
	if s.err != nil {
		return s.err
	}
	if _, err := s.db.ExecContext(ctx, s.qCreate); err != nil {
		return fmt.Errorf("create idempotency table %s: %w", s.table, err)
	}
	rows, err := s.db.QueryContext(ctx, s.qShape)
	if err != nil {
		return fmt.Errorf("idempotency table %s has the pre-scope shape (primary key (operation_id, idempotency_key)): "+
			"records are now keyed by (scope, operation_id, idempotency_key); drop the table once its records have "+
			"expired, or set SQLStoreOptions.Table to a new table: %w", s.table, err)
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("check idempotency table %s: %w", s.table, err)
	}
	if s.qIndex != "" {
		if _, err := s.db.ExecContext(ctx, s.qIndex); err != nil {
			return fmt.Errorf("create idempotency index on %s: %w", s.table, err)
		}
	}
	return nil
}

func (s *SQLIdempotencyStore) Claim(ctx context.Context, id IdempotencyID, fingerprint string, lease, ttl time.Duration) (*IdempotencyRecord, error) {
	if s.err != nil {
		return nil, s.err
	}
	scope, op, key := rtScopeID(id.Scope), id.Operation, id.Key
	// A few rounds cover the row vanishing (released) or expiring between
	// the claim and the read; more would mean a pathological race.
	for range 3 {
		now := s.now()
		exp := now.Add(lease).UnixMilli()
		var res sql.Result
		var err error
		if s.dialect == DialectMySQL {
			if _, err = rtSQLExec(ctx, s.db, s.qDeleteExpired, scope, op, key, now.UnixMilli()); err != nil {
				return nil, fmt.Errorf("idempotency claim %s: delete expired: %w", id, err)
			}
			res, err = rtSQLExec(ctx, s.db, s.qClaim, scope, op, key, fingerprint, exp)
		} else {
			res, err = rtSQLExec(ctx, s.db, s.qClaim, scope, op, key, fingerprint, exp, now.UnixMilli())
		}
		if err != nil {
			return nil, fmt.Errorf("idempotency claim %s: %w", id, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("idempotency claim %s: rows affected: %w", id, err)
		}
		if n > 0 {
			return nil, nil
		}
		rec, err := s.load(ctx, id)
		if err != nil {
			return nil, err
		}
		if rec != nil && s.now().Before(rec.ExpiresAt) {
			return rec, nil
		}
	}
	return nil, fmt.Errorf("idempotency claim %s: record kept changing under concurrent claims", id)
}

func (s *SQLIdempotencyStore) load(ctx context.Context, id IdempotencyID) (*IdempotencyRecord, error) {
	var (
		rec    IdempotencyRecord
		header sql.NullString
		body   []byte
		exp    int64
	)
	err := s.db.QueryRowContext(ctx, s.qSelect, rtScopeID(id.Scope), id.Operation, id.Key).Scan(&rec.Fingerprint, &rec.Done, &rec.StatusCode, &header, &body, &exp)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("idempotency read %s: %w", id, err)
	}
	if header.Valid && header.String != "" {
		if err := json.Unmarshal([]byte(header.String), &rec.Header); err != nil {
			return nil, fmt.Errorf("idempotency read %s: decode headers: %w", id, err)
		}
	}
	rec.Body = body
	rec.ExpiresAt = time.UnixMilli(exp)
	return &rec, nil
}

func (s *SQLIdempotencyStore) Complete(ctx context.Context, id IdempotencyID, rec IdempotencyRecord) error {
	if s.err != nil {
		return s.err
	}
	scope, op, key := rtScopeID(id.Scope), id.Operation, id.Key
	if rec.ExpiresAt.IsZero() {
		rec.ExpiresAt = s.now().Add(rtDefaultIdemTTL)
	}
	h := rec.Header
	if h == nil {
		h = http.Header{}
	}
	hj, err := json.Marshal(h)
	if err != nil {
		return fmt.Errorf("idempotency complete %s: encode headers: %w", id, err)
	}
	body := rec.Body
	if body == nil {
		body = []byte{}
	}
	exp := rec.ExpiresAt.UnixMilli()
	res, err := s.db.ExecContext(ctx, s.qComplete, rec.StatusCode, string(hj), body, exp, scope, op, key, rec.Fingerprint)
	if err != nil {
		return fmt.Errorf("idempotency complete %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err == nil && n > 0 {
		return nil
	}
	// Our claim is gone (lease expired and the row was purged or released):
	// still keep the answer if nobody else took the key meanwhile.
	if _, err := s.db.ExecContext(ctx, s.qInsertDone, scope, op, key, rec.Fingerprint, rec.StatusCode, string(hj), body, exp); err != nil {
		return fmt.Errorf("idempotency complete %s: insert: %w", id, err)
	}
	return nil
}

func (s *SQLIdempotencyStore) Release(ctx context.Context, id IdempotencyID) error {
	if s.err != nil {
		return s.err
	}
	scope, op, key := rtScopeID(id.Scope), id.Operation, id.Key
	if _, err := s.db.ExecContext(ctx, s.qRelease, scope, op, key); err != nil {
		return fmt.Errorf("idempotency release %s: %w", id, err)
	}
	return nil
}

// Purge deletes expired records; run it periodically (rows of keys that are
// never reused are otherwise only replaced, never removed).
func (s *SQLIdempotencyStore) Purge(ctx context.Context) (int64, error) {
	if s.err != nil {
		return 0, s.err
	}
	res, err := s.db.ExecContext(ctx, s.qPurge, s.now().UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("idempotency purge %s: %w", s.table, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}
