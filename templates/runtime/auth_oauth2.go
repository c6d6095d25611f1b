package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ClientCredentialsConfig configures the OAuth2 client credentials grant
// (RFC 6749 §4.4).
type ClientCredentialsConfig struct {
	TokenURL string
	ClientID string
	// Secret is asked for on every token request, so it can rotate.
	Secret TokenSource
	Scopes []string
	// SecretInBody sends client_id and client_secret as form fields instead
	// of HTTP basic authentication (RFC 6749 §2.3.1 prefers basic).
	SecretInBody bool
	// Params are extra form fields of the token request (e.g. audience).
	Params url.Values
	// HTTPClient sends token requests; default: one with a 30 s timeout.
	HTTPClient *http.Client
	// Skew is how long before its expiry a token is renewed (default 30s,
	// at most half its lifetime): calls never carry a token that expires
	// on the way.
	Skew time.Duration
	Now  func() time.Time
}

// ClientCredentials is a TokenSource that obtains tokens with the client
// credentials grant. The token is cached; it is renewed Skew before it
// expires while calls keep using the old one, and at most one token request
// is in flight however many calls wait for it. Invalidate (called by the
// client on a 401) drops a token the provider no longer accepts.
type ClientCredentials struct {
	cfg ClientCredentialsConfig

	mu        sync.Mutex
	token     string
	expires   time.Time // zero: the provider gave no lifetime
	refreshAt time.Time
	flight    *rtTokenFlight
}

// rtTokenFlight is one token request that callers wait for.
type rtTokenFlight struct {
	done  chan struct{}
	token string
	err   error
}

// rtTokenTimeout bounds a token request when the config brings no client:
// waiting callers are bounded by their own contexts anyway.
const rtTokenTimeout = 30 * time.Second

// NewClientCredentials returns a token source for cfg; Check reports a
// configuration that can never obtain a token.
func NewClientCredentials(cfg ClientCredentialsConfig) *ClientCredentials {
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: rtTokenTimeout}
	}
	if cfg.Skew <= 0 {
		cfg.Skew = 30 * time.Second
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &ClientCredentials{cfg: cfg}
}

// Check reports a token URL that is not absolute http(s), or a missing
// client id or secret.
func (cc *ClientCredentials) Check() error {
	if err := rtCheckURL(cc.cfg.TokenURL); err != nil {
		return fmt.Errorf("client credentials token URL: %w", err)
	}
	if cc.cfg.ClientID == "" || cc.cfg.Secret == nil {
		return errors.New("client credentials: a client id and a secret source are required")
	}
	return nil
}

// Token returns a valid access token, requesting one when there is none.
func (cc *ClientCredentials) Token(ctx context.Context) (string, error) {
	now := cc.cfg.Now()
	cc.mu.Lock()
	valid := cc.token != "" && (cc.expires.IsZero() || now.Before(cc.expires))
	if valid && (cc.refreshAt.IsZero() || now.Before(cc.refreshAt)) {
		t := cc.token
		cc.mu.Unlock()
		return t, nil
	}
	f := cc.flight
	if f == nil {
		f = &rtTokenFlight{done: make(chan struct{})}
		cc.flight = f
		// The request runs on its own goroutine, detached from this
		// caller's cancellation: one caller giving up must not fail the
		// others waiting for the same token.
		go cc.fetch(context.WithoutCancel(ctx), f)
	}
	if valid {
		// Renewal ahead of expiry: this call still has a good token.
		t := cc.token
		cc.mu.Unlock()
		return t, nil
	}
	cc.mu.Unlock()
	select {
	case <-f.done:
		return f.token, f.err
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// Invalidate forgets token if it is the cached one, so the next call asks
// for a new one; a token already replaced is left alone, so many calls
// rejected with the same token cause one request.
func (cc *ClientCredentials) Invalidate(token string) {
	cc.mu.Lock()
	if cc.token == token {
		cc.token, cc.expires, cc.refreshAt = "", time.Time{}, time.Time{}
	}
	cc.mu.Unlock()
}

func (cc *ClientCredentials) fetch(ctx context.Context, f *rtTokenFlight) {
	start := cc.cfg.Now()
	tok, lifetime, err := cc.request(ctx)
	cc.mu.Lock()
	if err == nil {
		cc.token = tok
		cc.expires, cc.refreshAt = time.Time{}, time.Time{}
		if lifetime > 0 {
			skew := min(cc.cfg.Skew, lifetime/2)
			cc.expires = start.Add(lifetime)
			cc.refreshAt = cc.expires.Add(-skew)
		}
	}
	cc.flight = nil
	f.token, f.err = tok, err
	cc.mu.Unlock()
	close(f.done)
}

// rtMaxTokenBody bounds a token endpoint's answer.
const rtMaxTokenBody = 1 << 20

func (cc *ClientCredentials) request(ctx context.Context) (string, time.Duration, error) {
	if err := cc.Check(); err != nil {
		return "", 0, err
	}
	secret, err := cc.cfg.Secret.Token(ctx)
	if err != nil {
		return "", 0, fmt.Errorf("client credentials secret: %w", err)
	}
	form := url.Values{}
	for k, vv := range cc.cfg.Params {
		form[k] = append([]string(nil), vv...)
	}
	form.Set("grant_type", "client_credentials")
	if len(cc.cfg.Scopes) > 0 {
		form.Set("scope", strings.Join(cc.cfg.Scopes, " "))
	}
	if cc.cfg.SecretInBody {
		form.Set("client_id", cc.cfg.ClientID)
		form.Set("client_secret", secret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, cc.cfg.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return "", 0, fmt.Errorf("token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if !cc.cfg.SecretInBody {
		// RFC 6749 §2.3.1: both parts form-encoded before basic encoding.
		req.SetBasicAuth(url.QueryEscape(cc.cfg.ClientID), url.QueryEscape(secret))
	}
	resp, err := cc.cfg.HTTPClient.Do(req)
	if err != nil {
		return "", 0, fmt.Errorf("token request: %w", err)
	}
	defer rtDrainClose(resp.Body)
	body, err := io.ReadAll(io.LimitReader(resp.Body, rtMaxTokenBody))
	if err != nil {
		return "", 0, fmt.Errorf("token response: %w", err)
	}
	var tr struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
		Error       string          `json:"error"`
		Description string          `json:"error_description"`
	}
	jerr := json.Unmarshal(body, &tr)
	if resp.StatusCode != http.StatusOK {
		if jerr == nil && tr.Error != "" {
			return "", 0, fmt.Errorf("token endpoint answered %d: %s %s", resp.StatusCode, tr.Error, tr.Description)
		}
		return "", 0, fmt.Errorf("token endpoint answered %d", resp.StatusCode)
	}
	if jerr != nil {
		return "", 0, fmt.Errorf("token response: %w", jerr)
	}
	if tr.AccessToken == "" {
		return "", 0, errors.New("token response: no access_token")
	}
	if tr.TokenType != "" && !strings.EqualFold(tr.TokenType, "bearer") {
		return "", 0, fmt.Errorf("token response: token_type %q is not bearer", tr.TokenType)
	}
	// expires_in is a number, though some providers send it as a string.
	var secs int64
	if raw := strings.Trim(string(tr.ExpiresIn), `"`); raw != "" && raw != "null" {
		if secs, err = strconv.ParseInt(raw, 10, 64); err != nil || secs < 0 {
			return "", 0, fmt.Errorf("token response: expires_in %s", tr.ExpiresIn)
		}
	}
	return tr.AccessToken, time.Duration(secs) * time.Second, nil
}
