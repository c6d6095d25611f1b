package runtime

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SQLWebhookQueueOptions configures NewSQLWebhookQueue.
type SQLWebhookQueueOptions struct {
	// Table is the events table [accord_webhooks]; the expectations and
	// dead letters live in Table+"_expect" and Table+"_dead".
	Table   string
	Dialect SQLDialect // [DialectPostgres]; DialectMySQL needs MySQL 8 or MariaDB 10.6 (SKIP LOCKED)
	Now     func() time.Time
}

// SQLWebhookQueue is the durable webhook queue (PostgreSQL; MySQL dialect).
// Workers on any number of replicas claim events with SKIP LOCKED under a
// lease; a run's effect and the event's done mark commit in one
// transaction whose first statement locks the event's row, so a worker
// that dies mid-run leaves neither, and a second worker cannot take the
// event over while the first still holds it.
type SQLWebhookQueue struct {
	db                 *sql.DB
	dialect            SQLDialect
	table, exp, dead   string
	err                error
	now                func() time.Time
	wake               rtWake
	qUpsertExp, qStore string
}

func NewSQLWebhookQueue(db *sql.DB, opt SQLWebhookQueueOptions) *SQLWebhookQueue {
	q := &SQLWebhookQueue{db: db, dialect: opt.Dialect, table: opt.Table, now: opt.Now, wake: newRtWake()}
	if q.table == "" {
		q.table = "accord_webhooks"
	}
	if q.dialect == "" {
		q.dialect = DialectPostgres
	}
	if q.now == nil {
		q.now = time.Now
	}
	q.exp, q.dead = q.table+"_expect", q.table+"_dead"
	switch {
	case db == nil:
		q.err = errors.New("sql webhook queue: nil *sql.DB")
	case !rtValidTableName(q.exp):
		q.err = fmt.Errorf("sql webhook queue: invalid table name %q", q.table)
	case q.dialect != DialectPostgres && q.dialect != DialectMySQL:
		q.err = fmt.Errorf("sql webhook queue: unknown dialect %q", q.dialect)
	}
	cols := "(operation, ref_key, state, webhook, since_at, next_check_at, attempts) VALUES (?, ?, ?, ?, ?, ?, 0)"
	evCols := "(operation, event_id, status, headers, payload, ref_op, ref_key, received_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
	if q.dialect == DialectMySQL {
		// ON DUPLICATE KEY UPDATE takes the row's exclusive lock at once;
		// INSERT IGNORE's shared lock upgraded by FOR UPDATE deadlocks two
		// deliveries of one reference against each other.
		q.qUpsertExp = "INSERT INTO " + q.exp + " " + cols + " ON DUPLICATE KEY UPDATE state = state"
		q.qStore = "INSERT IGNORE INTO " + q.table + " " + evCols
	} else {
		q.qUpsertExp = "INSERT INTO " + q.exp + " " + cols + " ON CONFLICT DO NOTHING"
		q.qStore = "INSERT INTO " + q.table + " " + evCols + " ON CONFLICT DO NOTHING"
	}
	return q
}

func (q *SQLWebhookQueue) rtWake() <-chan struct{} { return q.wake.ch }

