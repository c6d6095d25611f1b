package preflight

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/accord-dev/accord/contracts"
)

// maxTolerance: a signed request older than this is refused; a longer
// window gives a captured request more time to be replayed.
const maxTolerance = 10 * time.Minute

func (s *state) signatureFreshness() Check {
	var items []Item
	for _, t := range s.targets {
		for _, o := range t.ops {
			sig := o.Policy.Signature
			if !o.Webhook && sig == "" {
				continue
			}
			if sig == "" {
				items = append(items, no(o.label()+": webhook without a signature scheme (anyone who knows the URL can post to it)", o.where()))
				continue
			}
			sc, ok := t.schemes[sig]
			switch {
			case !ok:
				items = append(items, no(o.label()+": signature "+sig+" names no scheme with x-accord-signature", o.where()))
			case sc.Tolerance <= 0 || sc.Tolerance > maxTolerance:
				items = append(items, no(fmt.Sprintf("%s: scheme %s accepts signatures %s old (at most %s)", o.label(), sig, sc.Tolerance, maxTolerance), sc.Pos.String()))
			default:
				items = append(items, yes(fmt.Sprintf("%s: %s, %s, freshness %s", o.label(), sig, sc.Format, sc.Tolerance), sc.Pos.String()))
			}
		}
	}
	return verdict("signature-freshness", "webhooks and signed operations: signature with a freshness window ≤ 10m", items,
		"every webhook and signed operation is signed with a fresh-enough scheme",
		"a webhook or signed operation lacks a signature or a short freshness window",
		"no webhooks and no signed operations")
}

// httpsServers: production servers must use TLS. A server whose URL or
// description says sandbox, test, staging or localhost is not production.
func (s *state) httpsServers() Check {
	var items []Item
	for _, t := range s.targets {
		for _, sv := range servers(t) {
			if sv.sandbox() || sv.local() {
				continue
			}
			if ok, why := sv.secure(); ok {
				items = append(items, yes(t.Name+": "+sv.url, sv.where))
			} else {
				items = append(items, no(t.Name+": "+sv.url+": "+why, sv.where))
			}
		}
	}
	return verdict("https-servers", "production servers on https", items,
		"every production server uses TLS", "a production server is reachable without TLS",
		"no production server declared")
}

// server is a declared server of either kind of contract.
type server struct {
	url, protocol, description, name, where string
}

func servers(t *target) []server {
	var out []server
	d := t.Doc
	switch d.Kind {
	case contracts.KindOpenAPI:
		for i, sv := range d.OpenAPI.Servers {
			if sv == nil {
				continue
			}
			u := sv.URL
			proto := ""
			if p, err := url.Parse(u); err == nil {
				proto = p.Scheme
			}
			out = append(out, server{url: u, protocol: proto, description: sv.Description,
				where: d.Pos(fmt.Sprintf("/servers/%d", i)).String()})
		}
	case contracts.KindAsyncAPI:
		for _, sv := range d.AsyncAPI.Servers {
			out = append(out, server{url: sv.Host + sv.Pathname, protocol: strings.ToLower(sv.Protocol), description: sv.Description,
				name: sv.Name, where: sv.Pos.String()})
		}
	}
	return out
}

var sandboxWords = regexp.MustCompile(`(?i)sandbox|test|staging|stage|dev\b|preprod|demo`)

func (sv server) sandbox() bool {
	return sandboxWords.MatchString(sv.url) || sandboxWords.MatchString(sv.description) || sandboxWords.MatchString(sv.name)
}

func (sv server) local() bool {
	h := sv.url
	if p, err := url.Parse(sv.url); err == nil && p.Host != "" {
		h = p.Hostname()
	}
	return strings.HasPrefix(h, "localhost") || strings.HasPrefix(h, "127.") || h == "[::1]" || h == "::1"
}

// secure judges the transport: https/wss, or a broker protocol's TLS form.
func (sv server) secure() (bool, string) {
	switch sv.protocol {
	case "https", "wss", "kafka-secure", "amqps", "mqtts", "secure-mqtt", "ibmmq-secure", "stomps", "jms-secure":
		return true, ""
	case "http", "ws", "kafka", "amqp", "mqtt", "stomp":
		return false, "protocol " + sv.protocol + " is not encrypted"
	case "":
		return false, "no scheme: a relative or templated URL whose transport cannot be checked"
	}
	return true, ""
}

// authDeclared: an operation with no security requirement is open to
// anyone; that is fine only when the contract says so (security: [] or an
// empty requirement {} on the operation).
func (s *state) authDeclared() Check {
	var items []Item
	n := 0
	for _, t := range s.targets {
		for _, o := range t.ops {
			if o.Webhook {
				continue // the signature check covers what calls us
			}
			switch {
			case o.oa != nil:
				n++
				// The operation's own security, even security: [] (declared
				// public), decides; else the document's.
				if o.oa.Security != nil || len(t.Doc.OpenAPI.Security) > 0 {
					continue
				}
				items = append(items, no(o.label()+": no security requirement (declare one, or security: [] if it is public)", o.where()))
			case o.async != nil:
				n++
				if len(o.async.Security) == 0 {
					items = append(items, no(o.label()+": no security requirement", o.where()))
				}
			}
		}
	}
	if n == 0 {
		return Check{ID: "auth-declared", Title: "authentication declared for every non-public operation", Status: Yes, Why: "no operations"}
	}
	if len(items) == 0 {
		return Check{ID: "auth-declared", Title: "authentication declared for every non-public operation", Status: Yes,
			Why: fmt.Sprintf("%s: authenticated or declared public", plural(n, "operation"))}
	}
	return Check{ID: "auth-declared", Title: "authentication declared for every non-public operation", Status: No,
		Why: fmt.Sprintf("%d of %d operations have no authentication and are not declared public", len(items), n), Items: items}
}
