package generator

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"

	"github.com/accord-dev/accord/contracts"
)

// Model is what the templates render (templates/*.tmpl). It is built once
// per generated package, after oapi-codegen has run, so every Go name in it
// is the name oapi-codegen actually emitted.
type Model struct {
	// Package is the generated package's name.
	Package string
	// Version is accord's version (the one in the file headers).
	Version string
	// Runtime is the import path of the accord runtime package the
	// generated code imports as accordrt.
	Runtime string
	// Title is the contract's info.title.
	Title string
	// Parts says which files are generated; templates may adapt to it.
	Parts Parts
	// Operations are the contract's path operations, in the order
	// contracts.Document.Policies lists them (paths sorted, then methods in
	// HTTP order).
	Operations []Operation
	// Webhooks are the OpenAPI 3.1 `webhooks`, sorted by name then method.
	// Their builders take the target URL instead of the server
	// (New<GoName>WebhookRequest...); they have no response type.
	Webhooks []Operation
	// Signatures are the signing schemes the contract declares, by name.
	Signatures []Signature
	// Validation is the generated request validation (validate.go).
	Validation Validation
	// Auth is the contract's securitySchemes and each operation's
	// security requirement (security.go).
	Auth Auth
	// Pagination are the list operations the client iterates
	// (pagination.go).
	Pagination []Paged
	// Collections are the catalog entities adapted to accordrt.Collection
	// (collection.go).
	Collections []Collection
}

// Operation is one operation as the templates see it.
type Operation struct {
	// ID is the operationId as the contract writes it, or "METHOD path" when
	// the contract gives none; the runtime knows operations by it.
	ID string
	// GoName is oapi-codegen's name for the operation: the ServerInterface
	// method, the prefix of New<GoName>Request, <GoName>Params and so on.
	GoName string
	// Method is the HTTP method in upper case.
	Method string
	// Path is the path template ("/payments/{id}"); for a webhook, its name.
	Path string
	// Summary is the contract's summary on one line (safe in a comment).
	Summary    string
	Deprecated bool
	Webhook    bool

	// PathParams are the path parameters in the order the builders take them.
	PathParams []PathParam
	// ParamsType is <GoName>Params when the operation has query, header or
	// cookie parameters, else "".
	ParamsType string

	// HasBody says the operation declares a request body.
	HasBody      bool
	BodyRequired bool
	// RawBuilder builds the request from (server, path params...,
	// [params], [contentType string, body io.Reader]): New<GoName>Request,
	// or New<GoName>RequestWithBody when the operation has a body.
	RawBuilder string
	// Bodies are the typed builders, one per request content type that
	// oapi-codegen can marshal (JSON, form, text); in contract order.
	Bodies []Body
	// DefaultBody is the body whose builder takes no content-type suffix
	// (New<GoName>Request(server, ..., body)), or nil.
	DefaultBody *Body
	// Direct: the client builds the request from its parsed base URL
	// instead of calling RawBuilder (client_build.go); nil keeps the builder.
	Direct *DirectRequest

	// ResponseType is the parsed response type (<GoName>Response, unless
	// oapi-codegen had to rename it to avoid a collision) and ResponseParser
	// the function that builds it from an *http.Response.
	ResponseType   string
	ResponseParser string
	// Success lists the explicit 2xx statuses the contract declares, sorted.
	// Empty means any 2xx (the contract uses 2XX or default only).
	Success []int
	// Result is the named model type every success answer carries as its
	// JSON body, which the method then returns (*Result) instead of the
	// parsed response; ResultFields are the response's fields holding it
	// (JSON200, JSON201). Empty keeps the parsed response (typed.go).
	Result       string
	ResultFields []string
	// SuccessNotJSON: a 2xx answer may carry a media type that is not JSON
	// (the parsed response may have no field for it).
	SuccessNotJSON bool

	// Policy is the resolved resilience policy and PolicyLiteral the same
	// value as a Go expression of the runtime's Policy type.
	Policy        contracts.Policy
	PolicyLiteral string
	// LinkHeader: the 200 answer declares a Link header (RFC 8288), the
	// pagination the iterator then follows (pagination.go).
	LinkHeader bool
	// LongRunning: a 202 answer names a status resource in Location; the
	// client waits for it with <GoName>Wait (lro.go).
	LongRunning bool
	// DeprecationLiteral is the runtime Deprecation of a deprecated
	// operation (dates from x-deprecated-at and x-sunset), "" otherwise.
	DeprecationLiteral string
	// Signature is the scheme named by Policy.Signature, or nil.
	Signature *Signature
	// ServedBy is the GoName of the operation whose handler serves this
	// one's requests (their paths differ only in parameter names);
	// Unrouted: the server cannot route it at all (routes.go).
	ServedBy string
	Unrouted bool
	// ClientRecorded: the client records this operation's calls
	// (idempotency client on an unsafe method); ReconcileGoName is the
	// client method of Policy.Reconcile, "" when none.
	ClientRecorded  bool
	ReconcileGoName string
}

