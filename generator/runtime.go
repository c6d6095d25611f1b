package generator

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/format"
	"go/parser"
	"go/printer"
	"go/token"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/accord-dev/accord/templates"
)

// RuntimeName is the package name of accord's runtime as generated code
// imports it. One runtime package serves every integration of a module
// (accord.yaml's runtime entry), so they share one set of types, stores,
// hooks and errors.
const RuntimeName = "accordrt"

// generatedOnly marks a runtime declaration that exists for generated code
// (the validators' helpers): exported because generated packages import
// the runtime, but not re-exported to their users.
const generatedOnly = "//accord:generated-only"

// RuntimePackage returns the files of the runtime package (package
// RuntimeName): the core files and those of the adapters named (redis,
// kafka, nats; see Parts.Adapters). Each file is the runtime's source with
// its package clause renamed and the header on top.
func RuntimePackage(adapters ...string) ([]File, error) {
	names, err := templates.RuntimeFiles(adapters...)
	if err != nil {
		return nil, fmt.Errorf("accord's runtime: %w", err)
	}
	out := make([]File, 0, len(names))
	for _, name := range names {
		src, err := fs.ReadFile(templates.FS, name)
		if err != nil {
			return nil, fmt.Errorf("accord's runtime: %w", err)
		}
		content, err := repackage(name, src, RuntimeName)
		if err != nil {
			return nil, fmt.Errorf("accord's runtime %s: %w", name, err)
		}
		base := strings.TrimSuffix(path.Base(name), ".go")
		out = append(out, File{Name: base + ".gen.go", Content: content})
	}
	return out, nil
}

// repackage renames the package clause of one runtime file to pkg and puts
// the header on top. The package doc (doc.go) keeps its text with the
// package's new name.
func repackage(name string, src []byte, pkg string) ([]byte, error) {
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, name, src, parser.PackageClauseOnly|parser.ParseComments)
	if err != nil {
		return nil, err
	}
	off := func(p token.Pos) int { return fset.Position(p).Offset }
	var buf bytes.Buffer
	buf.WriteString(Header())
	buf.WriteString("\n\n")
	start := 0
	if f.Doc != nil {
		doc := src[off(f.Doc.Pos()):off(f.Doc.End())]
		buf.Write(src[:off(f.Doc.Pos())])
		buf.Write(bytes.Replace(doc, []byte("// Package "+f.Name.Name+" "), []byte("// Package "+pkg+" "), 1))
		start = off(f.Doc.End())
	}
	buf.Write(src[start:off(f.Name.Pos())])
	buf.WriteString(pkg)
	buf.Write(src[off(f.Name.End()):])
	return format.Source(buf.Bytes())
}

// runtimeDecl is one exported top-level declaration of the runtime.
type runtimeDecl struct {
	name string
	kind token.Token // TYPE, CONST, VAR or FUNC
	fn   *ast.FuncType
	// tparams and targs are a generic type's parameters ("[T, C any]") and
	// their names as arguments ("[T, C]"); "" for other declarations.
	tparams, targs string
	// imports maps the package names of the declaring file's imports to
	// their paths, for a function's signature.
	imports map[string]string
}

// runtimeDecls lists the runtime's exported declarations a generated
// package re-exports (the generated-only ones left out), with the fileset
// their function types print from.
func runtimeDecls(adapters []string) ([]runtimeDecl, *token.FileSet, map[string]bool, error) {
	names, err := templates.RuntimeFiles(adapters...)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("accord's runtime: %w", err)
	}
	fset := token.NewFileSet()
	var decls []runtimeDecl
	types := map[string]bool{}
	for _, name := range names {
		src, err := fs.ReadFile(templates.FS, name)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("accord's runtime: %w", err)
		}
		f, err := parser.ParseFile(fset, name, src, parser.ParseComments|parser.SkipObjectResolution)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("accord's runtime: %w", err)
		}
		imports := map[string]string{}
		for _, is := range f.Imports {
			p := strings.Trim(is.Path.Value, `"`)
			name, sure := importName(is)
			if !sure {
				name = guessImportName(p)
			}
			imports[name] = p
		}
		for _, d := range f.Decls {
			switch d := d.(type) {
			case *ast.FuncDecl:
				if d.Recv == nil && d.Name.IsExported() && !isGeneratedOnly(d.Doc) {
					decls = append(decls, runtimeDecl{name: d.Name.Name, kind: token.FUNC, fn: d.Type, imports: imports})
				}
			case *ast.GenDecl:
				for _, s := range d.Specs {
					switch s := s.(type) {
					case *ast.TypeSpec:
						types[s.Name.Name] = true
						doc := s.Doc
						if doc == nil && len(d.Specs) == 1 {
							doc = d.Doc
						}
						if s.Name.IsExported() && !isGeneratedOnly(doc) {
							d := runtimeDecl{name: s.Name.Name, kind: token.TYPE}
							if s.TypeParams != nil {
								d.tparams, d.targs = typeParams(fset, s.TypeParams)
							}
							decls = append(decls, d)
						}
					case *ast.ValueSpec:
						for _, n := range s.Names {
							if n.IsExported() {
								decls = append(decls, runtimeDecl{name: n.Name, kind: d.Tok})
							}
						}
					}
				}
			}
		}
	}
	sort.Slice(decls, func(i, j int) bool { return decls[i].name < decls[j].name })
	return decls, fset, types, nil
}

