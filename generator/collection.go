package generator

import (
	"fmt"
	"go/ast"
	"strconv"
	"strings"
)

// Collection is a catalog entity the contract serves with the usual five
// operations (POST and GET on /things, GET, PUT or PATCH and DELETE on
// /things/{id}); the client adapts them to the runtime's one interface,
// accordrt.Collection[T, C, U], so a local catalog syncs customers (or
// invoices) from any system the same way. Operations specific to one
// system stay methods of the client.
type Collection struct {
	// Method is the client method returning the adapter (<Things>Collection).
	Method string
	// Path is the collection's path, Item the item's path.
	Path, Item string
	// Type is the entity (the item GET's 200 body); Create and Update the
	// bodies of the create and update operations.
	Type, Create, Update string
	// The operations' GoNames, and the success field of each response
	// holding a *Type (JSON201 or JSON200).
	CreateOp, GetOp, UpdateOp, DeleteOp, ListOp string
	// The methods the adapter calls: each operation's Raw (its parsed
	// response), whether or not the operation's method is typed.
	CreateCall, GetCall, UpdateCall, DeleteCall, ListCall string
	CreateField, GetField, UpdateField                    string
	// Paged: ListOp has a <ListOp>All iterator; otherwise the list's 200
	// body is []Type.
	Paged bool
	// The params argument of each call: ", nil" where the operation takes
	// (optional) params, "" where it takes none.
	CreateNil, GetNil, UpdateNil, DeleteNil, ListNil string
}

// detectCollections finds the collections of m. A resource qualifies when
// every one of its five operations is there with JSON bodies of one entity
// type, a string id, and no required parameter but the id (the interface
// takes none); a resource with four of them gets a note saying what is
// missing, so a user who expected the adapter learns why there is none.
func detectCollections(models []byte, m *Model) ([]Collection, []string) {
	resolve, ok := modelTypes(models)
	if !ok {
		return nil, nil
	}
	byRoute := map[string]*Operation{}
	for i := range m.Operations {
		op := &m.Operations[i]
		if op.GoName != "" && op.ServedBy == "" {
			byRoute[op.Method+" "+op.Path] = op
		}
	}
	pagedItems := map[string]string{} // list GoName → the iterator's item type
	for _, p := range m.Pagination {
		pagedItems[p.GoName] = p.ItemType
	}
	taken := map[string]bool{}
	for _, op := range m.Operations {
		taken[op.GoName] = true
		taken[op.GoName+"All"] = true
		taken[op.GoName+"Wait"] = true
		taken["Settle"+op.GoName] = true
	}
	var out []Collection
	var notes []string
	for _, op := range m.Operations {
		if op.Method != "GET" || len(op.PathParams) != 1 {
			continue
		}
		item := op.Path
		base, last := splitLast(item)
		if base == "" || last != "{"+op.PathParams[0].Name+"}" {
			continue
		}
		c, missing := collectionAt(base, item, byRoute, pagedItems, resolve)
		if missing != "" {
			if present(base, item, byRoute) >= 4 {
				notes = append(notes, fmt.Sprintf("%s and %s are not adapted to accordrt.Collection: %s", base, item, missing))
			}
			continue
		}
		c.Method = collectionName(base)
		if c.Method == "Collection" || taken[c.Method] {
			notes = append(notes, fmt.Sprintf("%s and %s are not adapted to accordrt.Collection: the method name %s is taken", base, item, c.Method))
			continue
		}
		taken[c.Method] = true
		out = append(out, c)
	}
	if len(notes) > 3 {
		// A large API (App Store Connect) has dozens of near misses; one
		// line with an example says enough.
		notes = []string{fmt.Sprintf("%d resources have four of the five collection operations but are not adapted to accordrt.Collection; the first: %s", len(notes), notes[0])}
	}
	return out, notes
}