// PathParam is one path parameter of a request builder.
type PathParam struct {
	// Name is the parameter's name in the contract.
	Name string
	// GoName is the builder's argument name, GoType its Go type.
	GoName string
	GoType string
}

// Body is one typed request builder.
type Body struct {
	ContentType string
	// Builder is New<GoName>Request<Suffix>, taking (server, path params...,
	// [params], body Type).
	Builder string
	// Type is the body's Go type, <GoName><Tag>RequestBody.
	Type string
	JSON bool
}

// Signature is a signing scheme (a securityScheme with x-accord-signature).
type Signature struct {
	Name            string
	Algorithm       string
	Format          string
	SignatureHeader string
	TimestampHeader string
	Tolerance       time.Duration
	// Literal is the scheme as a Go expression of the runtime's
	// SignatureScheme type.
	Literal string
}

// Route is the operation's path as a Go 1.22 http.ServeMux pattern: the
// wildcards named as oapi-codegen's server binds them (r.PathValue), a
// trailing slash anchored with {$} so it does not match a whole subtree.
func (o Operation) Route() string {
	return codegen.SwaggerUriToStdHttpUri(o.Path)
}

// AckStatus is the status a webhook receiver answers an accepted message
// with: the first 2xx the contract declares, else 204.
func (o Operation) AckStatus() int {
	if len(o.Success) > 0 {
		return o.Success[0]
	}
	return 204
}

// isMethodLocal reports the names generated methods use for their
// receiver, arguments, locals and imported packages; an argument must not
// shadow them.
func isMethodLocal(name string) bool {
	switch name {
	case "c", "s", "ctx", "params", "body", "opts", "contentType", "targetURL", "buf", "req", "resp", "err",
		"bytes", "context", "json", "fmt", "http", "time", "openapi_types", "oapirt":
		return true
	}
	return false
}

// ArgName is the parameter's argument name in a generated method:
// oapi-codegen's name, suffixed when it would shadow one of the method's own.
func (p PathParam) ArgName() string {
	if isMethodLocal(p.GoName) {
		return p.GoName + "Param"
	}
	return p.GoName
}

// PolicySummary describes the resolved policy in one line, for doc comments.
func (o Operation) PolicySummary() string {
	p := o.Policy
	var parts []string
	if p.Timeout > 0 {
		parts = append(parts, "timeout "+p.Timeout.String()+" per attempt")
	}
	if p.Budget > 0 {
		parts = append(parts, "budget "+p.Budget.String())
	}
	unsafe := contracts.UnsafeMethod(o.Method)
	switch {
	case p.Retries <= 0:
		parts = append(parts, "no retries")
	case unsafe && p.Idempotency == contracts.IdempotencyClient:
		parts = append(parts, fmt.Sprintf("up to %d retries, only of attempts the provider declined (429, 503) or that never left", p.Retries))
	case unsafe && !p.KeyHonoured():
		parts = append(parts, "one attempt (the contract does not say the provider honours an Idempotency-Key)")
	case len(p.RetryOn) > 0:
		codes := make([]string, len(p.RetryOn))
		for i, c := range p.RetryOn {
			codes[i] = strconv.Itoa(c)
		}
		parts = append(parts, fmt.Sprintf("up to %d retries (on %s, connection errors and attempt timeouts)", p.Retries, strings.Join(codes, ", ")))
	default:
		parts = append(parts, fmt.Sprintf("up to %d retries (on connection errors and attempt timeouts)", p.Retries))
	}
	if p.Idempotency != "" {
		parts = append(parts, "idempotency "+string(p.Idempotency))
	}
	if p.Signature != "" {
		parts = append(parts, "signed with "+p.Signature)
	}
	if p.Concurrency > 0 {
		parts = append(parts, fmt.Sprintf("at most %d in flight", p.Concurrency))
	}
	if b := p.Breaker; b.Failures > 0 {
		parts = append(parts, fmt.Sprintf("breaker opens after %d failures, cooldown %s", b.Failures, b.Cooldown))
	}
	return strings.Join(parts, "; ")
}
