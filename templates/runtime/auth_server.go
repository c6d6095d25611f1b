package runtime

import (
	"context"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"log/slog"
	"net/http"
	"net/netip"
	"strings"
)

// AuthCredentials are what a request presented for one security scheme.
type AuthCredentials struct {
	Scheme string // the scheme's name in the contract
	Kind   string // Scheme… constant
	// Token is the bearer token (bearer, oauth2, openIdConnect), the API
	// key, or for another http scheme the credentials after its name.
	Token              string
	Username, Password string            // basic
	Certificate        *x509.Certificate // mutualTLS: the verified leaf
}

// AuthenticateFunc checks one scheme's credentials and names the caller.
// An error means the credentials are not valid (401), ErrAuthForbidden that
// they are valid but not allowed here (403); an error with a
// Problem() ProblemDetails method is answered as that problem (e.g. 503
// when the identity provider is down).
type AuthenticateFunc func(ctx context.Context, c AuthCredentials) (Principal, error)

// ErrAuthForbidden is returned by an AuthenticateFunc for a caller it knows
// but refuses: the answer is 403, not 401, so the client does not retry
// with other credentials.
var ErrAuthForbidden = errors.New("authenticated caller not allowed")

// rtAuthItem is one scheme of an alternative, resolved to its index.
type rtAuthItem struct {
	idx    int
	scopes []string
}

type rtAuthScheme struct {
	def  SecurityScheme
	auth AuthenticateFunc
}

// rtAuthStep enforces an operation's security: the alternatives are tried
// in order, the first whose every scheme is satisfied wins and its first
// scheme's principal goes into the request context.
type rtAuthStep struct {
	next    http.Handler
	op      string
	alts    [][]rtAuthItem
	schemes []rtAuthScheme
	realm   string
	// unusable: no alternative has all its authenticators, so no request
	// can ever pass; answered 500 (logged when the chain was built).
	unusable bool
}

// rtAuth states of one scheme within one request.
const (
	rtAuthUnknown = iota
	rtAuthMissing
	rtAuthInvalid
	rtAuthForbidden
	rtAuthOK
)

type rtAuthResult struct {
	state int
	p     Principal
}

func newRTAuthStep(op Operation, s *ServerSettings, log *slog.Logger, next http.Handler) *rtAuthStep {
	st := &rtAuthStep{next: next, op: op.ID, realm: s.AuthRealm}
	if st.realm == "" {
		st.realm = "api"
	}
	index := map[string]int{}
	usable := false
	for _, req := range op.Security {
		alt := make([]rtAuthItem, 0, len(req))
		complete := true
		for _, ss := range req {
			i, ok := index[ss.Scheme]
			if !ok {
				i = len(st.schemes)
				index[ss.Scheme] = i
				def, known := s.SecuritySchemes[ss.Scheme]
				if !known {
					def = SecurityScheme{Name: ss.Scheme}
				}
				st.schemes = append(st.schemes, rtAuthScheme{def: def, auth: s.Authenticators[ss.Scheme]})
			}
			if st.schemes[i].auth == nil {
				complete = false
			}
			alt = append(alt, rtAuthItem{idx: i, scopes: ss.Scopes})
		}
		usable = usable || complete
		st.alts = append(st.alts, alt)
	}
	if !usable {
		st.unusable = true
		names := make([]string, len(st.schemes))
		for i, sc := range st.schemes {
			names[i] = sc.def.Name
		}
		// Fail closed: a contract that asks for credentials never lets a
		// request through because nobody said how to check them.
		log.Error("no authenticator for this operation's security schemes; its requests will be refused",
			"op", op.ID, "schemes", strings.Join(names, ","))
	}
	return st
}

