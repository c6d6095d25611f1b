package runtime

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// NextLink returns the rel="next" target of a response's Link headers (RFC
// 8288), resolved against base, the URL the page was fetched from; nil when
// there is none. A target on another origin than base is an error:
// following it would send the client's credentials and signatures to a
// host the caller never named.
func NextLink(h http.Header, base *url.URL) (*url.URL, error) {
	for _, v := range h.Values("Link") {
		for _, link := range rtSplitLinks(v) {
			target, params, ok := strings.Cut(strings.TrimSpace(link), ";")
			target = strings.TrimSpace(target)
			if !ok || !strings.HasPrefix(target, "<") || !strings.HasSuffix(target, ">") || !rtRelNext(params) {
				continue
			}
			u, err := url.Parse(target[1 : len(target)-1])
			if err != nil {
				return nil, fmt.Errorf("the next page's link %s is not a URL: %w", target, err)
			}
			if base != nil {
				u = base.ResolveReference(u)
				if !strings.EqualFold(u.Scheme, base.Scheme) || !strings.EqualFold(u.Host, base.Host) {
					return nil, fmt.Errorf("the next page's link leads to %s://%s, another origin than %s://%s: not followed", u.Scheme, u.Host, base.Scheme, base.Host)
				}
			}
			return u, nil
		}
	}
	return nil, nil
}

// rtSplitLinks splits a Link header at the commas between links, not at
// those inside <...> or quoted parameters.
func rtSplitLinks(v string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			depth++
		case c == '>':
			depth--
		case c == ',' && depth == 0:
			out = append(out, v[start:i])
			start = i + 1
		}
	}
	return append(out, v[start:])
}

// rtRelNext reports whether link parameters hold rel="next" (rel may list
// several space-separated types).
func rtRelNext(params string) bool {
	for _, p := range strings.Split(params, ";") {
		k, val, ok := strings.Cut(strings.TrimSpace(p), "=")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), "rel") {
			continue
		}
		for _, r := range strings.Fields(strings.Trim(strings.TrimSpace(val), `"`)) {
			if strings.EqualFold(r, "next") {
				return true
			}
		}
	}
	return false
}
