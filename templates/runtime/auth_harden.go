package runtime

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// HardenedTLSConfig is a server TLS configuration: TLS 1.2 at least, and
// for 1.2 only forward-secret AEAD suites (TLS 1.3's are all fine and not
// configurable).
func HardenedTLSConfig() *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		CipherSuites: []uint16{
			tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
			tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
			tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
			tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
		},
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256, tls.CurveP384},
	}
}

// MutualTLSConfig is HardenedTLSConfig verifying client certificates
// against clientCAs. A certificate is asked for but not required at the
// handshake, so operations without a mutualTLS scheme stay reachable; the
// chain's authentication step refuses a mutualTLS operation's request that
// came without a verified one.
func MutualTLSConfig(clientCAs *x509.CertPool) *tls.Config {
	c := HardenedTLSConfig()
	c.ClientCAs = clientCAs
	c.ClientAuth = tls.VerifyClientCertIfGiven
	return c
}

// HSTS adds Strict-Transport-Security to answers sent over TLS (browsers
// ignore it over plain HTTP, RFC 6797 §7.2), telling them to use HTTPS
// only for maxAge.
func HSTS(maxAge time.Duration, includeSubdomains bool) func(http.Handler) http.Handler {
	v := "max-age=" + strconv.FormatInt(int64(maxAge/time.Second), 10)
	if includeSubdomains {
		v += "; includeSubDomains"
	}
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.TLS != nil {
				w.Header().Set("Strict-Transport-Security", v)
			}
			next.ServeHTTP(w, r)
		})
	}
}

// CORSOptions lists who may call the API from a browser. Origins are
// explicit ("https://app.example.com"); "*" is allowed only without
// credentials.
type CORSOptions struct {
	AllowedOrigins   []string
	AllowedMethods   []string // default GET, HEAD, POST, PUT, PATCH, DELETE
	AllowedHeaders   []string // request headers a preflight may ask for
	ExposedHeaders   []string
	AllowCredentials bool
	MaxAge           time.Duration // how long a preflight answer may be cached
}

// NewCORS returns middleware answering CORS preflights and marking allowed
// origins' answers. It refuses a wildcard origin with credentials (any site
// could then act as the logged-in user) and origins that are not
// scheme://host[:port].
func NewCORS(o CORSOptions) (func(http.Handler) http.Handler, error) {
	if len(o.AllowedOrigins) == 0 {
		return nil, errors.New("cors: no allowed origins")
	}
	wildcard := false
	origins := make([]string, 0, len(o.AllowedOrigins))
	for _, raw := range o.AllowedOrigins {
		if raw == "*" {
			if o.AllowCredentials {
				return nil, errors.New("cors: origin * with credentials would let any site call the API as its user")
			}
			wildcard = true
			continue
		}
		u, err := url.Parse(raw)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return nil, errors.New("cors: origin " + rtQuote(raw) + " is not scheme://host[:port]")
		}
		origins = append(origins, strings.ToLower(u.Scheme+"://"+u.Host))
	}
	methods := o.AllowedMethods
	if len(methods) == 0 {
		methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"}
	}
	allowMethods := strings.Join(methods, ", ")
	allowHeaders := strings.Join(o.AllowedHeaders, ", ")
	expose := strings.Join(o.ExposedHeaders, ", ")
	maxAge := strconv.FormatInt(int64(o.MaxAge/time.Second), 10)
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			origin := r.Header.Get("Origin")
			if origin == "" {
				next.ServeHTTP(w, r)
				return
			}
			h := w.Header()
			h.Add("Vary", "Origin")
			allowed := wildcard || slices.Contains(origins, strings.ToLower(origin))
			preflight := r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
			if !allowed {
				if preflight {
					WriteProblem(w, r, ProblemDetails{Status: http.StatusForbidden, Detail: "origin not allowed"})
					return
				}
				next.ServeHTTP(w, r) // the browser withholds the answer
				return
			}
			if wildcard && !o.AllowCredentials {
				h.Set("Access-Control-Allow-Origin", "*")
			} else {
				h.Set("Access-Control-Allow-Origin", origin)
			}
			if o.AllowCredentials {
				h.Set("Access-Control-Allow-Credentials", "true")
			}
			if !preflight {
				if expose != "" {
					h.Set("Access-Control-Expose-Headers", expose)
				}
				next.ServeHTTP(w, r)
				return
			}
			if !slices.Contains(methods, r.Header.Get("Access-Control-Request-Method")) {
				WriteProblem(w, r, ProblemDetails{Status: http.StatusForbidden, Detail: "method not allowed by CORS"})
				return
			}
			h.Set("Access-Control-Allow-Methods", allowMethods)
			if allowHeaders != "" {
				h.Set("Access-Control-Allow-Headers", allowHeaders)
			}
			if o.MaxAge > 0 {
				h.Set("Access-Control-Max-Age", maxAge)
			}
			w.WriteHeader(http.StatusNoContent)
		})
	}, nil
}
