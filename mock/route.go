package mock

import (
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"

	"github.com/accord-dev/accord/contracts"
)

// operation is one served OpenAPI operation with what the request path
// needs to be matched and its parameters recovered.
type operation struct {
	id     string
	method string
	path   string // the OpenAPI template
	doc    *contracts.Document
	op     *openapi3.Operation
	route  *routers.Route
	policy contracts.Policy
	// segs is the template split at "/", for matching and for naming the
	// mux wildcards' values.
	segs []segment
	// keyed says the operation takes an Idempotency-Key.
	keyed bool
	// statuses are the declared status codes, ascending.
	statuses []int
}

// segment is one path segment of a template: a literal, a whole-segment
// parameter, or a segment mixing both ("{name}.json"), matched by re.
type segment struct {
	literal string
	param   string
	re      *regexp.Regexp
	names   []string // re's parameters, in order
}

var templateParam = regexp.MustCompile(`\{([^{}]+)\}`)

func parseTemplate(path string) ([]segment, error) {
	parts := strings.Split(strings.TrimPrefix(path, "/"), "/")
	segs := make([]segment, len(parts))
	for i, p := range parts {
		ms := templateParam.FindAllStringSubmatchIndex(p, -1)
		switch {
		case len(ms) == 0:
			if strings.ContainsAny(p, "{}") {
				return nil, fmt.Errorf("path %q: unbalanced braces in segment %q", path, p)
			}
			segs[i] = segment{literal: p}
		case len(ms) == 1 && ms[0][0] == 0 && ms[0][1] == len(p):
			segs[i] = segment{param: p[1 : len(p)-1]}
		default:
			var expr strings.Builder
			expr.WriteByte('^')
			var names []string
			last := 0
			for _, m := range ms {
				expr.WriteString(regexp.QuoteMeta(p[last:m[0]]))
				expr.WriteString(`(.+?)`)
				names = append(names, p[m[2]:m[3]])
				last = m[1]
			}
			expr.WriteString(regexp.QuoteMeta(p[last:]))
			expr.WriteByte('$')
			segs[i] = segment{re: regexp.MustCompile(expr.String()), names: names}
		}
	}
	return segs, nil
}

// pattern is the net/http pattern for the template. Parameters become
// positional wildcards so that /a/{id} and /a/{name} are one pattern (the
// mux panics on such duplicates; the first operation serves them).
func pattern(method string, segs []segment) string {
	var b strings.Builder
	b.WriteString(method)
	b.WriteByte(' ')
	for i, s := range segs {
		b.WriteByte('/')
		switch {
		case s.literal != "" || (s.param == "" && s.re == nil):
			b.WriteString(s.literal)
		default:
			fmt.Fprintf(&b, "{p%d}", i)
		}
	}
	if last := segs[len(segs)-1]; last.literal == "" && last.param == "" && last.re == nil {
		b.WriteString("{$}") // a template ending in "/" is that path, not a subtree
	}
	return b.String()
}

// params recovers the OpenAPI path parameters of a request routed by the
// mux, or from the raw path for fallback routes; ok is false when a mixed
// segment does not match.
func (o *operation) params(r *http.Request, fromMux bool) (map[string]string, bool) {
	var parts []string
	if !fromMux {
		parts = strings.Split(strings.TrimPrefix(r.URL.Path, "/"), "/")
		if len(parts) != len(o.segs) {
			return nil, false
		}
	}
	out := map[string]string{}
	for i, s := range o.segs {
		var v string
		if fromMux {
			if s.param == "" && s.re == nil {
				continue
			}
			v = r.PathValue(fmt.Sprintf("p%d", i))
		} else {
			v = parts[i]
			if s.param == "" && s.re == nil {
				if v != s.literal {
					return nil, false
				}
				continue
			}
		}
		switch {
		case s.param != "":
			if v == "" {
				return nil, false
			}
			out[s.param] = v
		case s.re != nil:
			m := s.re.FindStringSubmatch(v)
			if m == nil {
				return nil, false
			}
			for j, name := range s.names {
				out[name] = m[j+1]
			}
		}
	}
	return out, true
}

// collectOperations lists the documents' path operations (webhooks are
// sent, not served) in a stable order.
func collectOperations(docs []*contracts.Document) ([]*operation, error) {
	var out []*operation
	for _, doc := range docs {
		if doc.Kind != contracts.KindOpenAPI {
			continue
		}
		policies, _ := doc.Policies()
		byID := map[string]contracts.OperationPolicy{}
		for _, p := range policies {
			if !p.Webhook {
				byID[p.Method+" "+p.Path] = p
			}
		}
		t := doc.OpenAPI
		if t.Paths == nil {
			continue
		}
		keys := t.Paths.Keys()
		sort.Strings(keys)
		for _, path := range keys {
			item := t.Paths.Value(path)
			segs, err := parseTemplate(path)
			if err != nil {
				return nil, err
			}
			for _, m := range methods {
				op := item.GetOperation(m)
				if op == nil {
					continue
				}
				pol := byID[m+" "+path]
				// The validator's copy of the operation has no security
				// requirements: authenticate checks them (with the
				// configured credentials), and kin-openapi would only spend
				// allocations calling a no-op for each.
				unsecured := *op
				unsecured.Security = &openapi3.SecurityRequirements{}
				o := &operation{
					id: pol.ID, method: m, path: path, doc: doc, op: op, policy: pol.Policy, segs: segs,
					route: &routers.Route{Spec: t, Path: path, PathItem: item, Method: m, Operation: &unsecured},
				}
				o.statuses = o.declaredStatuses()
				if o.id == "" {
					o.id = m + " " + path
				}
				// A key is honoured where the contract declares the header or
				// says so explicitly ("client" keeps keys on the caller's side).
				mode := pol.Policy.Idempotency
				o.keyed = takesKey(item, op) || (pol.Policy.IdempotencyExplicit && (mode == contracts.IdempotencyRequired || mode == contracts.IdempotencyOptional))
				out = append(out, o)
			}
		}
	}
	return out, nil
}

var methods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}

const keyHeader = "Idempotency-Key"

func takesKey(item *openapi3.PathItem, op *openapi3.Operation) bool {
	for _, ps := range []openapi3.Parameters{item.Parameters, op.Parameters} {
		for _, p := range ps {
			if p.Value != nil && p.Value.In == openapi3.ParameterInHeader && http.CanonicalHeaderKey(p.Value.Name) == keyHeader {
				return true
			}
		}
	}
	return false
}
