package generator

import (
	"bytes"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"reflect"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/contracts"
)

// Paged is a list operation the client can iterate page by page
// (<GoName>All): the page's items and how the next page is asked for, read
// from the generated models by common conventions.
type Paged struct {
	*Operation
	// Style is "link" (the 200 answer declares a Link header: rel="next"
	// is followed), "cursor", "offset" or "page".
	Style string
	// ItemType is the Go type of one item; Items the expression, on the
	// decoded page `page`, of the page's items, a pointer to them when
	// ItemsPtr (an optional array).
	ItemType, Items string
	ItemsPtr        bool
	// Next is the page field holding the next cursor (cursor style);
	// NextPtr says it is a pointer.
	Next    string
	NextPtr bool
	// Param is the params field the next request sets (cursor, offset or
	// page), ParamType its type without the pointer; Limit is the params'
	// page-size field (offset style), "" when it has none.
	Param, ParamType, Limit string
}

// Parameter and field names the conventions recognise, in order of
// preference. Contracts that name them otherwise are not iterated.
var (
	cursorParams = []string{"cursor", "page_token", "pageToken", "starting_after", "after", "next_token", "nextToken", "continuation_token", "continuationToken"}
	cursorNexts  = []string{"next_cursor", "nextCursor", "next_page_token", "nextPageToken", "next_token", "nextToken", "continuation_token", "continuationToken", "cursor", "next"}
	offsetParams = []string{"offset", "skip", "start"}
	limitParams  = []string{"limit", "page_size", "pageSize", "per_page", "perPage", "size", "count", "top"}
	pageParams   = []string{"page", "page_number", "pageNumber"}
	itemsFields  = []string{"data", "items", "results", "records", "entries", "values", "elements", "content"}
)

// detectPagination finds the paged list operations of m in the models'
// source: a GET with query parameters whose 200 JSON body is a list (an
// array, or an object with one array of items) and whose parameters and
// body follow a cursor, offset or page convention.
func detectPagination(models []byte, m *Model) []Paged {
	resolve, ok := modelTypes(models)
	if !ok {
		return nil
	}
	var out []Paged
	for i := range m.Operations {
		op := &m.Operations[i]
		if op.Method != "GET" || op.HasBody || op.ResponseType == "" || (op.ParamsType == "" && !op.LinkHeader) {
			continue
		}
		params := &ast.StructType{Fields: &ast.FieldList{}}
		if op.ParamsType != "" {
			if params, _ = resolve(ast.NewIdent(op.ParamsType)).(*ast.StructType); params == nil {
				continue
			}
		}
		resp, _ := resolve(ast.NewIdent(op.ResponseType)).(*ast.StructType)
		if resp == nil {
			continue
		}
		body := fieldByName(resp, "JSON200")
		if body == nil {
			continue
		}
		star, ok := body.Type.(*ast.StarExpr)
		if !ok {
			continue
		}
		p := Paged{Operation: op}
		switch t := resolve(star.X).(type) {
		case *ast.ArrayType:
			p.ItemType, p.Items = exprString(t.Elt), "(*page)"
		case *ast.StructType:
			items := arrayField(t, resolve)
			if items == nil {
				continue
			}
			typ := items.Type
			if s, ok := typ.(*ast.StarExpr); ok {
				typ, p.ItemsPtr = s.X, true
			}
			p.ItemType, p.Items = exprString(typ.(*ast.ArrayType).Elt), "page."+items.Names[0].Name
			if next := fieldByTag(t, "json", cursorNexts); next != nil && isString(next.Type) && !op.LinkHeader {
				// The cursor is set per page, so it must be an optional (pointer)
				// parameter; a required one (a Google API's pageToken) cannot
				// start empty.
				if param := fieldByTag(params, "form", cursorParams); param != nil && isStringPtr(param.Type) {
					p.Style, p.Next, p.Param = "cursor", next.Names[0].Name, param.Names[0].Name
					_, p.NextPtr = next.Type.(*ast.StarExpr)
				}
			}
		default:
			continue
		}
		if p.Style == "" && op.LinkHeader {
			p.Style = "link"
		}
		if p.Style == "" {
			if param := fieldByTag(params, "form", offsetParams); param != nil && isInteger(param.Type) {
				p.Style, p.Param, p.ParamType = "offset", param.Names[0].Name, exprString(param.Type.(*ast.StarExpr).X)
				if limit := fieldByTag(params, "form", limitParams); limit != nil && sameType(limit.Type, param.Type) {
					p.Limit = limit.Names[0].Name
				}
			} else if param := fieldByTag(params, "form", pageParams); param != nil && isInteger(param.Type) {
				p.Style, p.Param, p.ParamType = "page", param.Names[0].Name, exprString(param.Type.(*ast.StarExpr).X)
			}
		}
		if p.Style != "" {
			out = append(out, p)
		}
	}
	return out
}

