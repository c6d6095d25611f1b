package runtime

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// TokenSource supplies a secret (a bearer token, an API key) on every
// attempt, so that it can rotate without rebuilding the client.
type TokenSource interface {
	Token(ctx context.Context) (string, error)
}

// TokenSourceFunc adapts a function to TokenSource.
type TokenSourceFunc func(ctx context.Context) (string, error)

func (f TokenSourceFunc) Token(ctx context.Context) (string, error) { return f(ctx) }

// StaticToken is a secret that never changes.
type StaticToken string

func (t StaticToken) Token(context.Context) (string, error) { return string(t), nil }

// BasicAuthSource supplies HTTP basic credentials on every attempt.
type BasicAuthSource interface {
	BasicAuth(ctx context.Context) (username, password string, err error)
}

// StaticBasicAuth is a fixed user and password.
type StaticBasicAuth struct{ Username, Password string }

func (b StaticBasicAuth) BasicAuth(context.Context) (string, string, error) {
	return b.Username, b.Password, nil
}

// CertificateSource supplies the client certificate of a TLS handshake; it
// is asked on every new connection, so a renewed certificate is picked up
// without a restart (see CertificateFiles).
type CertificateSource func(*tls.CertificateRequestInfo) (*tls.Certificate, error)

// StaticCertificate always presents cert.
func StaticCertificate(cert tls.Certificate) CertificateSource {
	return func(*tls.CertificateRequestInfo) (*tls.Certificate, error) { return &cert, nil }
}

// CertificateFiles loads a PEM certificate and key on every handshake, so
// that a certificate renewed on disk is used by the next connection.
func CertificateFiles(certFile, keyFile string) CertificateSource {
	return func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		c, err := tls.LoadX509KeyPair(certFile, keyFile)
		if err != nil {
			return nil, fmt.Errorf("client certificate: %w", err)
		}
		return &c, nil
	}
}

// ClientAuth puts one security scheme's credentials on an attempt's
// request. The generated With<Scheme>… options install the runtime's
// implementations; WithClientAuth takes any.
type ClientAuth interface {
	Apply(ctx context.Context, req *http.Request) error
}

// rtRefresher is a ClientAuth whose credentials a 401 may have outlived:
// unauthorized forgets the ones req carried and reports whether asking
// again may give others.
type rtRefresher interface {
	unauthorized(req *http.Request) bool
}

// BearerAuth sends "Authorization: Bearer <token>".
type BearerAuth struct{ Source TokenSource }

func (b BearerAuth) Apply(ctx context.Context, req *http.Request) error {
	if b.Source == nil {
		return errors.New("bearer: no token source")
	}
	t, err := b.Source.Token(ctx)
	if err != nil {
		return fmt.Errorf("bearer token: %w", err)
	}
	if t == "" {
		return errors.New("bearer token: empty")
	}
	req.Header.Set("Authorization", "Bearer "+t)
	return nil
}

func (b BearerAuth) unauthorized(req *http.Request) bool {
	inv, ok := b.Source.(interface{ Invalidate(token string) })
	if !ok {
		return false
	}
	inv.Invalidate(strings.TrimPrefix(req.Header.Get("Authorization"), "Bearer "))
	return true
}

// BasicAuth sends HTTP basic credentials.
type BasicAuth struct{ Source BasicAuthSource }

func (b BasicAuth) Apply(ctx context.Context, req *http.Request) error {
	if b.Source == nil {
		return errors.New("basic: no credentials source")
	}
	u, p, err := b.Source.BasicAuth(ctx)
	if err != nil {
		return fmt.Errorf("basic credentials: %w", err)
	}
	if strings.Contains(u, ":") {
		return errors.New("basic credentials: the user name contains ':'")
	}
	req.SetBasicAuth(u, p)
	return nil
}

// APIKeyAuth sends an API key in a header, a query parameter or a cookie.
type APIKeyAuth struct {
	In, Name string // as the scheme declares: "header", "query" or "cookie"
	Source   TokenSource
}

func (a APIKeyAuth) Apply(ctx context.Context, req *http.Request) error {
	if a.Source == nil {
		return errors.New("api key: no key source")
	}
	k, err := a.Source.Token(ctx)
	if err != nil {
		return fmt.Errorf("api key: %w", err)
	}
	if k == "" {
		return errors.New("api key: empty")
	}
	switch a.In {
	case "header":
		req.Header.Set(a.Name, k)
	case "query":
		q := req.URL.Query()
		q.Set(a.Name, k)
		req.URL.RawQuery = q.Encode()
	case "cookie":
		req.AddCookie(&http.Cookie{Name: a.Name, Value: k})
	default:
		return fmt.Errorf("api key: unknown location %q", a.In)
	}
	return nil
}

