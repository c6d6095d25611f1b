package contracts

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
)

// OperationPolicy is one operation's resolved policy.
type OperationPolicy struct {
	// ID is the operationId; for an OpenAPI operation without one, "METHOD path".
	ID string
	// Method is the HTTP method in upper case; empty for AsyncAPI operations.
	Method string
	// Path is the path template (OpenAPI), the webhook name for OpenAPI
	// webhooks, or the channel address (AsyncAPI).
	Path    string
	Webhook bool
	Policy  Policy
	Pos     Position
}

// Policies resolves every operation's policy: defaults, then the document's
// x-accord, then the operation's, then overrides in order. Problems cover
// malformed x-accord values, contradictions, and signatures naming no scheme.
func (d *Document) Policies(overrides ...PolicySpec) ([]OperationPolicy, []Problem) {
	return d.PoliciesWith(overrides, nil)
}

// PoliciesWith is Policies with one more layer per operation, by ID, applied
// last (accord.yaml's per-operation settings).
func (d *Document) PoliciesWith(overrides []PolicySpec, perOperation map[string]PolicySpec) ([]OperationPolicy, []Problem) {
	var problems []Problem
	layer := func(ext map[string]any, pointer string, fallback Position) (PolicySpec, bool) {
		v, ok := ext[PolicyKey]
		if !ok {
			return PolicySpec{}, false
		}
		spec, ps := ParsePolicySpec(v, pointer+"/"+PolicyKey, d.posOr(fallback))
		problems = append(problems, ps...)
		return spec, true
	}
	schemes, ps := d.SignatureSchemes()
	problems = append(problems, ps...)

	var docExt map[string]any
	switch d.Kind {
	case KindOpenAPI:
		docExt = d.OpenAPI.Extensions
	case KindAsyncAPI:
		docExt = d.AsyncAPI.Extensions
	}
	docSpec, hasDoc := layer(docExt, "", Position{})
	if hasDoc {
		// Checked once here; operations are checked only when they add a
		// layer of their own, so one document mistake is one warning.
		problems = append(problems, ResolvePolicy("", docSpec).Check(d.Pos("/"+PolicyKey), PolicyKey)...)
	}

	var out []OperationPolicy
	add := func(op OperationPolicy, ext map[string]any, pointer string, fallback Position) {
		pos := d.posOr(fallback)
		opSpec, hasOp := layer(ext, pointer, fallback)
		layers := append([]PolicySpec{docSpec, opSpec}, overrides...)
		if own, ok := perOperation[op.ID]; ok {
			layers = append(layers, own)
		}
		op.Policy = ResolvePolicy(op.Method, layers...)
		op.Pos = pos(pointer)
		if hasOp {
			problems = append(problems, op.Policy.Check(pos(pointer+"/"+PolicyKey), op.ID)...)
		}
		if sig := op.Policy.Signature; sig != "" {
			if _, ok := schemes[sig]; !ok {
				at := "/" + PolicyKey + "/signature"
				if hasOp && opSpec.Signature != nil {
					at = pointer + at
				}
				problems = append(problems, Problem{
					Pos: pos(at), Severity: SeverityError, Code: "policy-unknown-signature",
					Message: fmt.Sprintf("%s: x-accord signature %q names no securityScheme with x-accord-signature", op.ID, sig),
					Hint:    "declare it under components.securitySchemes." + sig + " with an x-accord-signature extension",
				})
			}
		}
		out = append(out, op)
	}

	switch d.Kind {
	case KindOpenAPI:
		walkOpenAPIOperations(d.OpenAPI, func(o openAPIOp) {
			add(OperationPolicy{ID: o.id(), Method: o.method, Path: o.path, Webhook: o.webhook}, o.op.Extensions, o.pointer, Position{})
		})
	case KindAsyncAPI:
		for _, op := range d.AsyncAPI.Operations {
			path := ""
			if op.Channel != nil {
				path = op.Channel.Address
			}
			// An operation may live in another file ($ref) or take its
			// x-accord from a trait: its own position is the better anchor.
			add(OperationPolicy{ID: op.ID, Path: path}, op.Extensions, op.Pointer, op.Pos)
		}
	}
	problems = append(problems, d.completePolicies(out)...)
	return out, problems
}

