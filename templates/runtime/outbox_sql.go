package runtime

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// SQLOutboxOptions configures NewSQLOutbox.
type SQLOutboxOptions struct {
	Table   string     // default "accord_outbox"; the shard table is Table + "_shards"
	Dialect SQLDialect // default DialectPostgres; DialectMySQL needs MySQL 8 or MariaDB 10.6 (SKIP LOCKED)
	// Shards is the number of ordering lanes [16]: a key always maps to one
	// shard, and one relay at a time owns a shard, so a key's events leave
	// in order while shards drain in parallel. Every replica must use the
	// same number.
	Shards int
}

// SQLOutbox stores events in the caller's transaction (Enqueue) for an
// OutboxRelay to publish. Order per key is the order of the rows' sequence
// numbers, that is of the inserts; writers of one key that commit out of
// insert order (two transactions racing on one aggregate without a lock)
// have no order to keep.
type SQLOutbox struct {
	db      *sql.DB
	dialect SQLDialect
	table   string
	shards  int
	err     error
	now     func() time.Time

	qCreate, qCreateShards, qIndex, qInsertShard string
	qInsert, qReady, qClaim, qBatch              string
	qPending, qPurge                             string
}

func NewSQLOutbox(db *sql.DB, opt SQLOutboxOptions) *SQLOutbox {
	o := &SQLOutbox{db: db, dialect: opt.Dialect, table: opt.Table, shards: opt.Shards, now: time.Now}
	if o.table == "" {
		o.table = "accord_outbox"
	}
	if o.dialect == "" {
		o.dialect = DialectPostgres
	}
	if o.shards <= 0 {
		o.shards = 16
	}
	switch {
	case db == nil:
		o.err = errors.New("sql outbox: nil *sql.DB")
	case !rtValidTableName(o.table + "_shards"):
		o.err = fmt.Errorf("sql outbox: invalid table name %q", o.table)
	case o.dialect != DialectPostgres && o.dialect != DialectMySQL:
		o.err = fmt.Errorf("sql outbox: unknown dialect %q", o.dialect)
	default:
		o.buildQueries()
	}
	return o
}

// ph returns the i-th (from 1) placeholder of the dialect.
func (o *SQLOutbox) ph(i int) string {
	if o.dialect == DialectMySQL {
		return "?"
	}
	return "$" + strconv.Itoa(i)
}

func (o *SQLOutbox) buildQueries() {
	t, s := o.table, o.table+"_shards"
	cols := "shard, message_id, topic, msg_key, headers, payload, created_at"
	if o.dialect == DialectMySQL {
		o.qCreate = "CREATE TABLE IF NOT EXISTS " + t + ` (
	seq BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
	shard INTEGER NOT NULL,
	message_id VARCHAR(255) NOT NULL,
	topic VARCHAR(255) NOT NULL,
	msg_key VARBINARY(255) NOT NULL,
	headers TEXT NOT NULL,
	payload LONGBLOB NOT NULL,
	created_at BIGINT NOT NULL,
	sent_at BIGINT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL DEFAULT 0,
	last_error TEXT NULL,
	INDEX (shard, sent_at, seq),
	INDEX (sent_at)
)`
		o.qCreateShards = "CREATE TABLE IF NOT EXISTS " + s + " (shard INTEGER NOT NULL PRIMARY KEY)"
		o.qInsertShard = "INSERT IGNORE INTO " + s + " (shard) VALUES (?)"
	} else {
		o.qCreate = "CREATE TABLE IF NOT EXISTS " + t + ` (
	seq BIGSERIAL PRIMARY KEY,
	shard INTEGER NOT NULL,
	message_id VARCHAR(255) NOT NULL,
	topic VARCHAR(255) NOT NULL,
	msg_key VARCHAR(255) NOT NULL,
	headers TEXT NOT NULL,
	payload BYTEA NOT NULL,
	created_at BIGINT NOT NULL,
	sent_at BIGINT,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL DEFAULT 0,
	last_error TEXT
)`
		o.qCreateShards = "CREATE TABLE IF NOT EXISTS " + s + " (shard INTEGER NOT NULL PRIMARY KEY)"
		o.qIndex = "CREATE INDEX IF NOT EXISTS " + strings.ReplaceAll(t, ".", "_") + "_pending_idx ON " + t + " (shard, seq) WHERE sent_at IS NULL"
		o.qInsertShard = "INSERT INTO " + s + " (shard) VALUES ($1) ON CONFLICT DO NOTHING"
	}
	o.qInsert = "INSERT INTO " + t + " (" + cols + ") VALUES (" + o.ph(1) + ", " + o.ph(2) + ", " + o.ph(3) + ", " + o.ph(4) + ", " + o.ph(5) + ", " + o.ph(6) + ", " + o.ph(7) + ")"
	// A shard is ready when its oldest pending row is not waiting out a
	// backoff: a failed head holds back the key order behind it. Only the
	// head is read (one probe of the pending index per shard): asking
	// whether any pending row waits scanned the whole backlog on every
	// round, 6 ms a round at 20,000 pending rows. A failure marks the
	// whole batch from the head on, so the head is the row that says. SKIP
	// LOCKED lets each relay take a shard no other relay holds.
	// Candidates are read without locks; then each is tried alone with
	// SKIP LOCKED. Locking in the candidate query itself would, on InnoDB,
	// lock every row it examines before the ORDER BY and LIMIT, so one
	// relay would hold all shards.
	o.qReady = "SELECT s.shard FROM " + s + " s WHERE (SELECT o.next_attempt_at FROM " + t + " o WHERE o.shard = s.shard AND o.sent_at IS NULL ORDER BY o.seq LIMIT 1) <= " + o.ph(1) +
		" ORDER BY MOD(s.shard + " + o.ph(2) + ", " + strconv.Itoa(o.shards) + ")"
	o.qClaim = "SELECT shard FROM " + s + " WHERE shard = " + o.ph(1) + " FOR UPDATE SKIP LOCKED"
	// A locking read sees the newest committed rows: under MySQL's
	// REPEATABLE READ a plain read would use a snapshot older than the
	// previous owner's mark-sent and publish its rows again.
	o.qBatch = "SELECT seq, topic, msg_key, headers, payload, attempts, created_at FROM " + t +
		" WHERE shard = " + o.ph(1) + " AND sent_at IS NULL ORDER BY seq LIMIT " + o.ph(2) + " FOR UPDATE"
	o.qPending = "SELECT COUNT(*), COALESCE(MIN(created_at), 0) FROM " + t + " WHERE sent_at IS NULL"
	o.qPurge = "DELETE FROM " + t + " WHERE sent_at IS NOT NULL AND sent_at <= " + o.ph(1)
}