// WithClientAuth sends a's credentials on the operations whose security
// names scheme.
func WithClientAuth(scheme string, a ClientAuth) ClientOption {
	return func(s *ClientSettings) {
		if s.Auth == nil {
			s.Auth = make(map[string]ClientAuth)
		}
		s.Auth[scheme] = a
	}
}

// WithClientCertificate presents src's certificate in TLS handshakes, for
// the mutualTLS scheme named scheme. The client's transport must be an
// *http.Transport (the default is); TLS 1.2 becomes its minimum.
func WithClientCertificate(scheme string, src CertificateSource) ClientOption {
	return func(s *ClientSettings) {
		if s.ClientCertificates == nil {
			s.ClientCertificates = make(map[string]CertificateSource)
		}
		s.ClientCertificates[scheme] = src
	}
}

// rtWithClientCertificates returns c with a transport presenting the
// configured certificate. A transport that is not an *http.Transport cannot
// be changed: its owner configures TLS.
func rtWithClientCertificates(c *http.Client, certs map[string]CertificateSource) *http.Client {
	if len(certs) == 0 {
		return c
	}
	// One transport, one certificate: the first scheme by name wins when a
	// contract declares several.
	src := certs[slices.Sorted(maps.Keys(certs))[0]]
	var t *http.Transport
	switch rt := c.Transport.(type) {
	case nil:
		if dt, ok := http.DefaultTransport.(*http.Transport); ok {
			t = dt.Clone()
		}
	case *http.Transport:
		t = rt.Clone()
	}
	if t == nil {
		return c
	}
	if t.TLSClientConfig == nil {
		t.TLSClientConfig = &tls.Config{}
	}
	t.TLSClientConfig.GetClientCertificate = src
	if t.TLSClientConfig.MinVersion < tls.VersionTLS12 {
		t.TLSClientConfig.MinVersion = tls.VersionTLS12
	}
	cp := *c
	cp.Transport = t
	return &cp
}

// authorize applies the credentials of the first alternative of the
// operation's security whose schemes are all configured (the anonymous
// alternative, if the contract offers one, only when none is). Without any,
// the request goes out bare: request editors may still add credentials.
func (c *rtCall) authorize(ctx context.Context, req *http.Request) error {
	if c.attempts == 1 {
		c.alt = c.pickAlternative()
	}
	for _, ss := range c.alt {
		if a := c.e.s.Auth[ss.Scheme]; a != nil {
			if err := a.Apply(ctx, req); err != nil {
				return fmt.Errorf("credentials for %s: %w", ss.Scheme, err)
			}
		}
	}
	return nil
}

func (c *rtCall) pickAlternative() SecurityRequirement {
	for _, req := range c.sec {
		if len(req) == 0 {
			continue
		}
		all := true
		for _, ss := range req {
			if c.e.s.Auth[ss.Scheme] == nil && c.e.s.ClientCertificates[ss.Scheme] == nil {
				all = false
				break
			}
		}
		if all {
			return req
		}
	}
	return nil
}

// reauth: a 401 to credentials that can be refreshed (an OAuth2 token the
// provider revoked or expired early) earns one immediate attempt with fresh
// ones; the server refused before doing anything, so even an unsafe
// request may be repeated.
func (c *rtCall) reauth(resp *http.Response, req *http.Request) bool {
	if resp == nil || resp.StatusCode != http.StatusUnauthorized || c.authRetried || len(c.alt) == 0 {
		return false
	}
	c.authRetried = true
	refreshed := false
	for _, ss := range c.alt {
		if r, ok := c.e.s.Auth[ss.Scheme].(rtRefresher); ok && r.unauthorized(req) {
			refreshed = true
		}
	}
	return refreshed
}

// rtCheckURL accepts an absolute http(s) URL.
func rtCheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		return fmt.Errorf("%q is not an absolute http(s) URL", raw)
	}
	return nil
}

// Check reports a token source that can never give a token (an OAuth2
// client credentials source with a relative token URL, say).
func (b BearerAuth) Check() error {
	if b.Source == nil {
		return errors.New("bearer: no token source")
	}
	if c, ok := b.Source.(interface{ Check() error }); ok {
		return c.Check()
	}
	return nil
}
