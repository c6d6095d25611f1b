package generator

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"reflect"
	"sort"
	"strconv"
	"strings"
)

// topDecl is one package-level name declared in the models file.
type topDecl struct {
	name  string
	kind  token.Token // TYPE, CONST, VAR or FUNC
	ident *ast.Ident
	// typeSpec is set for types; constType names a constant's declared type.
	typeSpec  *ast.TypeSpec
	valueSpec *ast.ValueSpec
	constType string
}

// collectDecls indexes the file's package-level names, in source order.
func collectDecls(f *ast.File) map[string][]*topDecl {
	out := map[string][]*topDecl{}
	add := func(d *topDecl) { out[d.name] = append(out[d.name], d) }
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if d.Recv == nil {
				add(&topDecl{name: d.Name.Name, kind: token.FUNC, ident: d.Name})
			}
		case *ast.GenDecl:
			for _, s := range d.Specs {
				switch s := s.(type) {
				case *ast.TypeSpec:
					add(&topDecl{name: s.Name.Name, kind: token.TYPE, ident: s.Name, typeSpec: s})
				case *ast.ValueSpec:
					ct := ""
					if id, ok := s.Type.(*ast.Ident); ok {
						ct = id.Name
					}
					for _, n := range s.Names {
						if n.Name != "_" {
							add(&topDecl{name: n.Name, kind: d.Tok, ident: n, valueSpec: s, constType: ct})
						}
					}
				}
			}
		}
	}
	return out
}

// resolveCollisions repairs the package-level name clashes oapi-codegen
// leaves in real contracts, on the AST, and returns a note per repair. What
// it cannot repair is returned as an error naming every clash.
//
//   - An array that is a union member and whose items are an inline enum
//     makes oapi-codegen name both after the same path: `type X = []X` next to
//     `type X string`. The element type becomes XItem.
//   - An enum constant (EnumTypeValue) that equals a type name (Stripe's
//     SourceType enum has "card", and a schema source_type_card exists), or a
//     name the runtime or our templates declare: the constant is renamed
//     (NameValue); constants are only referenced by their type's Valid method.
func resolveCollisions(f *ast.File, reserved map[string]bool) ([]string, error) {
	decls := collectDecls(f)
	methods := methodsByType(f)
	var notes []string
	taken := func(n string) bool { return reserved[n] || len(decls[n]) > 0 }
	fresh := func(base, suffix string) string {
		n := base + suffix
		for i := 2; taken(n); i++ {
			n = base + suffix + strconv.Itoa(i)
		}
		return n
	}

	names := make([]string, 0, len(decls))
	for n := range decls {
		names = append(names, n)
	}
	sort.Strings(names)

	// Self-referential aliases first: they turn two types into two distinct
	// names, which the constant pass below then sees correctly.
	for _, name := range names {
		ds := decls[name]
		alias, elem := selfAlias(ds)
		if alias == nil || elem == nil {
			continue
		}
		to := fresh(name, "Item")
		renameIdentsIn(alias.typeSpec.Type, name, to)
		elem.ident.Name = to
		for _, d := range decls[name] {
			if d.kind == token.CONST && d.constType == name {
				d.constType = to
				if t, ok := d.valueSpec.Type.(*ast.Ident); ok {
					t.Name = to
				}
			}
		}
		for _, m := range methods[name] {
			renameReceiver(m, to)
		}
		methods[to], methods[name] = methods[name], nil
		var rest []*topDecl
		for _, d := range ds {
			if d != elem {
				rest = append(rest, d)
			}
		}
		decls[name] = rest
		decls[to] = append(decls[to], elem)
		notes = append(notes, fmt.Sprintf("type %s is an array of an inline enum oapi-codegen gave the same name; the element type is %s", name, to))
	}

	for _, name := range names {
		ds := decls[name]
		if len(ds) < 2 && !reserved[name] {
			continue
		}
		// Constants give way to anything else; among constants alone the
		// first keeps its name.
		keepConst := !reserved[name]
		for _, d := range ds {
			if !isEnumConst(d) {
				keepConst = false
			}
		}
		var others []*topDecl
		for _, d := range ds {
			if !isEnumConst(d) || keepConst {
				keepConst = false
				others = append(others, d)
				continue
			}
			to := fresh(name, "Value")
			for _, m := range methods[d.constType] {
				if m.Name.Name == "Valid" {
					renameIdentsIn(m.Body, name, to)
				}
			}
			d.ident.Name = to
			decls[to] = append(decls[to], d)
			notes = append(notes, fmt.Sprintf("enum constant %s of type %s collides with another declaration; generated as %s", name, d.constType, to))
		}
		decls[name] = others
	}

	var clashes []string
	for _, name := range names {
		ds := decls[name]
		switch {
		case len(ds) > 1:
			clashes = append(clashes, fmt.Sprintf("%s is declared %d times", name, len(ds)))
		case len(ds) == 1 && reserved[name]:
			clashes = append(clashes, fmt.Sprintf("%s is declared by the contract's code and by accord's runtime or templates", name))
		}
	}
	if len(clashes) > 0 {
		return notes, fmt.Errorf("generated names collide: %s (give the schemas or operations involved an x-go-name or another name)",
			strings.Join(clashes, "; "))
	}
	return notes, nil
}

