package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// prepare builds one attempt's request and adds the runtime's headers.
func (c *rtCall) prepare(ctx context.Context, build func(context.Context) (*http.Request, error)) (*http.Request, error) {
	req, err := build(ctx)
	if err != nil {
		return nil, fmt.Errorf("build request: %w", err)
	}
	if req == nil {
		return nil, errors.New("build request: nil request")
	}
	if req.Header == nil {
		req.Header = make(http.Header)
	}
	h := req.Header
	if c.cs != nil {
		for k, vv := range c.cs.Header {
			h[k] = vv
		}
	}
	if c.attempts == 1 {
		c.pickKey(req)
	}
	if c.key != nil {
		h["Idempotency-Key"] = c.key
	}
	tp := rtTraceparent(c.traceID)
	if c.traceID == "" {
		c.traceID = tp[3:35]
	}
	if c.e.s.UserAgent != "" && len(h["User-Agent"]) == 0 {
		// One backing array for both values; the capacity of each slice
		// ends at its own element, so an Add to one cannot write into the
		// other.
		vv := []string{tp, c.e.s.UserAgent}
		h["Traceparent"], h["User-Agent"] = vv[0:1:1], vv[1:2:2]
	} else {
		h["Traceparent"] = []string{tp}
	}
	if len(c.sec) > 0 {
		if err := c.authorize(ctx, req); err != nil {
			return nil, err
		}
	}
	for _, ed := range c.e.s.Editors {
		if err := ed(ctx, req); err != nil {
			return nil, fmt.Errorf("request editor: %w", err)
		}
	}
	if c.attempts == 1 {
		c.safe = rtSafeToRetry(req.Method, req.Header, c.keyHonoured())
		if c.clientMode() {
			// The record key hashes the body: read it once here (signing
			// then finds it read; later attempts build a fresh body).
			if err := c.bufferBody(req); err != nil {
				return nil, err
			}
		}
	}
	if c.signer != nil {
		if err := c.sign(ctx, req); err != nil {
			return nil, err
		}
	}
	return req, nil
}

// keyHonoured: the provider deduplicates by Idempotency-Key, so a keyed
// unsafe request may be repeated. A provider that requires a key honours it.
func (c *rtCall) keyHonoured() bool {
	switch c.p.Idempotency {
	case IdempotencyOff, IdempotencyClient:
		return false
	case IdempotencyRequired:
		return true
	}
	return c.p.KeyHonoured
}

// pickKey decides the call's idempotency key once: caller's option, then a
// key the request already carries, then a generated one when the provider
// honours keys. No key is invented for a provider that may ignore it: the
// header would promise a safety the retry does not have. Under
// IdempotencyClient the caller's key names the client's record instead.
func (c *rtCall) pickKey(req *http.Request) {
	key := ""
	if c.cs != nil && c.p.Idempotency != IdempotencyClient {
		key = c.cs.IdempotencyKey
	}
	if key == "" {
		key = req.Header.Get("Idempotency-Key")
	}
	if key == "" && c.keyHonoured() && (c.p.Idempotency == IdempotencyRequired || rtUnsafeMethod(req.Method)) {
		key = c.e.s.NewKey()
	}
	if key != "" {
		c.key = []string{key}
	}
}

// bufferBody reads the first attempt's request body into c.body and puts
// the same bytes back.
func (c *rtCall) bufferBody(req *http.Request) error {
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(req.Body)
		_ = req.Body.Close()
		if err != nil {
			return fmt.Errorf("read request body: %w", err)
		}
		c.body = b
	}
	c.bodyRead = true
	body := c.body
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.ContentLength = int64(len(body))
	req.Body = http.NoBody
	if len(body) > 0 {
		req.Body = io.NopCloser(bytes.NewReader(body))
	}
	return nil
}

// sign reads the body once and re-supplies it to every attempt, with a
// fresh timestamp and signature each time so a retry is never stale.
func (c *rtCall) sign(ctx context.Context, req *http.Request) error {
	if !c.bodyRead {
		if req.Body != nil && req.Body != http.NoBody {
			b, err := io.ReadAll(req.Body)
			_ = req.Body.Close()
			if err != nil {
				return fmt.Errorf("read request body for signing: %w", err)
			}
			c.body = b
		}
		c.bodyRead = true
	} else if req.Body != nil {
		_ = req.Body.Close()
	}
	body := c.body
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	req.ContentLength = int64(len(body))
	if len(body) == 0 {
		req.Body = http.NoBody
	}
	if c.signer.Scheme.rtResolved().Format == FormatStandardWebhooks {
		if c.webhookID == nil {
			id := req.Header.Get(rtWebhookIDHeader)
			if id == "" {
				id = "msg_" + rtNewUUID()
			}
			c.webhookID = []string{id}
		}
		req.Header[rtWebhookIDHeader] = c.webhookID
	}
	if err := c.signer.Sign(ctx, req, body); err != nil {
		return fmt.Errorf("sign request: %w", err)
	}
	c.signedAt = time.Now().Unix()
	return nil
}
