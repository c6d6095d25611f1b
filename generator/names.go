package generator

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// topLevelNames lists the package-level identifiers a Go file declares:
// types, functions (not methods), constants and variables. The runtime's and
// our templates' names are reserved in a generated package: a schema whose
// Go name would take one of them is renamed.
func topLevelNames(name string, src []byte) ([]string, error) {
	f, err := parser.ParseFile(token.NewFileSet(), name, src, parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil && d.Name.Name != "init" && d.Name.Name != "_" {
				out = append(out, d.Name.Name)
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					out = append(out, s.Name.Name)
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.Name != "_" {
							out = append(out, n.Name)
						}
					}
				}
			}
		}
	}
	return out, nil
}

// extGoName is oapi-codegen's extension for a component's Go type name.
const extGoName = "x-go-name"

// renameReserved gives every component whose Go type name would be a
// reserved name another one, by setting x-go-name on it before oapi-codegen
// runs: NameModel, then NameModel2, ... skipping names that are reserved or
// that another component already takes. Components are visited in a fixed
// order (section, then name), so the choice is deterministic. It returns one
// note per rename.
func renameReserved(t *openapi3.T, reserved map[string]bool) []string {
	all := make(map[string]bool, len(reserved)+40)
	for n := range reserved {
		all[n] = true
	}
	for _, n := range oapiOwnNames() {
		all[n] = true
	}
	return append(renameReservedComponents(t, all), renameSharedCallbacks(t)...)
}

// oapiOwnNames are the package-level names oapi-codegen declares in every
// output of accord's configuration (client builders, std-http and strict
// server), whatever the contract says. A component taking one (AWS
// Lambda's Handler schema against the std-http server's func Handler) would
// be declared twice. They are not reserved beyond the components: the
// models file declares them once itself, and resolveCollisions counts its
// declarations.
func oapiOwnNames() []string {
	return []string{
		"Handler", "HandlerFromMux", "HandlerFromMuxWithBaseURL", "HandlerWithOptions",
		"ServeMux", "ServerInterface", "ServerInterfaceWrapper", "MiddlewareFunc", "StdHTTPServerOptions",
		"StrictServerInterface", "StrictHandlerFunc", "StrictMiddlewareFunc", "StrictHTTPServerOptions",
		"NewStrictHandler", "NewStrictHandlerWithOptions",
		"InvalidParamFormatError", "RequiredHeaderError", "RequiredParamError", "TooManyValuesForParamError",
		"UnescapedCookieParamError", "UnmarshalingParamError",
		"Client", "ClientInterface", "ClientOption", "ClientWithResponses", "ClientWithResponsesInterface",
		"NewClient", "NewClientWithResponses", "HttpRequestDoer", "RequestEditorFn",
		"WithBaseURL", "WithHTTPClient", "WithRequestEditorFn",
	}
}

// renameSharedCallbacks names each operation's callbacks after the
// operation when one callback name is used by several operations: oapi-
// codegen names a callback's types after its operationId, else its name,
// so Telnyx's callHangup under five operations, with different bodies,
// declared CallHangupJSONRequestBody five times. The callback operations
// get operationIds <operation>-<callback>[-<method>].
func renameSharedCallbacks(t *openapi3.T) []string {
	if t.Paths == nil {
		return nil
	}
	type site struct {
		parent string
		op     *openapi3.Operation
		method string
	}
	uses := map[string][]site{}
	for _, path := range sortedKeys(t.Paths.Map()) {
		item := t.Paths.Value(path)
		for _, m := range sortedKeys(item.Operations()) {
			op := item.Operations()[m]
			parent := op.OperationID
			if parent == "" {
				parent = m + path
			}
			for _, name := range sortedKeys(op.Callbacks) {
				cb := op.Callbacks[name]
				if cb == nil || cb.Value == nil {
					continue
				}
				for _, cp := range sortedKeys(cb.Value.Map()) {
					ci := cb.Value.Value(cp)
					if ci == nil {
						continue
					}
					for _, cm := range sortedKeys(ci.Operations()) {
						cop := ci.Operations()[cm]
						key := cop.OperationID
						if key == "" {
							key = name
						}
						uses[key] = append(uses[key], site{parent + "-" + name, cop, cm})
					}
				}
			}
		}
	}
	var notes []string
	for _, key := range sortedKeys(uses) {
		sites := uses[key]
		if len(sites) < 2 {
			continue
		}
		methods := map[string]int{}
		for _, s := range sites {
			methods[s.parent]++
		}
		for _, s := range sites {
			id := s.parent
			if methods[s.parent] > 1 {
				id += "-" + strings.ToLower(s.method)
			}
			s.op.OperationID = id
		}
		notes = append(notes, fmt.Sprintf("callback %s is used by %d operations; its types are named after each (%s, ...)", key, len(sites), sites[0].parent))
	}
	return notes
}

func renameReservedComponents(t *openapi3.T, reserved map[string]bool) []string {
	c := t.Components
	if c == nil {
		return nil
	}
	type comp struct {
		section, name string
		ext           *map[string]any
	}
	var comps []comp
	add := func(section, name, ref string, ext *map[string]any) {
		// A component that is a $ref takes its name from the component it
		// points at's key, not from x-go-name; and setting x-go-name would
		// rename the target, which is shared.
		if ref == "" {
			comps = append(comps, comp{section, name, ext})
		}
	}
	for _, n := range sortedKeys(c.Schemas) {
		if r := c.Schemas[n]; r != nil && r.Value != nil {
			add("schemas", n, r.Ref, &r.Value.Extensions)
		}
	}
	for _, n := range sortedKeys(c.Parameters) {
		if r := c.Parameters[n]; r != nil && r.Value != nil {
			add("parameters", n, r.Ref, &r.Value.Extensions)
		}
	}
	for _, n := range sortedKeys(c.Responses) {
		if r := c.Responses[n]; r != nil && r.Value != nil {
			add("responses", n, r.Ref, &r.Value.Extensions)
		}
	}
	for _, n := range sortedKeys(c.RequestBodies) {
		if r := c.RequestBodies[n]; r != nil && r.Value != nil {
			add("requestBodies", n, r.Ref, &r.Value.Extensions)
		}
	}

	goName := func(cp comp) string {
		if s, ok := (*cp.ext)[extGoName].(string); ok && s != "" {
			return s
		}
		return codegen.SchemaNameToTypeName(cp.name)
	}
	taken := map[string]bool{}
	for _, cp := range comps {
		taken[goName(cp)] = true
	}
	var notes []string
	for _, cp := range comps {
		old := goName(cp)
		if !reserved[old] {
			continue
		}
		fresh := old + "Model"
		for i := 2; reserved[fresh] || taken[fresh]; i++ {
			fresh = old + "Model" + strconv.Itoa(i)
		}
		taken[fresh] = true
		if *cp.ext == nil {
			*cp.ext = map[string]any{}
		}
		(*cp.ext)[extGoName] = fresh
		notes = append(notes, fmt.Sprintf("components/%s/%s: Go type %s is declared by the generated code itself (client, server, options); generated as %s",
			cp.section, cp.name, old, fresh))
	}
	return notes
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