// dedupeStructFields removes repeated fields of the same name and type from
// struct types: oapi-codegen's strict server declares `Body io.Reader` once
// per unsupported request media type (InfluxData's ApplyTemplate has two).
// The handler assigns the one field either way.
func dedupeStructFields(f *ast.File) []string {
	var notes []string
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, s := range gd.Specs {
			ts := s.(*ast.TypeSpec)
			st, ok := ts.Type.(*ast.StructType)
			if !ok || st.Fields == nil {
				continue
			}
			seen := map[string]string{}
			fields := st.Fields.List[:0]
			for _, fl := range st.Fields.List {
				typ := types.ExprString(fl.Type)
				names := fl.Names[:0]
				for _, n := range fl.Names {
					if t, dup := seen[n.Name]; dup && t == typ {
						notes = append(notes, fmt.Sprintf("struct %s declared field %s twice; generated once", ts.Name.Name, n.Name))
						continue
					}
					seen[n.Name] = typ
					names = append(names, n)
				}
				if len(fl.Names) > 0 && len(names) == 0 {
					continue
				}
				fl.Names = names
				fields = append(fields, fl)
			}
			st.Fields.List = fields
			if strings.HasSuffix(ts.Name.Name, "Params") {
				notes = append(notes, retagParams(ts.Name.Name, st)...)
			}
		}
	}
	notes = append(notes, dedupeIdenticalTypes(f)...)
	return append(notes, dedupeMethods(f)...)
}

// codeShape is a position-free rendering of n: its node kinds, names,
// literals and operators in order, equal for two copies of the same code.
func codeShape(n ast.Node) string {
	var b strings.Builder
	ast.Inspect(n, func(n ast.Node) bool {
		switch v := n.(type) {
		case nil:
			b.WriteString(")")
			return false
		case *ast.Ident:
			b.WriteString(" " + v.Name)
		case *ast.BasicLit:
			b.WriteString(" " + v.Value)
		case *ast.BinaryExpr:
			b.WriteString(" " + v.Op.String())
		case *ast.UnaryExpr:
			b.WriteString(" " + v.Op.String())
		case *ast.AssignStmt:
			b.WriteString(" " + v.Tok.String())
		case *ast.IncDecStmt:
			b.WriteString(" " + v.Tok.String())
		case *ast.BranchStmt:
			b.WriteString(" " + v.Tok.String())
		}
		fmt.Fprintf(&b, "(%T", n)
		return true
	})
	return b.String()
}

// dedupeIdenticalTypes removes the later of two type declarations with one
// name and the same type: a callback shared by several operations (Telnyx's
// callAnswered under four) is declared once per operation, each time alike.
func dedupeIdenticalTypes(f *ast.File) []string {
	var notes []string
	seen := map[string]string{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		specs := gd.Specs[:0]
		for _, s := range gd.Specs {
			ts := s.(*ast.TypeSpec)
			typ := fmt.Sprintf("%v %s", ts.Assign.IsValid(), types.ExprString(ts.Type))
			if prev, dup := seen[ts.Name.Name]; dup && prev == typ {
				notes = append(notes, fmt.Sprintf("type %s was declared twice alike; generated once", ts.Name.Name))
				continue
			}
			seen[ts.Name.Name] = typ
			specs = append(specs, s)
		}
		gd.Specs = specs
	}
	return notes
}