// openAPIOp is one operation found while walking paths and webhooks.
type openAPIOp struct {
	path, method, pointer string
	webhook               bool
	op                    *openapi3.Operation
}

func (o openAPIOp) id() string {
	if o.op.OperationID != "" {
		return o.op.OperationID
	}
	return o.method + " " + o.path
}

// walkOpenAPIOperations visits operations in a stable order: paths sorted,
// then webhooks sorted, methods in the order HTTP lists them.
func walkOpenAPIOperations(t *openapi3.T, fn func(openAPIOp)) {
	visit := func(section, key string, item *openapi3.PathItem, webhook bool) {
		if item == nil {
			return
		}
		for _, m := range httpMethods {
			op := item.GetOperation(m)
			if op == nil {
				continue
			}
			fn(openAPIOp{
				path: key, method: m, webhook: webhook, op: op,
				pointer: Pointer(section, key, strings.ToLower(m)),
			})
		}
	}
	if t.Paths != nil {
		keys := t.Paths.Keys()
		sort.Strings(keys)
		for _, p := range keys {
			visit("paths", p, t.Paths.Value(p), false)
		}
	}
	for _, name := range sortedKeys(t.Webhooks) {
		visit("webhooks", name, t.Webhooks[name], true)
	}
}

var httpMethods = []string{"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"}

// SignatureKey is the securityScheme extension that declares a signing scheme.
const SignatureKey = "x-accord-signature"

// SignatureScheme is a securityScheme that carries x-accord-signature.
type SignatureScheme struct {
	Name            string
	Algorithm       string // hmac-sha256
	Format          string // accord | standard-webhooks | http-message-signatures
	SignatureHeader string
	TimestampHeader string
	// NonceHeader carries the accord format's per-request nonce, signed
	// with the timestamp and body so that a quick retry is not a replay.
	NonceHeader string
	Tolerance   time.Duration
	Pos         Position
}

// Signature formats.
const (
	FormatAccord                = "accord"
	FormatStandardWebhooks      = "standard-webhooks"
	FormatHTTPMessageSignatures = "http-message-signatures" // RFC 9421, hmac-sha256
)

// DefaultTolerance is how old (or how far in the future) a signed timestamp may be.
const DefaultTolerance = 5 * time.Minute

// SignatureSchemes returns the signing schemes declared in the components.
func (d *Document) SignatureSchemes() (map[string]SignatureScheme, []Problem) {
	out := map[string]SignatureScheme{}
	var problems []Problem
	visit := func(name string, ext map[string]any) {
		v, ok := ext[SignatureKey]
		if !ok {
			return
		}
		at := Pointer("components", "securitySchemes", name, SignatureKey)
		s, ps := parseSignature(name, v, at, d.Pos)
		problems = append(problems, ps...)
		if len(ps) == 0 || !HasErrors(ps) {
			out[name] = s
		}
	}
	switch d.Kind {
	case KindOpenAPI:
		if d.OpenAPI.Components != nil {
			for _, name := range sortedKeys(d.OpenAPI.Components.SecuritySchemes) {
				if ref := d.OpenAPI.Components.SecuritySchemes[name]; ref != nil && ref.Value != nil {
					visit(name, ref.Value.Extensions)
				}
			}
		}
	case KindAsyncAPI:
		for _, name := range sortedKeys(d.AsyncAPI.Components.SecuritySchemes) {
			visit(name, d.AsyncAPI.Components.SecuritySchemes[name])
		}
	}
	return out, problems
}

