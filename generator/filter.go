package generator

import (
	"go/ast"
	"go/token"
	"sort"
	"strconv"
	"strings"
)

// isFacadeName reports the top-level declarations of oapi-codegen's own
// client facade (and its webhook and callback initiators). Our client
// template replaces them; the request builders
// (New<Op>Request...), response types and parsers stay.
func isFacadeName(name string) bool {
	switch name {
	case "Client", "NewClient", "ClientOption", "WithHTTPClient", "WithRequestEditorFn", "WithBaseURL",
		"ClientInterface", "ClientWithResponses", "NewClientWithResponses", "ClientWithResponsesInterface",
		"HttpRequestDoer", "RequestEditorFn", "applyEditors",
		// The webhook and callback initiators are facades of the same kind;
		// their request builders (New<Op>WebhookRequest...) stay.
		"WebhookInitiator", "WebhookInitiatorOption", "NewWebhookInitiator", "WebhookInitiatorInterface",
		"WithWebhookHTTPClient", "WithWebhookRequestEditorFn",
		"CallbackInitiator", "CallbackInitiatorOption", "NewCallbackInitiator", "CallbackInitiatorInterface",
		"WithCallbackHTTPClient", "WithCallbackRequestEditorFn":
		return true
	}
	return false
}

// isFacadeReceiver reports the types whose methods belong to the facade.
func isFacadeReceiver(name string) bool {
	switch name {
	case "Client", "ClientWithResponses", "WebhookInitiator", "CallbackInitiator":
		return true
	}
	return false
}

// filterFacade removes oapi-codegen's client facade from f and returns the
// response type each ClientWithResponses method returned, by method name
// (e.g. "GetPetWithResponse" -> "GetPetResponse"): the facade is the one
// place that pairs an operation with its response type after oapi-codegen
// resolved name collisions.
func filterFacade(f *ast.File) map[string]string {
	responses := map[string]string{}
	kept := f.Decls[:0]
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv != nil {
				recv := receiverName(d)
				if !isFacadeReceiver(recv) {
					break
				}
				if recv == "ClientWithResponses" {
					if t := resultTypeName(d); t != "" {
						responses[d.Name.Name] = t
					}
				}
				continue
			}
			if isFacadeName(d.Name.Name) {
				continue
			}
		case *ast.GenDecl:
			if d.Tok != token.TYPE {
				break
			}
			specs := d.Specs[:0]
			for _, s := range d.Specs {
				if ts, ok := s.(*ast.TypeSpec); ok && isFacadeName(ts.Name.Name) {
					continue
				}
				specs = append(specs, s)
			}
			if len(specs) == 0 {
				continue
			}
			d.Specs = specs
		}
		kept = append(kept, d)
	}
	f.Decls = kept
	return responses
}

// receiverName is the base type name of a method's receiver.
func receiverName(d *ast.FuncDecl) string {
	if d.Recv == nil || len(d.Recv.List) == 0 {
		return ""
	}
	t := d.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// resultTypeName is T for a function whose first result is *T or T.
func resultTypeName(d *ast.FuncDecl) string {
	if d.Type.Results == nil || len(d.Type.Results.List) == 0 {
		return ""
	}
	t := d.Type.Results.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// keepCommentsOfDecls drops the file's doc and the comments that belonged to
// removed declarations (or floated between declarations): the printer places
// every comment of f.Comments by position, so a removed function's doc
// comment would otherwise be printed next to its neighbour.
func keepCommentsOfDecls(f *ast.File) {
	f.Doc = nil
	type span struct{ from, to token.Pos }
	spans := make([]span, 0, len(f.Decls))
	for _, d := range f.Decls {
		from := d.Pos()
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Doc != nil {
				from = d.Doc.Pos()
			}
		case *ast.GenDecl:
			if d.Doc != nil {
				from = d.Doc.Pos()
			}
		}
		spans = append(spans, span{from, d.End()})
	}
	// Declarations and comments are both in source order: one merge pass.
	kept := f.Comments[:0]
	i := 0
	for _, c := range f.Comments {
		for i < len(spans) && spans[i].to < c.Pos() {
			i++
		}
		if i < len(spans) && spans[i].from <= c.Pos() && c.End() <= spans[i].to {
			kept = append(kept, c)
		}
	}
	f.Comments = kept
}

// pruneImports removes imports that f no longer uses. Only package names
// that are sure are judged: a path we cannot name without loading it (an
// x-go-type-import, say) is kept. It needs f parsed with object resolution:
// an unresolved identifier in X of X.Sel is a package name, a resolved one a
// local variable that may share the package's name.
func pruneImports(f *ast.File) {
	used := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if id, ok := sel.X.(*ast.Ident); ok && id.Obj == nil {
				used[id.Name] = true
			}
		}
		return true
	})
	var dropped []*ast.ImportSpec
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.IMPORT {
			continue
		}
		specs := gd.Specs[:0]
		for _, s := range gd.Specs {
			is := s.(*ast.ImportSpec)
			name, sure := importName(is)
			if sure && name != "_" && name != "." && !used[name] {
				dropped = append(dropped, is)
				continue
			}
			specs = append(specs, s)
		}
		gd.Specs = specs
	}
	decls := f.Decls[:0]
	for _, d := range f.Decls {
		if gd, ok := d.(*ast.GenDecl); ok && gd.Tok == token.IMPORT && len(gd.Specs) == 0 {
			continue
		}
		decls = append(decls, d)
	}
	f.Decls = decls
	if len(dropped) > 0 {
		gone := map[*ast.ImportSpec]bool{}
		for _, is := range dropped {
			gone[is] = true
		}
		imports := f.Imports[:0]
		for _, is := range f.Imports {
			if !gone[is] {
				imports = append(imports, is)
			}
		}
		f.Imports = imports
	}
}

// importName is the name an import binds and whether it is certain: an
// explicit name, a standard library path, or a module path whose last
// element (before a /vN suffix) is a plain identifier that the package is
// known to use as its name.
func importName(is *ast.ImportSpec) (string, bool) {
	if is.Name != nil {
		return is.Name.Name, true
	}
	p, err := strconv.Unquote(is.Path.Value)
	if err != nil {
		return "", false
	}
	elems := strings.Split(p, "/")
	last := elems[len(elems)-1]
	if len(elems) > 1 && isMajorVersion(last) {
		last = elems[len(elems)-2]
	}
	std := !strings.Contains(elems[0], ".")
	switch {
	case std:
		return last, true
	case p == "github.com/oapi-codegen/runtime", p == "github.com/oapi-codegen/nullable",
		p == "go.yaml.in/yaml/v3", p == "gopkg.in/yaml.v3",
		p == "github.com/getkin/kin-openapi/openapi3", p == "github.com/google/uuid":
		if last == "yaml.v3" {
			last = "yaml"
		}
		return last, true
	}
	return last, false
}

func isMajorVersion(s string) bool {
	if len(s) < 2 || s[0] != 'v' {
		return false
	}
	_, err := strconv.Atoi(s[1:])
	return err == nil
}

// sortedSet returns a set's members in order.
func sortedSet(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
