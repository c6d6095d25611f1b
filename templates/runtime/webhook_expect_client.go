package runtime

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
)

// rtExpectBodyLimit bounds the response body read for a correlation value;
// a larger body records nothing (and says so through onErr).
const rtExpectBodyLimit = 1 << 20

type rtExpectOpKey struct{}

// WithWebhookExpectations makes a client record, after each successful call
// of an operation in exps (by operation id), the webhooks the contract says
// follow it (x-accord correlates on the webhook): an event that arrived
// first is released, and one that does not come within its deadline is
// noticed. The record is made before the call returns, so the webhook can
// never find the call unrecorded once the caller has the answer. onErr,
// when set, hears of a record that failed; the call's result is unchanged
// and its webhook waits until the reconcile settles it. Generated clients
// wrap this as WithWebhookExpecter.
func WithWebhookExpectations(x WebhookExpecter, exps map[string][]WebhookExpectation, onErr func(operation string, err error)) ClientOption {
	return func(s *ClientSettings) {
		if x == nil || len(exps) == 0 {
			return
		}
		AddHooks(Hooks{StartCall: func(ctx context.Context, op Operation) (context.Context, func(CallInfo)) {
			if _, ok := exps[op.ID]; !ok {
				return ctx, nil
			}
			return context.WithValue(ctx, rtExpectOpKey{}, op.ID), nil
		}})(s)
		s.Transports = append(s.Transports, func(next http.RoundTripper) http.RoundTripper {
			return &rtExpectTransport{next: next, x: x, exps: exps, onErr: onErr}
		})
	}
}

type rtExpectTransport struct {
	next  http.RoundTripper
	x     WebhookExpecter
	exps  map[string][]WebhookExpectation
	onErr func(string, error)
}

func (t *rtExpectTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(req)
	if err != nil || resp.StatusCode < 200 || resp.StatusCode > 299 {
		return resp, err
	}
	op, _ := req.Context().Value(rtExpectOpKey{}).(string)
	exps := t.exps[op]
	if len(exps) == 0 {
		return resp, nil
	}
	var body []byte
	for _, e := range exps {
		if e.Header == "" {
			// A 2xx ends the call (no retry follows), so this is the body the
			// caller gets: read it once and hand the same bytes on.
			orig := resp.Body
			body, err = io.ReadAll(io.LimitReader(orig, rtExpectBodyLimit+1))
			if err != nil {
				orig.Close()
				return nil, fmt.Errorf("reading the response of %s: %w", op, err)
			}
			if len(body) <= rtExpectBodyLimit {
				orig.Close()
				resp.Body = io.NopCloser(bytes.NewReader(body))
			} else {
				// Too large to look into: the caller still gets all of it.
				resp.Body = rtReadCloser{io.MultiReader(bytes.NewReader(body), orig), orig}
			}
			break
		}
	}
	if len(body) > rtExpectBodyLimit {
		t.fail(op, fmt.Errorf("expect webhooks after %s: the response is over %d bytes; nothing recorded", op, rtExpectBodyLimit))
		return resp, nil
	}
	if err := ExpectWebhooks(req.Context(), t.x, op, body, resp.Header.Get, exps); err != nil {
		t.fail(op, err)
	}
	return resp, nil
}

func (t *rtExpectTransport) fail(op string, err error) {
	if t.onErr != nil {
		t.onErr(op, err)
	}
}

type rtReadCloser struct {
	io.Reader
	io.Closer
}