func (a *rtAuthStep) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if a.unusable {
		WriteProblem(w, r, ProblemDetails{Status: http.StatusInternalServerError, Detail: "authentication is not configured for this operation"})
		return
	}
	var stack [4]rtAuthResult
	res := stack[:0]
	if len(a.schemes) <= len(stack) {
		res = stack[:len(a.schemes)]
	} else {
		res = make([]rtAuthResult, len(a.schemes))
	}
	forbidden := false
	var missingScopes []string
	for _, alt := range a.alts {
		ok := true
		for _, it := range alt {
			rr := &res[it.idx]
			if rr.state == rtAuthUnknown {
				if a.check(w, r, it.idx, rr) {
					return
				}
			}
			if rr.state == rtAuthForbidden {
				forbidden, ok = true, false
				break
			}
			if rr.state != rtAuthOK {
				ok = false
				break
			}
			if !rtHasScopes(rr.p.Scopes, it.scopes) {
				forbidden, ok = true, false
				missingScopes = it.scopes
				break
			}
		}
		if !ok {
			continue
		}
		if len(alt) > 0 {
			if st := rtRequestState(r); st != nil {
				st.principal = res[alt[0].idx].p
			} else {
				r = r.WithContext(ContextWithPrincipal(r.Context(), res[alt[0].idx].p))
			}
		}
		a.next.ServeHTTP(w, r)
		return
	}
	if forbidden {
		a.forbid(w, r, missingScopes)
		return
	}
	a.challenge(w, r, res)
}

// check evaluates scheme i once per request. stop: an authenticator's own
// problem was answered.
func (a *rtAuthStep) check(w http.ResponseWriter, r *http.Request, i int, rr *rtAuthResult) bool {
	sc := &a.schemes[i]
	rr.state = rtAuthMissing
	if sc.auth == nil {
		return false
	}
	c, state := rtExtractCredentials(r, &sc.def)
	if state != rtAuthUnknown {
		rr.state = state
		return false
	}
	p, err := sc.auth(r.Context(), c)
	if err != nil {
		var custom interface{ Problem() ProblemDetails }
		switch {
		case errors.As(err, &custom):
			WriteProblem(w, r, custom.Problem())
			return true
		case errors.Is(err, ErrAuthForbidden):
			rr.state = rtAuthForbidden
		default:
			rr.state = rtAuthInvalid
		}
		return false
	}
	if p.Scheme == "" {
		p.Scheme = sc.def.Name
	}
	rr.state, rr.p = rtAuthOK, p
	return false
}

// rtExtractCredentials takes scheme's credentials from r. It returns
// rtAuthUnknown when there are some to check, else why not.
func rtExtractCredentials(r *http.Request, def *SecurityScheme) (AuthCredentials, int) {
	c := AuthCredentials{Scheme: def.Name, Kind: def.Kind}
	switch def.Kind {
	case SchemeBearer, SchemeOAuth2, SchemeOIDC:
		c.Token = rtAuthorization(r, "Bearer")
	case SchemeHTTP:
		c.Token = rtAuthorization(r, def.HTTPScheme)
	case SchemeBasic:
		raw := rtAuthorization(r, "Basic")
		if raw == "" {
			return c, rtAuthMissing
		}
		b, err := base64.StdEncoding.DecodeString(raw)
		if err != nil {
			return c, rtAuthInvalid
		}
		user, pass, ok := strings.Cut(string(b), ":")
		if !ok {
			return c, rtAuthInvalid
		}
		c.Username, c.Password = user, pass
		return c, rtAuthUnknown
	case SchemeAPIKey:
		switch def.In {
		case "header":
			c.Token = r.Header.Get(def.ParamName)
		case "query":
			c.Token = r.URL.Query().Get(def.ParamName)
		case "cookie":
			if ck, err := r.Cookie(def.ParamName); err == nil {
				c.Token = ck.Value
			}
		}
	case SchemeMutualTLS:
		if r.TLS == nil || len(r.TLS.PeerCertificates) == 0 {
			return c, rtAuthMissing
		}
		// Only a chain the TLS layer verified against the server's client
		// CAs counts: a self-signed certificate is presented, not proven.
		if len(r.TLS.VerifiedChains) == 0 {
			return c, rtAuthInvalid
		}
		c.Certificate = r.TLS.PeerCertificates[0]
		return c, rtAuthUnknown
	default:
		return c, rtAuthMissing
	}
	if c.Token == "" {
		return c, rtAuthMissing
	}
	return c, rtAuthUnknown
}

// rtAuthorization returns the credentials of an Authorization header using
// scheme (compared case-insensitively, RFC 9110 §11.1), "" otherwise.
func rtAuthorization(r *http.Request, scheme string) string {
	h := r.Header.Get("Authorization")
	if len(h) <= len(scheme) || h[len(scheme)] != ' ' || !strings.EqualFold(h[:len(scheme)], scheme) {
		return ""
	}
	return strings.TrimSpace(h[len(scheme)+1:])
}

