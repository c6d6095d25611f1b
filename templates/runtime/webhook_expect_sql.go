package runtime

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Bury moves the claimed event to the dead-letter table with its reason,
// attempts and first failure; the event's id stays known, so a redelivery
// is acknowledged and not stored again.
func (q *SQLWebhookQueue) Bury(ctx context.Context, c WebhookClaim, reason string) error {
	if len(reason) > rtMaxReason {
		reason = reason[:rtMaxReason]
	}
	now := q.now().UnixMilli()
	return q.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, q.sq("INSERT INTO "+q.dead+" (operation, event_id, headers, payload, ref_op, ref_key, reason, attempts, first_failure_at, received_at, dead_at)"+
			" SELECT operation, event_id, headers, payload, ref_op, ref_key, ?, attempts, CASE WHEN first_failure_at = 0 THEN ? ELSE first_failure_at END, received_at, ?"+
			" FROM "+q.table+" WHERE operation = ? AND event_id = ? AND lease_token = ?"), reason, now, now, c.Event.Operation, c.Event.ID, c.token)
		if err != nil {
			return fmt.Errorf("webhook bury %s/%s: %w", c.Event.Operation, c.Event.ID, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("webhook %s/%s: %w", c.Event.Operation, c.Event.ID, ErrWebhookLeaseLost)
		}
		_, err = tx.ExecContext(ctx, q.sq("UPDATE "+q.table+" SET status = 'dead', payload = NULL, lease_token = '' WHERE operation = ? AND event_id = ?"), c.Event.Operation, c.Event.ID)
		if err != nil {
			return fmt.Errorf("webhook bury %s/%s: %w", c.Event.Operation, c.Event.ID, err)
		}
		return nil
	})
}

// DeadLetters lists dead letters, oldest first.
func (q *SQLWebhookQueue) DeadLetters(ctx context.Context, limit int) ([]WebhookDeadLetter, error) {
	if q.err != nil {
		return nil, q.err
	}
	if limit <= 0 {
		limit = 1000
	}
	rows, err := q.db.QueryContext(ctx, q.sq("SELECT operation, event_id, headers, payload, ref_op, ref_key, reason, attempts, first_failure_at, received_at, dead_at FROM "+
		q.dead+" ORDER BY dead_at, operation, event_id LIMIT ?"), limit)
	if err != nil {
		return nil, fmt.Errorf("webhook dead letters: %w", err)
	}
	defer rows.Close()
	var out []WebhookDeadLetter
	for rows.Next() {
		var d WebhookDeadLetter
		var headers string
		var first, recv, dead int64
		ev := &d.Event
		if err := rows.Scan(&ev.Operation, &ev.ID, &headers, &ev.Payload, &ev.Ref.Operation, &ev.Ref.Key, &d.Reason, &d.Attempts, &first, &recv, &dead); err != nil {
			return nil, fmt.Errorf("webhook dead letters: %w", err)
		}
		ev.Headers = http.Header{}
		_ = json.Unmarshal([]byte(headers), &ev.Headers)
		ev.Attempt, ev.ReceivedAt = d.Attempts, time.UnixMilli(recv)
		d.FirstFailure, d.DeadAt, ev.FirstFailure = time.UnixMilli(first), time.UnixMilli(dead), time.UnixMilli(first)
		out = append(out, d)
	}
	return out, rows.Err()
}

// Requeue gives a dead letter back to the workers with its attempts reset,
// once the cause is fixed.
func (q *SQLWebhookQueue) Requeue(ctx context.Context, operation, id string) error {
	err := q.tx(ctx, func(tx *sql.Tx) error {
		// The event's row goes and comes back from the dead letter: a purge
		// may have removed it already.
		if _, err := tx.ExecContext(ctx, q.sq("DELETE FROM "+q.table+" WHERE operation = ? AND event_id = ?"), operation, id); err != nil {
			return fmt.Errorf("webhook requeue %s/%s: %w", operation, id, err)
		}
		res, err := tx.ExecContext(ctx, q.sq("INSERT INTO "+q.table+" (operation, event_id, status, headers, payload, ref_op, ref_key, received_at)"+
			" SELECT operation, event_id, ?, headers, payload, ref_op, ref_key, received_at FROM "+q.dead+" WHERE operation = ? AND event_id = ?"), rtEvReady, operation, id)
		if err != nil {
			return fmt.Errorf("webhook requeue %s/%s: %w", operation, id, err)
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return fmt.Errorf("webhook dead letter %s/%s: not found", operation, id)
		}
		if _, err := tx.ExecContext(ctx, q.sq("DELETE FROM "+q.dead+" WHERE operation = ? AND event_id = ?"), operation, id); err != nil {
			return fmt.Errorf("webhook requeue %s/%s: %w", operation, id, err)
		}
		return nil
	})
	if err == nil {
		q.wake.signal()
	}
	return err
}