// sq renders a query written with ? placeholders in the dialect.
func (q *SQLWebhookQueue) sq(s string) string {
	if q.dialect == DialectMySQL {
		return s
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// Migrate creates the three tables if missing.
func (q *SQLWebhookQueue) Migrate(ctx context.Context) error {
	if q.err != nil {
		return q.err
	}
	key, blob, idx := "VARCHAR(255)", "BYTEA", func(t, name, cols string) string {
		return "CREATE INDEX IF NOT EXISTS " + strings.ReplaceAll(t, ".", "_") + "_" + name + " ON " + t + " (" + cols + ")"
	}
	if q.dialect == DialectMySQL {
		key, blob = "VARBINARY(255)", "LONGBLOB"
	}
	stmts := []string{
		"CREATE TABLE IF NOT EXISTS " + q.table + ` (
	operation ` + key + ` NOT NULL,
	event_id ` + key + ` NOT NULL,
	status VARCHAR(16) NOT NULL,
	headers TEXT NOT NULL,
	payload ` + blob + `,
	ref_op ` + key + ` NOT NULL,
	ref_key ` + key + ` NOT NULL,
	received_at BIGINT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	next_attempt_at BIGINT NOT NULL DEFAULT 0,
	lease_until BIGINT NOT NULL DEFAULT 0,
	lease_token VARCHAR(32) NOT NULL DEFAULT '',
	first_failure_at BIGINT NOT NULL DEFAULT 0,
	last_error TEXT,
	PRIMARY KEY (operation, event_id)` + q.inline("INDEX (status, next_attempt_at), INDEX (ref_op, ref_key), INDEX (received_at)") + `
)`,
		"CREATE TABLE IF NOT EXISTS " + q.exp + ` (
	operation ` + key + ` NOT NULL,
	ref_key ` + key + ` NOT NULL,
	state VARCHAR(16) NOT NULL,
	webhook VARCHAR(255) NOT NULL,
	since_at BIGINT NOT NULL,
	next_check_at BIGINT NOT NULL,
	attempts INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (operation, ref_key)` + q.inline("INDEX (state, next_check_at)") + `
)`,
		"CREATE TABLE IF NOT EXISTS " + q.dead + ` (
	operation ` + key + ` NOT NULL,
	event_id ` + key + ` NOT NULL,
	headers TEXT NOT NULL,
	payload ` + blob + `,
	ref_op ` + key + ` NOT NULL,
	ref_key ` + key + ` NOT NULL,
	reason TEXT NOT NULL,
	attempts INTEGER NOT NULL,
	first_failure_at BIGINT NOT NULL,
	received_at BIGINT NOT NULL,
	dead_at BIGINT NOT NULL,
	PRIMARY KEY (operation, event_id)
)`,
	}
	if q.dialect == DialectPostgres {
		stmts = append(stmts, idx(q.table, "ready_idx", "status, next_attempt_at"), idx(q.table, "ref_idx", "ref_op, ref_key"),
			idx(q.table, "recv_idx", "received_at"), idx(q.exp, "due_idx", "state, next_check_at"))
	}
	for _, s := range stmts {
		if _, err := q.db.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("migrate webhook queue %s: %w", q.table, err)
		}
	}
	return nil
}

func (q *SQLWebhookQueue) inline(indexes string) string {
	if q.dialect == DialectMySQL {
		return ",\n\t" + indexes
	}
	return ""
}

// tx runs fn in a transaction, again from the start when the engine picked
// it as a deadlock victim (see rtSQLAttempts).
func (q *SQLWebhookQueue) tx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	if q.err != nil {
		return q.err
	}
	pause := 2 * time.Millisecond
	for attempt := 1; ; attempt++ {
		tx, err := q.db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("webhook queue begin: %w", err)
		}
		err = fn(tx)
		if err == nil {
			err = tx.Commit()
		} else {
			_ = tx.Rollback()
		}
		if err == nil || attempt == rtSQLAttempts || !rtSQLRetryable(err) {
			return err
		}
		select {
		case <-ctx.Done():
			return errors.Join(err, ctx.Err())
		case <-time.After(pause/2 + rand.N(pause)):
		}
		pause *= 2
	}
}

// lockExp creates ref's expectation in state if it has none and returns
// its state under the row's lock.
func (q *SQLWebhookQueue) lockExp(ctx context.Context, tx *sql.Tx, ref WebhookRef, state, webhook string, check time.Time) (string, error) {
	now := q.now().UnixMilli()
	if _, err := tx.ExecContext(ctx, q.sq(q.qUpsertExp), ref.Operation, ref.Key, state, webhook, now, check.UnixMilli()); err != nil {
		return "", fmt.Errorf("webhook expectation %s/%s: %w", ref.Operation, ref.Key, err)
	}
	var got string
	err := tx.QueryRowContext(ctx, q.sq("SELECT state FROM "+q.exp+" WHERE operation = ? AND ref_key = ? FOR UPDATE"), ref.Operation, ref.Key).Scan(&got)
	if err != nil {
		return "", fmt.Errorf("webhook expectation %s/%s: %w", ref.Operation, ref.Key, err)
	}
	return got, nil
}