// Migrate creates the outbox and shard tables if missing.
func (o *SQLOutbox) Migrate(ctx context.Context) error {
	if o.err != nil {
		return o.err
	}
	for _, q := range []string{o.qCreate, o.qCreateShards, o.qIndex} {
		if q == "" {
			continue
		}
		if _, err := o.db.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("migrate outbox %s: %w", o.table, err)
		}
	}
	for i := range o.shards {
		if _, err := o.db.ExecContext(ctx, o.qInsertShard, i); err != nil {
			return fmt.Errorf("migrate outbox %s: shard %d: %w", o.table, i, err)
		}
	}
	return nil
}

// Enqueue writes msgs in the caller's transaction: they are published if
// and only if tx commits. Missing ids, times and trace context are filled.
func (o *SQLOutbox) Enqueue(ctx context.Context, tx *sql.Tx, msgs ...EventMessage) error {
	if o.err != nil {
		return o.err
	}
	if tx == nil {
		return errors.New("outbox enqueue: nil *sql.Tx (the event must commit with the state change)")
	}
	now := o.now()
	// Multi-row inserts of up to rtEnqueueChunk rows: one round trip per
	// chunk instead of per event.
	for start := 0; start < len(msgs); start += rtEnqueueChunk {
		chunk := msgs[start:min(start+rtEnqueueChunk, len(msgs))]
		var q strings.Builder
		q.WriteString(o.qInsert)
		args := make([]any, 0, 7*len(chunk))
		for i, m := range chunk {
			if err := rtPrepareEvent(ctx, &m, now); err != nil {
				return fmt.Errorf("outbox enqueue: %w", err)
			}
			h, err := json.Marshal(m.rtWireHeaders(false))
			if err != nil {
				return fmt.Errorf("outbox enqueue %s: headers: %w", m.ID, err)
			}
			payload := m.Payload
			if payload == nil {
				payload = []byte{}
			}
			if i > 0 {
				q.WriteString(", (")
				for j := range 7 {
					if j > 0 {
						q.WriteString(", ")
					}
					q.WriteString(o.ph(len(args) + j + 1))
				}
				q.WriteString(")")
			}
			args = append(args, rtKeyShard(m.Key, m.ID, o.shards), m.ID, m.Topic, m.Key, string(h), payload, now.UnixMilli())
		}
		if _, err := tx.ExecContext(ctx, q.String(), args...); err != nil {
			return fmt.Errorf("outbox enqueue %d events (first %s): %w", len(chunk), chunk[0].ID, err)
		}
	}
	return nil
}

// rtEnqueueChunk rows per INSERT keep the placeholders (7 a row) well
// under every driver's limit.
const rtEnqueueChunk = 100

// Sink returns an EventSink that enqueues in tx, for an EventPublisher
// whose events must commit with the caller's state change.
func (o *SQLOutbox) Sink(tx *sql.Tx) EventSink { return rtOutboxSink{o: o, tx: tx} }

type rtOutboxSink struct {
	o  *SQLOutbox
	tx *sql.Tx
}

func (s rtOutboxSink) Publish(ctx context.Context, msgs []EventMessage) error {
	return s.o.Enqueue(ctx, s.tx, msgs...)
}

