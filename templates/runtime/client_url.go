package runtime

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
)

// BaseURL is a client's base URL, parsed once in NewClient so that each
// request is built without parsing a URL string again (oapi-codegen's
// builders parse the server, then the operation path against it, then the
// joined string: three parses per attempt).
//
//accord:generated-only
type BaseURL struct {
	u    url.URL // scheme, user, host without an empty port; no path
	path string  // the escaped base path, no trailing "/"; "" at the root
	host string  // the Host header
}

// ParseBaseURL reads "http(s)://host[:port][/base path]". Dot segments in
// the base path are resolved, as oapi-codegen's builders resolve them.
//
//accord:generated-only
func ParseBaseURL(raw string) (*BaseURL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("base URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.Opaque != "" {
		return nil, fmt.Errorf("base URL %q: want http(s)://host[/base path]", raw)
	}
	if !strings.HasSuffix(u.Path, "/") {
		u.Path += "/"
		if u.RawPath != "" {
			u.RawPath += "/"
		}
	}
	dir := u.ResolveReference(&url.URL{Path: "./"})
	// An empty port goes, as http.NewRequest drops it.
	host := strings.TrimSuffix(u.Host, ":")
	return &BaseURL{u: url.URL{Scheme: u.Scheme, User: u.User, Host: host}, path: strings.TrimSuffix(dir.EscapedPath(), "/"), host: host}, nil
}

// NewRequest builds a request to ref below the base path: ref starts with
// "/" and holds the operation's path with its parameters already styled and
// escaped (as oapi-codegen styles them). The URL is filled in place of a
// parse; the result is the URL oapi-codegen's builder would produce, except
// that dot segments coming from parameter values are sent as they are
// instead of being resolved away. contentType, when not "", is the body's
// Content-Type.
//
//accord:generated-only
func (b *BaseURL) NewRequest(ctx context.Context, method, ref string, body io.Reader, contentType string) (*http.Request, error) {
	p := ref
	if b.path != "" {
		p = b.path + ref
	}
	path, err := url.PathUnescape(p)
	if err != nil {
		return nil, fmt.Errorf("request path %q: %w", p, err)
	}
	// An empty URL parses without allocating more than the URL itself,
	// which is then filled from the parsed base.
	req, err := http.NewRequestWithContext(ctx, method, "", body)
	if err != nil {
		return nil, err
	}
	*req.URL = b.u
	req.URL.Path = path
	if path != p {
		// Escapes the default encoding would not reproduce (an escaped "/"
		// inside a parameter) are kept as written.
		req.URL.RawPath = p
	}
	req.Host = b.host
	if contentType != "" {
		req.Header["Content-Type"] = []string{contentType}
	}
	return req, nil
}

// EscapePathParam is a string path parameter of style simple as
// oapi-codegen's runtime styles it (url.PathEscape: "/" escaped too), for
// parameters whose Go type is a string: no reflection, no boxing.
//
//accord:generated-only
func EscapePathParam(s string) string { return url.PathEscape(s) }