// linkHeaders returns the ids of the operations whose 200 answer declares
// a Link header.
func linkHeaders(t *openapi3.T, pols []contracts.OperationPolicy) map[string]bool {
	out := map[string]bool{}
	for _, p := range pols {
		if p.Webhook || t.Paths == nil {
			continue
		}
		item := t.Paths.Value(p.Path)
		if item == nil {
			continue
		}
		op := item.GetOperation(p.Method)
		if op == nil || op.Responses == nil {
			continue
		}
		if ok := op.Responses.Value("200"); ok != nil && ok.Value != nil {
			for name := range ok.Value.Headers {
				if strings.EqualFold(name, "Link") {
					out[p.ID] = true
				}
			}
		}
	}
	return out
}

// iterable drops the iterators whose method name an operation's method
// already takes.
func iterable(ps []Paged, m *Model) []Paged {
	taken := map[string]bool{}
	for _, op := range m.Operations {
		taken[op.GoName] = true
	}
	out := ps[:0]
	for _, p := range ps {
		if !taken[p.GoName+"All"] {
			out = append(out, p)
		}
	}
	return out
}

// modelTypes parses the generated models and returns a resolver from a
// type name (through aliases and defined types) to its type expression.
func modelTypes(models []byte) (resolve func(ast.Expr) ast.Expr, ok bool) {
	f, err := parser.ParseFile(token.NewFileSet(), "models.go", models, parser.SkipObjectResolution)
	if err != nil {
		return nil, false
	}
	types := map[string]ast.Expr{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, s := range gd.Specs {
			ts := s.(*ast.TypeSpec)
			types[ts.Name.Name] = ts.Type
		}
	}
	return func(e ast.Expr) ast.Expr {
		for range 8 {
			id, ok := e.(*ast.Ident)
			if !ok || types[id.Name] == nil {
				return e
			}
			e = types[id.Name]
		}
		return e
	}, true
}

func fieldByName(st *ast.StructType, name string) *ast.Field {
	for _, f := range st.Fields.List {
		for _, n := range f.Names {
			if n.Name == name {
				return f
			}
		}
	}
	return nil
}

// fieldByTag returns the field whose tag key names one of names, the
// earlier names preferred.
func fieldByTag(st *ast.StructType, key string, names []string) *ast.Field {
	byName := map[string]*ast.Field{}
	for _, f := range st.Fields.List {
		if f.Tag == nil || len(f.Names) != 1 {
			continue
		}
		raw, err := strconv.Unquote(f.Tag.Value)
		if err != nil {
			continue
		}
		name, _, _ := strings.Cut(reflect.StructTag(raw).Get(key), ",")
		byName[name] = f
	}
	for _, n := range names {
		if f := byName[n]; f != nil {
			return f
		}
	}
	return nil
}

// arrayField returns the page's items: the field named like items, else
// the only array field.
func arrayField(st *ast.StructType, resolve func(ast.Expr) ast.Expr) *ast.Field {
	var arrays []*ast.Field
	for _, f := range st.Fields.List {
		t := f.Type
		if s, ok := t.(*ast.StarExpr); ok {
			t = s.X
		}
		if _, ok := t.(*ast.ArrayType); ok && len(f.Names) == 1 {
			arrays = append(arrays, f)
		}
	}
	if f := fieldByTag(&ast.StructType{Fields: &ast.FieldList{List: arrays}}, "json", itemsFields); f != nil {
		return f
	}
	if len(arrays) == 1 {
		return arrays[0]
	}
	return nil
}

func isString(e ast.Expr) bool {
	if s, ok := e.(*ast.StarExpr); ok {
		e = s.X
	}
	id, ok := e.(*ast.Ident)
	return ok && id.Name == "string"
}

func isStringPtr(e ast.Expr) bool {
	_, ptr := e.(*ast.StarExpr)
	return ptr && isString(e)
}

// isInteger accepts the pointer to a built-in integer that oapi-codegen
// makes of an optional integer parameter.
func isInteger(e ast.Expr) bool {
	s, ok := e.(*ast.StarExpr)
	if !ok {
		return false
	}
	id, ok := s.X.(*ast.Ident)
	return ok && (id.Name == "int" || id.Name == "int32" || id.Name == "int64")
}

func sameType(a, b ast.Expr) bool { return exprString(a) == exprString(b) }

func exprString(e ast.Expr) string {
	var b bytes.Buffer
	_ = printer.Fprint(&b, token.NewFileSet(), e)
	return b.String()
}
