package runtime

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
)

// WithSensitiveHeaders names more headers that must never follow a
// redirect to another origin, e.g. the header of an apiKey security
// scheme a request editor sets. Signature headers, Idempotency-Key,
// Authorization, Proxy-Authorization and Cookie always are.
func WithSensitiveHeaders(names ...string) ClientOption {
	return func(s *ClientSettings) { s.SensitiveHeaders = append(s.SensitiveHeaders, names...) }
}

// rtAlwaysSensitive are stripped on every cross-origin redirect. net/http
// itself drops Authorization and Cookie only when the host name changes,
// not for another port of the same host, and forwards every custom header.
var rtAlwaysSensitive = [...]string{"Idempotency-Key", "Authorization", "Proxy-Authorization", "Cookie", "Cookie2"}

// rtMaxRedirects is net/http's own default limit, kept when the caller's
// client has no CheckRedirect.
const rtMaxRedirects = 10

// rtWithRedirectPolicy returns a copy of c (the caller's client is never
// mutated) whose CheckRedirect keeps credentials on the origin they were
// meant for. An origin is scheme, host and port: another port of
// 127.0.0.1 is another origin, and https→http is a downgrade, treated the
// same way.
//
//   - A signed call is not followed to another origin at all: the 3xx comes
//     back as the call's answer (a *ResponseError with its status and
//     Location header), so the caller decides, knowingly, whether to sign
//     a request for the new origin.
//   - Any other call follows it without the signature headers of every
//     configured scheme, Idempotency-Key, Authorization,
//     Proxy-Authorization, Cookie and the WithSensitiveHeaders names.
//   - A same-origin redirect keeps every header. It cannot be re-signed
//     here (CheckRedirect has neither the key nor the body bytes, and the
//     engine's attempt accounting lives outside net/http), so it carries
//     the original signature, which binds the original method and target:
//     the accord and RFC 9421 formats are refused at the new target (401),
//     a redirect back to the same target is a replay; only Standard
//     Webhooks, which signs no URL, passes, at the same receiver.
//
// Then the caller's own CheckRedirect runs, or net/http's 10-hop limit.
func rtWithRedirectPolicy(c *http.Client, signers map[string]Signer, extra []string) *http.Client {
	var signed []string
	for _, sg := range signers {
		signed = append(signed, sg.Scheme.rtSignedHeaders()...)
	}
	strip := append(append(append([]string(nil), signed...), rtAlwaysSensitive[:]...), extra...)
	next := c.CheckRedirect
	cp := *c
	cp.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if len(via) > 0 && !rtSameOrigin(via[0].URL, req.URL) {
			for _, h := range signed {
				if via[0].Header.Get(h) != "" {
					return http.ErrUseLastResponse
				}
			}
			for _, h := range strip {
				req.Header.Del(h)
			}
		}
		if next != nil {
			return next(req, via)
		}
		if len(via) >= rtMaxRedirects {
			return errors.New("stopped after 10 redirects")
		}
		return nil
	}
	return &cp
}

// rtSameOrigin compares scheme, host and port, default ports made explicit.
func rtSameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && rtHostPort(a) == rtHostPort(b)
}

func rtHostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return strings.ToLower(u.Hostname()) + ":" + port
}