// Expect records that a call of ref.Operation answered with ref.Key and
// that webhook should follow within the deadline; events of ref that came
// first are released to the workers.
func (q *SQLWebhookQueue) Expect(ctx context.Context, ref WebhookRef, webhook string, within time.Duration) error {
	released := false
	err := q.tx(ctx, func(tx *sql.Tx) error {
		released = false
		state, err := q.lockExp(ctx, tx, ref, rtExpWaiting, webhook, q.now().Add(within))
		if err != nil || state != rtExpEarly {
			return err
		}
		released = true
		if err := q.setExp(ctx, tx, ref, rtExpArrived); err != nil {
			return err
		}
		return q.release(ctx, tx, ref)
	})
	if released && err == nil {
		q.wake.signal()
	}
	return err
}

// ClaimOverdue takes up to limit expectations whose deadline passed,
// holding each for lease so one replica reconciles it.
func (q *SQLWebhookQueue) ClaimOverdue(ctx context.Context, limit int, lease time.Duration) ([]WebhookOverdue, error) {
	if q.err != nil {
		return nil, q.err
	}
	now := q.now().UnixMilli()
	rows, err := q.db.QueryContext(ctx, q.sq("SELECT operation, ref_key FROM "+q.exp+" WHERE state IN (?, ?) AND next_check_at <= ? ORDER BY next_check_at LIMIT ?"),
		rtExpEarly, rtExpWaiting, now, limit)
	if err != nil {
		return nil, fmt.Errorf("webhook overdue: %w", err)
	}
	var cand []WebhookRef
	for rows.Next() {
		var r WebhookRef
		if err := rows.Scan(&r.Operation, &r.Key); err != nil {
			rows.Close()
			return nil, fmt.Errorf("webhook overdue: %w", err)
		}
		cand = append(cand, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(cand) == 0 {
		return nil, err
	}
	var out []WebhookOverdue
	err = q.tx(ctx, func(tx *sql.Tx) error {
		out = out[:0]
		for _, r := range cand {
			o := WebhookOverdue{Ref: r}
			var state string
			var since int64
			err := tx.QueryRowContext(ctx, q.sq("SELECT state, webhook, since_at, attempts FROM "+q.exp+
				" WHERE operation = ? AND ref_key = ? AND state IN (?, ?) AND next_check_at <= ? FOR UPDATE SKIP LOCKED"),
				r.Operation, r.Key, rtExpEarly, rtExpWaiting, now).Scan(&state, &o.Webhook, &since, &o.Attempts)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return fmt.Errorf("webhook overdue %s/%s: %w", r.Operation, r.Key, err)
			}
			o.Early, o.Since, o.Attempts = state == rtExpEarly, time.UnixMilli(since), o.Attempts+1
			if _, err := tx.ExecContext(ctx, q.sq("UPDATE "+q.exp+" SET next_check_at = ?, attempts = attempts + 1 WHERE operation = ? AND ref_key = ?"),
				q.now().Add(lease).UnixMilli(), r.Operation, r.Key); err != nil {
				return fmt.Errorf("webhook overdue %s/%s: %w", r.Operation, r.Key, err)
			}
			out = append(out, o)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Settle records that a reconcile (or the application) settled ref: its
// pending events run, and no deadline is watched for it any more.
func (q *SQLWebhookQueue) Settle(ctx context.Context, ref WebhookRef) error {
	released := false
	err := q.tx(ctx, func(tx *sql.Tx) error {
		state, err := q.lockExp(ctx, tx, ref, rtExpReconciled, "", q.now())
		if err != nil {
			return err
		}
		released = state == rtExpEarly
		if released {
			if err := q.release(ctx, tx, ref); err != nil {
				return err
			}
		}
		return q.setExp(ctx, tx, ref, rtExpReconciled)
	})
	if released && err == nil {
		q.wake.signal()
	}
	return err
}

// Recheck sets when an overdue ref is looked at again (after a failed
// reconcile).
func (q *SQLWebhookQueue) Recheck(ctx context.Context, ref WebhookRef, at time.Time) error {
	if q.err != nil {
		return q.err
	}
	if _, err := rtSQLExec(ctx, q.db, q.sq("UPDATE "+q.exp+" SET next_check_at = ? WHERE operation = ? AND ref_key = ?"), at.UnixMilli(), ref.Operation, ref.Key); err != nil {
		return fmt.Errorf("webhook recheck %s/%s: %w", ref.Operation, ref.Key, err)
	}
	return nil
}

// Purge forgets finished events and settled expectations older than
// retention; keep it longer than senders retry, or a late redelivery of a
// done event is stored and run again.
func (q *SQLWebhookQueue) Purge(ctx context.Context, retention time.Duration) (int64, error) {
	if q.err != nil {
		return 0, q.err
	}
	cut := q.now().Add(-retention).UnixMilli()
	res, err := rtSQLExec(ctx, q.db, q.sq("DELETE FROM "+q.table+" WHERE status IN (?, 'dead') AND received_at <= ?"), rtEvDone, cut)
	if err != nil {
		return 0, fmt.Errorf("webhook purge %s: %w", q.table, err)
	}
	n, _ := res.RowsAffected()
	if _, err := rtSQLExec(ctx, q.db, q.sq("DELETE FROM "+q.exp+" WHERE state IN (?, ?) AND since_at <= ?"), rtExpArrived, rtExpReconciled, cut); err != nil {
		return n, fmt.Errorf("webhook purge %s: %w", q.exp, err)
	}
	return n, nil
}