// dedupeMethods removes the later of two methods with one receiver, name
// and signature: a response with several media types of one kind
// (application/xml and text/xml) gets its accessor (GetXML200) once per
// media type, over the one field dedupeStructFields kept. Accessors of the
// same field with the same signature are the same code.
func dedupeMethods(f *ast.File) []string {
	var notes []string
	seen := map[string]string{}
	decls := f.Decls[:0]
	for _, d := range f.Decls {
		fd, ok := d.(*ast.FuncDecl)
		if !ok {
			decls = append(decls, d)
			continue
		}
		var key, sig string
		if fd.Recv != nil {
			key = receiverName(fd) + "." + fd.Name.Name
			sig = types.ExprString(fd.Recv.List[0].Type) + " " + types.ExprString(fd.Type)
		} else {
			// A function (a shared callback's handler, declared per
			// operation) is the same only with the same code.
			key, sig = fd.Name.Name, types.ExprString(fd.Type)+" "+codeShape(fd.Body)
		}
		if prev, dup := seen[key]; dup && prev == sig {
			notes = append(notes, fmt.Sprintf("method %s was declared twice (one per media type or shared callback); generated once", key))
			continue
		}
		seen[key] = sig
		decls = append(decls, d)
	}
	f.Decls = decls
	return notes
}

// retagParams keeps the json tags of a Params struct distinct: a query and
// a header parameter of the same name are two fields (renameDuplicateParams)
// but oapi-codegen tags both json:"Name", which go vet rejects. The later
// field's json key becomes its Go name; parameters are bound by name and
// location, never through these tags.
func retagParams(typeName string, st *ast.StructType) []string {
	var notes []string
	seen := map[string]bool{}
	for _, fl := range st.Fields.List {
		if fl.Tag == nil || len(fl.Names) != 1 {
			continue
		}
		tag, err := strconv.Unquote(fl.Tag.Value)
		if err != nil {
			continue
		}
		key, _, _ := strings.Cut(reflect.StructTag(tag).Get("json"), ",")
		if key == "" || key == "-" {
			continue
		}
		if !seen[key] {
			seen[key] = true
			continue
		}
		old := `json:"` + reflect.StructTag(tag).Get("json") + `"`
		fresh := strings.Replace(tag, old, `json:"`+fl.Names[0].Name+`,omitempty"`, 1)
		fl.Tag.Value = "`" + fresh + "`"
		seen[fl.Names[0].Name] = true
		notes = append(notes, fmt.Sprintf("%s.%s: json key %q is taken by another parameter; tagged %q", typeName, fl.Names[0].Name, key, fl.Names[0].Name))
	}
	return notes
}

// selfAlias finds `type X = ...X...` among declarations of X and the other
// type declaration of X that the alias means to refer to.
func selfAlias(ds []*topDecl) (alias, elem *topDecl) {
	if len(ds) < 2 {
		return nil, nil
	}
	for _, d := range ds {
		if d.typeSpec != nil && d.typeSpec.Assign.IsValid() && mentions(d.typeSpec.Type, d.name) {
			alias = d
			break
		}
	}
	if alias == nil {
		return nil, nil
	}
	for _, d := range ds {
		if d != alias && d.typeSpec != nil && !d.typeSpec.Assign.IsValid() {
			return alias, d
		}
	}
	return alias, nil
}

func isEnumConst(d *topDecl) bool { return d.kind == token.CONST && d.constType != "" }

func mentions(n ast.Node, name string) bool {
	found := false
	ast.Inspect(n, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Name == name {
			found = true
		}
		return !found
	})
	return found
}

// renameIdents renames every identifier of the file found in renames.
func renameIdents(f *ast.File, renames map[string]string) {
	ast.Inspect(f, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok {
			if to, ok := renames[id.Name]; ok {
				id.Name = to
			}
		}
		return true
	})
}

func renameIdentsIn(n ast.Node, from, to string) {
	if n == nil {
		return
	}
	ast.Inspect(n, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && id.Name == from {
			id.Name = to
		}
		return true
	})
}

func renameReceiver(m *ast.FuncDecl, to string) {
	t := m.Recv.List[0].Type
	if s, ok := t.(*ast.StarExpr); ok {
		t = s.X
	}
	if id, ok := t.(*ast.Ident); ok {
		id.Name = to
	}
}

// methodsByType indexes methods by their receiver's base type name.
func methodsByType(f *ast.File) map[string][]*ast.FuncDecl {
	out := map[string][]*ast.FuncDecl{}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv != nil {
			r := receiverName(fd)
			out[r] = append(out[r], fd)
		}
	}
	return out
}
