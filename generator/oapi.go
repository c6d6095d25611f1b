package generator

import (
	"fmt"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// oapiMu serialises calls into oapi-codegen. Its codegen package keeps the
// configuration, the spec and its name-resolution tables in package-level
// variables (globalState, TemplateFunctions["opts"], responseTypeSuffix),
// and OperationDefinitions reads them after Generate returns: two
// generations running at once would read each other's settings. This mutex
// is the one package-level variable in accord's generator, and it guards
// state that is not ours.
var oapiMu sync.Mutex

// oapiOutput is what oapi-codegen gives us for one contract.
type oapiOutput struct {
	// code is the unformatted Go source (SkipFmt: we format once, at the end).
	code string
	// ops and webhooks describe the operations with the names oapi-codegen
	// used in code.
	ops, webhooks []codegen.OperationDefinition
	// renames are identifiers to rename in code (see strictResponseRenames).
	renames map[string]string
}

// oapiConfig is the one oapi-codegen configuration accord uses.
func oapiConfig(pkg string, parts Parts, hasWebhooks bool) codegen.Configuration {
	return codegen.Configuration{
		PackageName: pkg,
		Generate: codegen.GenerateOptions{
			// Models always: the client and the server need the types.
			Models: true,
			// Client brings the request builders and response parsers; its
			// facade (Client, ClientWithResponses, ...) is filtered out of
			// the output and replaced by ours.
			Client:        parts.Client,
			StdHTTPServer: parts.Server,
			Strict:        parts.Server,
		},
		Compatibility: codegen.CompatibilityOptions{
			// Every enum constant carries its type's name. Without it an enum
			// keeps bare constants until another enum shares a value, so
			// adding an enum to a contract could rename constants elsewhere
			// (a breaking change in Go for no change in the contract); and the
			// pairwise conflict search it replaces is quadratic, most of
			// oapi-codegen's time on Stripe's contract.
			AlwaysPrefixEnumValues: true,
		},
		OutputOptions: codegen.OutputOptions{
			// imports.Process over tens of megabytes is slow, and we parse
			// the output anyway: unused imports are dropped and the file is
			// formatted once, after filtering.
			SkipFmt: true,
			// Renames types that collide across component sections (a schema
			// and a response both called Error) instead of failing.
			ResolveTypeNameCollisions: true,
			// oapi-codegen prunes components that no path uses, webhooks
			// notwithstanding: a schema only a webhook refers to would be
			// referenced and never declared (the OpenAPI 3.1 webhook example).
			SkipPrune: hasWebhooks,
		},
		// Loading is contracts' job; oapi-codegen must never fetch anything.
		AllowRemoteRefsFrom: []string{},
	}
}

// runOapiCodegen calls oapi-codegen as a library. It modifies spec (unused
// components are pruned, operation ids normalised), so callers pass a
// document they no longer need unchanged. It recovers oapi-codegen's panics:
// some malformed inputs reach a panic in its template helpers, and a
// contract must never crash accord.
func runOapiCodegen(spec *openapi3.T, cfg codegen.Configuration) (out oapiOutput, err error) {
	oapiMu.Lock()
	defer oapiMu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("oapi-codegen failed: %v", r)
		}
	}()
	out.code, err = codegen.Generate(spec, cfg)
	if err != nil {
		return out, fmt.Errorf("oapi-codegen: %w", err)
	}
	// Same global state as the Generate call above, so the same names.
	if out.ops, err = codegen.OperationDefinitions(spec); err != nil {
		return out, fmt.Errorf("oapi-codegen operations: %w", err)
	}
	if out.webhooks, err = codegen.WebhookOperationDefinitions(spec); err != nil {
		return out, fmt.Errorf("oapi-codegen webhooks: %w", err)
	}
	if cfg.Generate.Strict && spec.Components != nil && len(spec.Components.Responses) > 0 {
		out.renames, err = strictResponseRenames(spec)
	}
	return out, err
}

// strictResponseRenames works around a naming mismatch in oapi-codegen's
// strict server: the types it declares for a component response are named
// after the response's key (BadRequestJSONResponse), but when
// ResolveTypeNameCollisions renamed the response (GitHub's bad_request has
// two JSON media types, so it becomes BadRequestResponseJSON), the
// operations' response types embed the renamed form
// (BadRequestResponseJSONJSONResponse), which nothing declares. The
// declarations are renamed to what the references say. Both names come
// from oapi-codegen's own functions, called under the same global state.
func strictResponseRenames(spec *openapi3.T) (map[string]string, error) {
	defs, err := codegen.GenerateResponseDefinitions("", spec.Components.Responses, "")
	if err != nil {
		return nil, fmt.Errorf("oapi-codegen responses: %w", err)
	}
	renames := map[string]string{}
	for _, rd := range defs {
		declared := codegen.UppercaseFirstCharacter(rd.GoName())
		ref, err := codegen.RefPathToGoType("#/components/responses/" + rd.StatusCode)
		if err != nil {
			continue
		}
		ref = codegen.UppercaseFirstCharacterWithPkgName(ref)
		if ref == declared {
			continue
		}
		for _, c := range rd.Contents {
			renames[declared+c.NameTagOrContentType()+"Response"] = ref + c.NameTagOrContentType() + "Response"
		}
		if len(rd.Headers) > 0 {
			renames[declared+"ResponseHeaders"] = ref + "ResponseHeaders"
		}
	}
	return renames, nil
}