// typeParams prints a generic type's parameter list, and the list of its
// names to instantiate it with, for a generic alias (Go 1.24).
func typeParams(fset *token.FileSet, fl *ast.FieldList) (params, args string) {
	var names []string
	var decl []string
	for _, f := range fl.List {
		var t bytes.Buffer
		_ = printer.Fprint(&t, fset, f.Type)
		var ns []string
		for _, n := range f.Names {
			ns = append(ns, n.Name)
		}
		names = append(names, ns...)
		decl = append(decl, strings.Join(ns, ", ")+" "+t.String())
	}
	return "[" + strings.Join(decl, ", ") + "]", "[" + strings.Join(names, ", ") + "]"
}

// guessImportName is the package name an import path declares by the
// usual conventions, where importName is not sure: the last element, before a major version suffix, without a
// "go-" prefix or a ".go" suffix (github.com/redis/go-redis/v9 is redis,
// github.com/nats-io/nats.go is nats).
func guessImportName(p string) string {
	elems := strings.Split(p, "/")
	name := elems[len(elems)-1]
	if len(elems) > 1 && len(name) > 1 && name[0] == 'v' && strings.Trim(name[1:], "0123456789") == "" {
		name = elems[len(elems)-2]
	}
	name = strings.TrimPrefix(name, "go-")
	return strings.TrimSuffix(name, ".go")
}

func isGeneratedOnly(doc *ast.CommentGroup) bool {
	if doc == nil {
		return false
	}
	for _, c := range doc.List {
		if c.Text == generatedOnly {
			return true
		}
	}
	return false
}

// reexports writes the file that makes the runtime's API part of the
// generated package, so that user code imports one package: an alias per
// type, the constants and error values, and a forwarding function per
// function. A name the package already declares (a model generated from the
// contract, say) is re-exported as Accord<Name> instead, or, when that is
// taken too, not at all; a note says which.
func reexports(pkg, runtimeImport string, adapters []string, taken map[string]bool) (File, []string, error) {
	decls, fset, types, err := runtimeDecls(adapters)
	if err != nil {
		return File{}, nil, err
	}
	var notes []string
	var typ, cons, vars, funcs bytes.Buffer
	imports := map[string]string{RuntimeName: runtimeImport}
	for _, d := range decls {
		as := d.name
		if taken[as] {
			as = "Accord" + d.name
			if taken[as] {
				notes = append(notes, fmt.Sprintf("the runtime's %s is not re-exported: the package declares %s and %s; use %s.%s", d.name, d.name, as, RuntimeName, d.name))
				continue
			}
			notes = append(notes, fmt.Sprintf("the runtime's %s is re-exported as %s: the package declares its own %s", d.name, as, d.name))
		}
		switch d.kind {
		case token.TYPE:
			fmt.Fprintf(&typ, "\t%s%s = %s.%s%s\n", as, d.tparams, RuntimeName, d.name, d.targs)
		case token.CONST:
			fmt.Fprintf(&cons, "\t%s = %s.%s\n", as, RuntimeName, d.name)
		case token.VAR:
			fmt.Fprintf(&vars, "\t%s = %s.%s\n", as, RuntimeName, d.name)
		case token.FUNC:
			if err := forwardFunc(&funcs, fset, as, d, types, imports); err != nil {
				return File{}, nil, fmt.Errorf("re-exporting the runtime's %s: %w", d.name, err)
			}
		}
	}
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s\n\npackage %s\n\n", Header(), pkg)
	var specs []*ast.ImportSpec
	for name, p := range imports {
		specs = append(specs, &ast.ImportSpec{Name: ast.NewIdent(name), Path: &ast.BasicLit{Kind: token.STRING, Value: fmt.Sprintf("%q", p)}})
	}
	b.WriteString(importBlock(specs))
	b.WriteString("\n")
	b.WriteString("// The runtime's API, re-exported so that code using this package needs no\n")
	fmt.Fprintf(&b, "// other import. Each name is the same type, value or function as in %s.\n", runtimeImport)
	for _, g := range []struct {
		kw  string
		buf *bytes.Buffer
	}{{"type", &typ}, {"const", &cons}, {"var", &vars}} {
		if g.buf.Len() > 0 {
			fmt.Fprintf(&b, "\n%s (\n%s)\n", g.kw, g.buf.String())
		}
	}
	b.Write(funcs.Bytes())
	src, err := format.Source(b.Bytes())
	if err != nil {
		return File{}, nil, fmt.Errorf("formatting the runtime's re-exports: %w", err)
	}
	return File{Name: "accord_runtime.gen.go", Content: src}, notes, nil
}