func (q *SQLWebhookQueue) setExp(ctx context.Context, tx *sql.Tx, ref WebhookRef, state string) error {
	_, err := tx.ExecContext(ctx, q.sq("UPDATE "+q.exp+" SET state = ? WHERE operation = ? AND ref_key = ?"), state, ref.Operation, ref.Key)
	if err != nil {
		return fmt.Errorf("webhook expectation %s/%s: %w", ref.Operation, ref.Key, err)
	}
	return nil
}

// release makes ref's pending events ready.
func (q *SQLWebhookQueue) release(ctx context.Context, tx *sql.Tx, ref WebhookRef) error {
	_, err := tx.ExecContext(ctx, q.sq("UPDATE "+q.table+" SET status = ? WHERE ref_op = ? AND ref_key = ? AND status = ?"), rtEvReady, ref.Operation, ref.Key, rtEvPending)
	if err != nil {
		return fmt.Errorf("webhook release %s/%s: %w", ref.Operation, ref.Key, err)
	}
	return nil
}

func (q *SQLWebhookQueue) Store(ctx context.Context, ev WebhookEvent) (bool, error) {
	if ev.ID == "" || ev.Operation == "" {
		return false, errors.New("webhook queue: an event needs an id and an operation")
	}
	h, err := json.Marshal(ev.Headers)
	if err != nil {
		return false, fmt.Errorf("webhook %s headers: %w", ev.ID, err)
	}
	payload := ev.Payload
	if payload == nil {
		payload = []byte{}
	}
	dup, ready := false, true
	err = q.tx(ctx, func(tx *sql.Tx) error {
		dup, ready = false, true
		status := rtEvReady
		if !ev.Ref.IsZero() {
			state, err := q.lockExp(ctx, tx, ev.Ref, rtExpEarly, ev.Operation, q.now().Add(ev.Wait))
			if err != nil {
				return err
			}
			switch state {
			case rtExpEarly:
				status, ready = rtEvPending, false
			case rtExpWaiting:
				if err := q.setExp(ctx, tx, ev.Ref, rtExpArrived); err != nil {
					return err
				}
			}
		}
		res, err := tx.ExecContext(ctx, q.sq(q.qStore), ev.Operation, ev.ID, status, string(h), payload, ev.Ref.Operation, ev.Ref.Key, q.now().UnixMilli())
		if err != nil {
			return fmt.Errorf("webhook store %s/%s: %w", ev.Operation, ev.ID, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return fmt.Errorf("webhook store %s/%s: %w", ev.Operation, ev.ID, err)
		}
		if n == 0 {
			dup = true
			return errRtDuplicate
		}
		return nil
	})
	if dup && errors.Is(err, errRtDuplicate) {
		return true, nil // rolled back: a duplicate changes no expectation
	}
	if err != nil {
		return false, err
	}
	if ready {
		q.wake.signal()
	}
	return false, nil
}

// errRtDuplicate rolls a duplicate's transaction back.
var errRtDuplicate = errors.New("duplicate webhook")

func (q *SQLWebhookQueue) Claim(ctx context.Context, limit int, lease time.Duration) ([]WebhookClaim, error) {
	if q.err != nil {
		return nil, q.err
	}
	now := q.now().UnixMilli()
	// Candidates are read without locks, then each is locked alone with
	// SKIP LOCKED (a locking candidate query would, on InnoDB, lock every
	// row it examines).
	rows, err := q.db.QueryContext(ctx, q.sq("SELECT operation, event_id FROM "+q.table+
		" WHERE status = ? AND next_attempt_at <= ? AND lease_until <= ? ORDER BY received_at LIMIT ?"), rtEvReady, now, now, limit)
	if err != nil {
		return nil, fmt.Errorf("webhook claim: %w", err)
	}
	var cand [][2]string
	for rows.Next() {
		var c [2]string
		if err := rows.Scan(&c[0], &c[1]); err != nil {
			rows.Close()
			return nil, fmt.Errorf("webhook claim: %w", err)
		}
		cand = append(cand, c)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(cand) == 0 {
		return nil, err
	}
	var out []WebhookClaim
	err = q.tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		for _, c := range cand {
			var ev WebhookEvent
			var headers string
			var recv, first int64
			err := tx.QueryRowContext(ctx, q.sq("SELECT headers, payload, ref_op, ref_key, received_at, attempts, first_failure_at FROM "+q.table+
				" WHERE operation = ? AND event_id = ? AND status = ? AND next_attempt_at <= ? AND lease_until <= ? FOR UPDATE SKIP LOCKED"),
				c[0], c[1], rtEvReady, now, now).Scan(&headers, &ev.Payload, &ev.Ref.Operation, &ev.Ref.Key, &recv, &ev.Attempt, &first)
			if errors.Is(err, sql.ErrNoRows) {
				continue // another worker has it
			}
			if err != nil {
				return fmt.Errorf("webhook claim %s/%s: %w", c[0], c[1], err)
			}
			ev.Operation, ev.ID, ev.ReceivedAt, ev.Attempt = c[0], c[1], time.UnixMilli(recv), ev.Attempt+1
			if first > 0 {
				ev.FirstFailure = time.UnixMilli(first)
			}
			ev.Headers = http.Header{}
			if err := json.Unmarshal([]byte(headers), &ev.Headers); err != nil {
				return fmt.Errorf("webhook %s/%s headers: %w", c[0], c[1], err)
			}
			token := rtLeaseToken()
			if _, err := tx.ExecContext(ctx, q.sq("UPDATE "+q.table+" SET lease_token = ?, lease_until = ?, attempts = attempts + 1 WHERE operation = ? AND event_id = ?"),
				token, q.now().Add(lease).UnixMilli(), c[0], c[1]); err != nil {
				return fmt.Errorf("webhook claim %s/%s: %w", c[0], c[1], err)
			}
			out = append(out, WebhookClaim{Event: ev, token: token})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Done marks the event done and runs fn in the same transaction. The mark
// comes first: it locks the row, so the claim query of other workers skips
// the event for as long as this run lasts, whatever its lease.
func (q *SQLWebhookQueue) Done(ctx context.Context, c WebhookClaim, fn func(context.Context, *sql.Tx) error) error {
	if q.err != nil {
		return q.err
	}
	tx, err := q.db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("webhook done begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }() // no-op after Commit
	res, err := tx.ExecContext(ctx, q.sq("UPDATE "+q.table+" SET status = ?, lease_token = '', payload = NULL WHERE operation = ? AND event_id = ? AND lease_token = ? AND status = ?"),
		rtEvDone, c.Event.Operation, c.Event.ID, c.token, rtEvReady)
	if err != nil {
		return fmt.Errorf("webhook done %s/%s: %w", c.Event.Operation, c.Event.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return errors.Join(fmt.Errorf("webhook %s/%s: %w", c.Event.Operation, c.Event.ID, ErrWebhookLeaseLost), err)
	}
	if err := fn(ctx, tx); err != nil {
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("webhook done %s/%s: commit: %w", c.Event.Operation, c.Event.ID, err)
	}
	return nil
}

func (q *SQLWebhookQueue) Retry(ctx context.Context, c WebhookClaim, at time.Time, cause error) error {
	if q.err != nil {
		return q.err
	}
	msg := ""
	if cause != nil {
		msg = cause.Error()
	}
	if len(msg) > rtMaxReason {
		msg = msg[:rtMaxReason]
	}
	res, err := rtSQLExec(ctx, q.db, q.sq("UPDATE "+q.table+" SET next_attempt_at = ?, last_error = ?, lease_token = '', lease_until = 0,"+
		" first_failure_at = CASE WHEN first_failure_at = 0 THEN ? ELSE first_failure_at END WHERE operation = ? AND event_id = ? AND lease_token = ?"),
		at.UnixMilli(), msg, q.now().UnixMilli(), c.Event.Operation, c.Event.ID, c.token)
	if err != nil {
		return fmt.Errorf("webhook retry %s/%s: %w", c.Event.Operation, c.Event.ID, err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("webhook %s/%s: %w", c.Event.Operation, c.Event.ID, ErrWebhookLeaseLost)
	}
	return nil
}