// challenge answers 401 with one WWW-Authenticate challenge per scheme the
// operation accepts (RFC 9110 §11.6.1 asks for at least one).
func (a *rtAuthStep) challenge(w http.ResponseWriter, r *http.Request, res []rtAuthResult) {
	h := w.Header()
	seen := make([]bool, len(a.schemes))
	var names []string
	for _, alt := range a.alts {
		for _, it := range alt {
			if seen[it.idx] {
				continue
			}
			seen[it.idx] = true
			def := &a.schemes[it.idx].def
			names = append(names, def.Name)
			if ch := a.challengeFor(def, it.scopes, res[it.idx].state == rtAuthInvalid); ch != "" {
				h.Add("WWW-Authenticate", ch)
			}
		}
	}
	WriteProblem(w, r, ProblemDetails{Status: http.StatusUnauthorized,
		Detail: "missing or invalid credentials; this operation accepts " + strings.Join(names, ", ")})
}

func (a *rtAuthStep) challengeFor(def *SecurityScheme, scopes []string, invalid bool) string {
	realm := "realm=" + rtQuote(a.realm)
	switch def.Kind {
	case SchemeBearer, SchemeOAuth2, SchemeOIDC:
		ch := "Bearer " + realm
		if invalid {
			ch += `, error="invalid_token"`
		}
		if len(scopes) > 0 {
			ch += ", scope=" + rtQuote(strings.Join(scopes, " "))
		}
		return ch
	case SchemeBasic:
		return "Basic " + realm + `, charset="UTF-8"`
	case SchemeHTTP:
		if def.HTTPScheme != "" {
			return def.HTTPScheme + " " + realm
		}
	case SchemeAPIKey:
		// No registered scheme for API keys: this one tells a client where
		// the key goes, and keeps the 401 carrying a challenge.
		return "APIKey " + realm + ", in=" + rtQuote(def.In) + ", name=" + rtQuote(def.ParamName)
	}
	return ""
}

// forbid answers 403: the caller is known but lacks what the operation
// needs. For bearer tokens, RFC 6750 §3.1's insufficient_scope says so.
func (a *rtAuthStep) forbid(w http.ResponseWriter, r *http.Request, scopes []string) {
	detail := "the credentials are not allowed to call this operation"
	if len(scopes) > 0 {
		detail = "the credentials lack the scopes this operation requires: " + strings.Join(scopes, " ")
		for _, alt := range a.alts {
			for _, it := range alt {
				switch a.schemes[it.idx].def.Kind {
				case SchemeBearer, SchemeOAuth2, SchemeOIDC:
					w.Header().Set("WWW-Authenticate", "Bearer realm="+rtQuote(a.realm)+`, error="insufficient_scope", scope=`+rtQuote(strings.Join(scopes, " ")))
				}
			}
		}
	}
	WriteProblem(w, r, ProblemDetails{Status: http.StatusForbidden, Detail: detail})
}

// rtIPStep refuses callers outside the allow-list, before they take a
// concurrency slot. It reads the connection's address, never a header a
// client could write (X-Forwarded-For): behind a proxy, allow the proxy.
type rtIPStep struct {
	next  http.Handler
	allow []netip.Prefix
}

func (s *rtIPStep) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		addr := ap.Addr().Unmap()
		for _, p := range s.allow {
			if p.Contains(addr) {
				s.next.ServeHTTP(w, r)
				return
			}
		}
	}
	WriteProblem(w, r, ProblemDetails{Status: http.StatusForbidden, Detail: "the caller's address is not allowed"})
}

// ParseIPAllowList parses CIDR prefixes and bare addresses (a single host).
func ParseIPAllowList(entries ...string) ([]netip.Prefix, error) {
	out := make([]netip.Prefix, 0, len(entries))
	for _, e := range entries {
		e = strings.TrimSpace(e)
		if p, err := netip.ParsePrefix(e); err == nil {
			out = append(out, p.Masked())
			continue
		}
		a, err := netip.ParseAddr(e)
		if err != nil {
			return nil, errors.New("IP allow-list entry " + rtQuote(e) + ": neither a CIDR prefix nor an address")
		}
		a = a.Unmap()
		out = append(out, netip.PrefixFrom(a, a.BitLen()))
	}
	return out, nil
}