// forwardFunc writes a function with fn's signature that calls the
// runtime's. Every runtime type in the signature is written qualified, so
// the signature holds whether or not its alias was re-exported.
func forwardFunc(w *bytes.Buffer, fset *token.FileSet, as string, d runtimeDecl, types map[string]bool, imports map[string]string) error {
	ft := qualifyTypes(d.fn, types)
	var missing error
	ast.Inspect(ft, func(n ast.Node) bool {
		if sel, ok := n.(*ast.SelectorExpr); ok {
			if x, ok := sel.X.(*ast.Ident); ok && x.Name != RuntimeName {
				if p, ok := d.imports[x.Name]; ok {
					imports[x.Name] = p
				} else {
					missing = fmt.Errorf("no import for %s.%s", x.Name, sel.Sel.Name)
				}
			}
		}
		return true
	})
	if missing != nil {
		return missing
	}
	var args []string
	var params []*ast.Field
	i := 0
	for _, f := range ft.Params.List {
		nf := *f
		if len(f.Names) == 0 {
			nf.Names = []*ast.Ident{ast.NewIdent(fmt.Sprintf("a%d", i))}
		}
		for _, n := range nf.Names {
			if _, ok := f.Type.(*ast.Ellipsis); ok {
				args = append(args, n.Name+"...")
			} else {
				args = append(args, n.Name)
			}
			i++
		}
		params = append(params, &nf)
	}
	ft.Params = &ast.FieldList{List: params}
	var sig bytes.Buffer
	if err := printer.Fprint(&sig, fset, ft); err != nil {
		return err
	}
	call := fmt.Sprintf("%s.%s(%s)", RuntimeName, d.name, strings.Join(args, ", "))
	if ft.Results != nil && len(ft.Results.List) > 0 {
		call = "return " + call
	}
	fmt.Fprintf(w, "\n// %s calls %s.%s.\n%s {\n\t%s\n}\n", as, RuntimeName, d.name,
		strings.Replace(sig.String(), "func", "func "+as, 1), call)
	return nil
}

// qualifyTypes returns a copy of ft whose identifiers naming runtime types
// read RuntimeName.T. The copy shares no node that is changed with ft, so
// the runtime's parsed files stay as they are.
func qualifyTypes(ft *ast.FuncType, types map[string]bool) *ast.FuncType {
	var expr func(ast.Expr) ast.Expr
	fields := func(fl *ast.FieldList) *ast.FieldList {
		if fl == nil {
			return nil
		}
		out := &ast.FieldList{}
		for _, f := range fl.List {
			nf := *f
			nf.Type = expr(f.Type)
			nf.Doc, nf.Comment = nil, nil
			out.List = append(out.List, &nf)
		}
		return out
	}
	expr = func(e ast.Expr) ast.Expr {
		switch e := e.(type) {
		case *ast.Ident:
			if types[e.Name] {
				return &ast.SelectorExpr{X: ast.NewIdent(RuntimeName), Sel: ast.NewIdent(e.Name)}
			}
			return ast.NewIdent(e.Name)
		case *ast.StarExpr:
			return &ast.StarExpr{X: expr(e.X)}
		case *ast.ArrayType:
			return &ast.ArrayType{Len: e.Len, Elt: expr(e.Elt)}
		case *ast.MapType:
			return &ast.MapType{Key: expr(e.Key), Value: expr(e.Value)}
		case *ast.Ellipsis:
			return &ast.Ellipsis{Elt: expr(e.Elt)}
		case *ast.ChanType:
			return &ast.ChanType{Dir: e.Dir, Value: expr(e.Value)}
		case *ast.FuncType:
			return &ast.FuncType{Params: fields(e.Params), Results: fields(e.Results)}
		case *ast.InterfaceType:
			return &ast.InterfaceType{Methods: fields(e.Methods)}
		case *ast.StructType:
			return &ast.StructType{Fields: fields(e.Fields)}
		case *ast.ParenExpr:
			return &ast.ParenExpr{X: expr(e.X)}
		case *ast.IndexExpr: // a generic type instantiated: Collection[T]
			return &ast.IndexExpr{X: expr(e.X), Index: expr(e.Index)}
		case *ast.IndexListExpr:
			out := &ast.IndexListExpr{X: expr(e.X)}
			for _, i := range e.Indices {
				out.Indices = append(out.Indices, expr(i))
			}
			return out
		}
		return e // selectors (time.Duration) and the like name no runtime type
	}
	// A generic function's type parameters keep their names: they shadow
	// no runtime type (a runtime type named T would be a bug of its own).
	return &ast.FuncType{TypeParams: ft.TypeParams, Params: fields(ft.Params), Results: fields(ft.Results)}
}
