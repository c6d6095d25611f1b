package generator

import (
	"go/ast"
	"strings"
)

// untypeYAMLResponses keeps generated code free of a YAML library. For YAML
// response bodies oapi-codegen's client parsers decode with go.yaml.in/yaml,
// which would make every user of such a contract depend on it, against
// accord's promise that generated code needs only the standard library and
// oapi-codegen's runtime. The typed YAML<status> fields, their getters and the
// parser cases that fill them are removed; the raw body stays in the
// response's Body, and the strict server already treats YAML as a stream.
func untypeYAMLResponses(f *ast.File) []string {
	var removed []string
	dropped := map[*ast.CommentGroup]bool{}
	isYAMLField := func(name string) bool { return strings.HasPrefix(name, "YAML") }
	decls := f.Decls[:0]
	for _, d := range f.Decls {
		if fn, ok := d.(*ast.FuncDecl); ok && fn.Recv != nil && strings.HasPrefix(fn.Name.Name, "GetYAML") {
			continue // the getter of a removed field
		}
		decls = append(decls, d)
	}
	f.Decls = decls
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.TypeSpec:
			st, ok := x.Type.(*ast.StructType)
			if !ok {
				return true
			}
			fields := st.Fields.List[:0]
			for _, fl := range st.Fields.List {
				if len(fl.Names) == 1 && isYAMLField(fl.Names[0].Name) {
					removed = append(removed, x.Name.Name+"."+fl.Names[0].Name)
					dropped[fl.Doc], dropped[fl.Comment] = true, true
					continue
				}
				fields = append(fields, fl)
			}
			st.Fields.List = fields
		case *ast.SwitchStmt:
			clauses := x.Body.List[:0]
			for _, c := range x.Body.List {
				if cc, ok := c.(*ast.CaseClause); ok && callsYAML(cc) {
					continue
				}
				clauses = append(clauses, c)
			}
			x.Body.List = clauses
		}
		return true
	})
	if len(removed) == 0 {
		return nil
	}
	// The printer places every comment group by position: a removed field's
	// doc would otherwise land on its neighbour.
	comments := f.Comments[:0]
	for _, c := range f.Comments {
		if !dropped[c] {
			comments = append(comments, c)
		}
	}
	f.Comments = comments
	return []string{"YAML response bodies are left untyped (read the raw Body): " + strings.Join(removed, ", ")}
}

// callsYAML reports a case clause that decodes with the yaml package.
func callsYAML(cc *ast.CaseClause) bool {
	found := false
	for _, stmt := range cc.Body {
		ast.Inspect(stmt, func(n ast.Node) bool {
			if sel, ok := n.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "yaml" && id.Obj == nil {
					found = true
				}
			}
			return !found
		})
	}
	return found
}