func parseSignature(name string, v any, at string, pos func(string) Position) (SignatureScheme, []Problem) {
	pp := policyParser{pointer: at, pos: pos}
	s := SignatureScheme{Name: name, Algorithm: "hmac-sha256", Format: FormatAccord, Tolerance: DefaultTolerance, Pos: pos(at)}
	m, ok := v.(map[string]any)
	if !ok {
		pp.errorf(at, "signature-not-object", "x-accord-signature must be a mapping, not %s", describe(v))
		return s, pp.problems
	}
	str := func(k string) (string, bool) {
		x, ok := m[k].(string)
		if !ok || x == "" {
			pp.errorf(at+"/"+k, "signature-bad-value", "x-accord-signature %s must be a non-empty string, not %s", k, describe(m[k]))
		}
		return x, ok
	}
	for _, k := range sortedKeys(m) {
		switch k {
		case "algorithm":
			if a, ok := str(k); ok {
				if a != "hmac-sha256" {
					pp.errorf(at+"/"+k, "signature-bad-value", "x-accord-signature algorithm %q is not supported; use hmac-sha256", a)
				}
			}
		case "format":
			if f, ok := str(k); ok {
				if f != FormatAccord && f != FormatStandardWebhooks && f != FormatHTTPMessageSignatures {
					pp.errorf(at+"/"+k, "signature-bad-value", "x-accord-signature format must be accord, standard-webhooks or http-message-signatures, not %q", f)
				}
				s.Format = f
			}
		case "signatureHeader":
			s.SignatureHeader, _ = str(k)
		case "timestampHeader":
			s.TimestampHeader, _ = str(k)
		case "nonceHeader":
			s.NonceHeader, _ = str(k)
		case "tolerance":
			if d := pp.duration(m[k], at+"/"+k, "tolerance", false); d != nil {
				s.Tolerance = *d
			}
		default:
			pp.unknown(at+"/"+k, k, []string{"algorithm", "format", "signatureHeader", "timestampHeader", "nonceHeader", "tolerance"})
		}
	}
	if s.Format == FormatHTTPMessageSignatures {
		// RFC 9421 fixes the field names (Signature, Signature-Input);
		// created and nonce travel inside Signature-Input.
		for _, k := range []string{"signatureHeader", "timestampHeader", "nonceHeader"} {
			if _, ok := m[k]; ok {
				pp.errorf(at+"/"+k, "signature-bad-value", "x-accord-signature %s does not apply to http-message-signatures: RFC 9421 uses the Signature and Signature-Input headers", k)
			}
		}
		s.SignatureHeader, s.TimestampHeader, s.NonceHeader = "Signature", "", ""
	}
	if s.SignatureHeader == "" {
		s.SignatureHeader = map[string]string{FormatAccord: "X-Signature", FormatStandardWebhooks: "webhook-signature"}[s.Format]
	}
	if s.TimestampHeader == "" {
		s.TimestampHeader = map[string]string{FormatAccord: "X-Timestamp", FormatStandardWebhooks: "webhook-timestamp"}[s.Format]
	}
	if s.Format == FormatAccord && s.NonceHeader == "" {
		s.NonceHeader = "X-Nonce"
	}
	if s.Format == FormatStandardWebhooks && s.NonceHeader != "" {
		pp.errorf(at+"/nonceHeader", "signature-bad-value", "x-accord-signature nonceHeader applies to the accord format only; standard-webhooks uses webhook-id")
	}
	for i := range pp.problems {
		pp.problems[i].Message = strings.Replace(pp.problems[i].Message, "x-accord: ", "", 1)
	}
	return s, pp.problems
}

// posOr resolves pointers in the root file, but answers fallback for a
// pointer the root file does not hold (an element defined in another file).
func (d *Document) posOr(fallback Position) func(string) Position {
	if fallback.File == "" {
		return d.Pos
	}
	return func(pointer string) Position {
		if d.root.Has(pointer) {
			return d.root.Pos(pointer)
		}
		return fallback
	}
}