// collectionAt checks the five operations of base and item; missing says
// what disqualifies them ("" when they qualify).
func collectionAt(base, item string, byRoute map[string]*Operation, pagedItems map[string]string, resolve func(ast.Expr) ast.Expr) (Collection, string) {
	c := Collection{Path: base, Item: item}
	get, list, create, del := byRoute["GET "+item], byRoute["GET "+base], byRoute["POST "+base], byRoute["DELETE "+item]
	update := byRoute["PUT "+item]
	if update == nil || update.DefaultBody == nil || !update.DefaultBody.JSON {
		update = byRoute["PATCH "+item]
	}
	for _, need := range []struct {
		op   *Operation
		what string
	}{{list, "no GET " + base}, {create, "no POST " + base}, {get, "no GET " + item}, {update, "no PUT or PATCH " + item}, {del, "no DELETE " + item}} {
		if need.op == nil {
			return c, need.what
		}
		if len(need.op.PathParams) > 0 && need.op.PathParams[0].GoType != "string" {
			return c, need.op.ID + " takes an id of type " + need.op.PathParams[0].GoType + ", the interface a string"
		}
		if requiredParams(need.op, resolve) {
			return c, need.op.ID + " has required parameters besides the id"
		}
	}
	for _, op := range []*Operation{create, update} {
		if op.DefaultBody == nil || !op.DefaultBody.JSON || op.DefaultBody.Type == "" {
			return c, op.ID + " takes no JSON body"
		}
	}
	var ok bool
	if c.Type, c.GetField, ok = successBody(get, resolve, ""); !ok {
		return c, get.ID + " answers no JSON entity"
	}
	if _, c.CreateField, ok = successBody(create, resolve, c.Type); !ok {
		return c, create.ID + " does not answer the " + c.Type + " it created"
	}
	if _, c.UpdateField, ok = successBody(update, resolve, c.Type); !ok {
		return c, update.ID + " does not answer the updated " + c.Type
	}
	if item, ok := pagedItems[list.GoName]; ok {
		if item != c.Type {
			return c, list.ID + " pages " + item + ", not " + c.Type
		}
		c.Paged = true
	} else if !listOf(list, resolve, c.Type) {
		return c, list.ID + " answers no JSON array of " + c.Type + " and is not paged"
	}
	c.CreateOp, c.GetOp, c.UpdateOp, c.DeleteOp, c.ListOp = create.GoName, get.GoName, update.GoName, del.GoName, list.GoName
	c.CreateCall, c.GetCall, c.UpdateCall, c.DeleteCall, c.ListCall = create.Raw(), get.Raw(), update.Raw(), del.Raw(), list.Raw()
	c.Create, c.Update = create.DefaultBody.Type, update.DefaultBody.Type
	c.CreateNil, c.GetNil, c.UpdateNil, c.DeleteNil, c.ListNil = nilParams(create), nilParams(get), nilParams(update), nilParams(del), nilParams(list)
	return c, ""
}

func nilParams(op *Operation) string {
	if op.ParamsType == "" {
		return ""
	}
	return ", nil"
}

// successBody finds the first success field of op's response that holds a
// *T (of want, when want is set).
func successBody(op *Operation, resolve func(ast.Expr) ast.Expr, want string) (typ, field string, ok bool) {
	if op.ResponseType == "" {
		return "", "", false
	}
	resp, _ := resolve(ast.NewIdent(op.ResponseType)).(*ast.StructType)
	if resp == nil {
		return "", "", false
	}
	for _, code := range op.Success {
		f := fieldByName(resp, "JSON"+strconv.Itoa(code))
		if f == nil {
			continue
		}
		star, isPtr := f.Type.(*ast.StarExpr)
		if !isPtr {
			continue
		}
		if _, isStruct := resolve(star.X).(*ast.StructType); !isStruct {
			continue
		}
		named, isIdent := star.X.(*ast.Ident)
		if !isIdent {
			continue // an inline struct: no type the interface could name
		}
		if t := named.Name; want == "" || t == want {
			return t, f.Names[0].Name, true
		}
	}
	return "", "", false
}

// listOf reports whether op's 200 answer is a JSON array of typ.
func listOf(op *Operation, resolve func(ast.Expr) ast.Expr, typ string) bool {
	if op.ResponseType == "" {
		return false
	}
	resp, _ := resolve(ast.NewIdent(op.ResponseType)).(*ast.StructType)
	if resp == nil {
		return false
	}
	f := fieldByName(resp, "JSON200")
	if f == nil {
		return false
	}
	star, ok := f.Type.(*ast.StarExpr)
	if !ok {
		return false
	}
	arr, ok := resolve(star.X).(*ast.ArrayType)
	return ok && arr.Len == nil && exprString(arr.Elt) == typ
}

// requiredParams reports whether op's params struct has a required field:
// oapi-codegen makes optional parameters pointers.
func requiredParams(op *Operation, resolve func(ast.Expr) ast.Expr) bool {
	if op.ParamsType == "" {
		return false
	}
	st, _ := resolve(ast.NewIdent(op.ParamsType)).(*ast.StructType)
	if st == nil {
		return true
	}
	for _, f := range st.Fields.List {
		if _, ptr := f.Type.(*ast.StarExpr); !ptr {
			return true
		}
	}
	return false
}

// present counts the five operations of a resource that exist at all.
func present(base, item string, byRoute map[string]*Operation) int {
	n := 0
	for _, r := range []string{"GET " + base, "POST " + base, "GET " + item, "DELETE " + item} {
		if byRoute[r] != nil {
			n++
		}
	}
	if byRoute["PUT "+item] != nil || byRoute["PATCH "+item] != nil {
		n++
	}
	return n
}

func splitLast(path string) (base, last string) {
	i := strings.LastIndex(path, "/")
	if i <= 0 {
		return "", path
	}
	return path[:i], path[i+1:]
}

// collectionName is the adapter's method: /v1/customers → CustomersCollection.
func collectionName(base string) string {
	last := base[strings.LastIndex(base, "/")+1:]
	if last == "" || strings.ContainsAny(last, "{}") {
		return "Collection"
	}
	var b strings.Builder
	upper := true
	for _, r := range last {
		switch {
		case r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' && b.Len() > 0:
			if upper && r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			upper = false
		default:
			upper = true
		}
	}
	return b.String() + "Collection"
}
