package runtime

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"time"
)

// WebhookExpecter is what a client needs of the inbox: record that a call
// succeeded and which webhook should follow (a WebhookQueue is one).
type WebhookExpecter interface {
	Expect(ctx context.Context, ref WebhookRef, webhook string, within time.Duration) error
}

// WebhookExpectation is one webhook the contract says follows a call
// (x-accord correlates on the webhook); generated clients pass it to
// ExpectWebhooks after a successful call.
type WebhookExpectation struct {
	Webhook string        // the webhook's operation id
	Within  time.Duration // the contract's deadline
	// Pointer is the JSON pointer into the response body (response:
	// $response.body#/id) or, with Header set, the header to read.
	Pointer, Header string
}

// ExpectWebhooks records, after a successful call of operation, the
// webhooks that should follow it. A response that does not carry the
// correlation value records nothing for that webhook. An error here does
// not undo the call: its events wait until the reconcile settles them, so
// the caller may log it and carry on.
func ExpectWebhooks(ctx context.Context, x WebhookExpecter, operation string, body []byte, header func(string) string, exps []WebhookExpectation) error {
	if x == nil {
		return nil
	}
	for _, e := range exps {
		var key string
		var err error
		if e.Header != "" {
			key = header(e.Header)
		} else if key, err = JSONPointerValue(body, e.Pointer); err != nil {
			return fmt.Errorf("expect webhook %s after %s: %w", e.Webhook, operation, err)
		}
		if key == "" {
			continue
		}
		if err := x.Expect(ctx, WebhookRef{Operation: operation, Key: key}, e.Webhook, e.Within); err != nil {
			return fmt.Errorf("expect webhook %s after %s: %w", e.Webhook, operation, err)
		}
	}
	return nil
}

// JSONPointerValue reads the scalar at an RFC 6901 pointer of a JSON
// document as text: a string as it is, a number or boolean as written.
func JSONPointerValue(doc []byte, pointer string) (string, error) {
	d := json.NewDecoder(bytes.NewReader(doc))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return "", fmt.Errorf("correlation value: the body is not JSON: %w", err)
	}
	if pointer != "" {
		if !strings.HasPrefix(pointer, "/") {
			return "", fmt.Errorf("correlation value: %q is not a JSON pointer", pointer)
		}
		for _, tok := range strings.Split(pointer[1:], "/") {
			tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
			switch c := v.(type) {
			case map[string]any:
				v = c[tok]
			case []any:
				i, err := strconv.Atoi(tok)
				if err != nil || i < 0 || i >= len(c) {
					return "", nil
				}
				v = c[i]
			default:
				return "", nil
			}
		}
	}
	switch s := v.(type) {
	case string:
		return s, nil
	case json.Number:
		return s.String(), nil
	case bool:
		return strconv.FormatBool(s), nil
	case nil:
		return "", nil
	}
	return "", fmt.Errorf("correlation value at %q is not a string, number or boolean", pointer)
}

// rtSweepOverdue runs the reconciles of overdue calls until ctx ends.
func rtSweepOverdue(ctx context.Context, opt *WebhookWorkerOptions) {
	tick := time.NewTicker(opt.Poll)
	defer tick.Stop()
	for {
		due, err := opt.Queue.ClaimOverdue(ctx, 16, opt.Lease)
		if err == nil {
			for _, o := range due {
				rtReconcileOverdue(ctx, opt, o)
			}
		}
		if err == nil && len(due) == 16 {
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// rtReconcileOverdue reports one overdue call and runs its reconcile. The
// claim's lease keeps other replicas off it; a failed reconcile is tried
// again after a backoff, and a successful one settles the call, once.
func rtReconcileOverdue(ctx context.Context, opt *WebhookWorkerOptions, o WebhookOverdue) {
	if opt.Hooks.OnOverdue != nil {
		opt.Hooks.OnOverdue(o)
	}
	err := fmt.Errorf("no reconcile configured for %s", o.Ref.Operation)
	if opt.Reconcile != nil {
		run, cancel := context.WithTimeout(ctx, opt.Timeout)
		err = opt.Reconcile(run, o)
		cancel()
	}
	if err == nil {
		err = opt.Queue.Settle(ctx, o.Ref)
	}
	if opt.Hooks.OnReconciled != nil && opt.Reconcile != nil {
		opt.Hooks.OnReconciled(o, err)
	}
	if err != nil && ctx.Err() == nil {
		after := rtBackoff(o.Attempts, opt.BackoffBase, opt.BackoffCap, rand.Float64())
		_ = opt.Queue.Recheck(ctx, o.Ref, time.Now().Add(max(after, opt.BackoffBase/2)))
	}
}