// Pending returns the number of unsent rows and the age of the oldest.
func (o *SQLOutbox) Pending(ctx context.Context) (int64, time.Duration, error) {
	if o.err != nil {
		return 0, 0, o.err
	}
	var n, oldest int64
	if err := o.db.QueryRowContext(ctx, o.qPending).Scan(&n, &oldest); err != nil {
		return 0, 0, fmt.Errorf("outbox pending %s: %w", o.table, err)
	}
	if n == 0 {
		return 0, 0, nil
	}
	return n, max(o.now().Sub(time.UnixMilli(oldest)), 0), nil
}

// Purge deletes rows sent more than retention ago.
func (o *SQLOutbox) Purge(ctx context.Context, retention time.Duration) (int64, error) {
	if o.err != nil {
		return 0, o.err
	}
	res, err := o.db.ExecContext(ctx, o.qPurge, o.now().Add(-retention).UnixMilli())
	if err != nil {
		return 0, fmt.Errorf("outbox purge %s: %w", o.table, err)
	}
	return res.RowsAffected()
}

// rtOutboxRow is a claimed row.
type rtOutboxRow struct {
	seq      int64
	attempts int
	created  int64
	msg      EventMessage
}

// claim takes one ready shard's lock in tx and reads its head rows;
// shard is -1 when no shard is ready or every ready one is held.
func (o *SQLOutbox) claim(ctx context.Context, tx *sql.Tx, rotate, limit int) (int, []rtOutboxRow, error) {
	rows, err := tx.QueryContext(ctx, o.qReady, o.now().UnixMilli(), rotate%o.shards)
	if err != nil {
		return -1, nil, fmt.Errorf("outbox ready shards: %w", err)
	}
	var ready []int
	for rows.Next() {
		var s int
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return -1, nil, fmt.Errorf("outbox ready shards: %w", err)
		}
		ready = append(ready, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return -1, nil, fmt.Errorf("outbox ready shards: %w", err)
	}
	for _, shard := range ready {
		var got int
		err := tx.QueryRowContext(ctx, o.qClaim, shard).Scan(&got)
		if errors.Is(err, sql.ErrNoRows) {
			continue // another relay holds it
		}
		if err != nil {
			return -1, nil, fmt.Errorf("outbox claim shard %d: %w", shard, err)
		}
		batch, err := o.readShard(ctx, tx, shard, limit)
		if err != nil || len(batch) > 0 {
			return shard, batch, err
		}
		// Drained by its previous holder since the candidates were read;
		// the lock is held until commit, which is harmless.
	}
	return -1, nil, nil
}

func (o *SQLOutbox) readShard(ctx context.Context, tx *sql.Tx, shard, limit int) ([]rtOutboxRow, error) {
	rows, err := tx.QueryContext(ctx, o.qBatch, shard, limit)
	if err != nil {
		return nil, fmt.Errorf("outbox read shard %d: %w", shard, err)
	}
	defer rows.Close()
	var out []rtOutboxRow
	for rows.Next() {
		var r rtOutboxRow
		var topic, key, headers string
		var payload []byte
		if err := rows.Scan(&r.seq, &topic, &key, &headers, &payload, &r.attempts, &r.created); err != nil {
			return nil, fmt.Errorf("outbox read shard %d: %w", shard, err)
		}
		h := map[string]string{}
		if err := json.Unmarshal([]byte(headers), &h); err != nil {
			return nil, fmt.Errorf("outbox row %d: headers: %w", r.seq, err)
		}
		r.msg = rtEventFromWire(topic, key, payload, h)
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("outbox read shard %d: %w", shard, err)
	}
	return out, nil
}

// seqIn renders "seq IN (…)" for rows, placeholders from start.
func (o *SQLOutbox) seqIn(rows []rtOutboxRow, start int) (string, []any) {
	var b strings.Builder
	args := make([]any, 0, len(rows))
	b.WriteString("seq IN (")
	for i, r := range rows {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(o.ph(start + i))
		args = append(args, r.seq)
	}
	b.WriteString(")")
	return b.String(), args
}

func (o *SQLOutbox) markSent(ctx context.Context, tx *sql.Tx, rows []rtOutboxRow) error {
	in, args := o.seqIn(rows, 2)
	_, err := tx.ExecContext(ctx, "UPDATE "+o.table+" SET sent_at = "+o.ph(1)+" WHERE "+in, append([]any{o.now().UnixMilli()}, args...)...)
	if err != nil {
		return fmt.Errorf("outbox mark sent: %w", err)
	}
	return nil
}

func (o *SQLOutbox) markFailed(ctx context.Context, tx *sql.Tx, rows []rtOutboxRow, next time.Time, cause error) error {
	msg := cause.Error()
	if len(msg) > rtMaxReason {
		msg = msg[:rtMaxReason]
	}
	in, args := o.seqIn(rows, 3)
	q := "UPDATE " + o.table + " SET attempts = attempts + 1, next_attempt_at = " + o.ph(1) + ", last_error = " + o.ph(2) + " WHERE " + in
	if _, err := tx.ExecContext(ctx, q, append([]any{next.UnixMilli(), msg}, args...)...); err != nil {
		return fmt.Errorf("outbox mark failed: %w", err)
	}
	return nil
}
