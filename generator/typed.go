package generator

import (
	"go/ast"
	"strconv"
	"strings"
)

// detectTyped marks the operations whose method returns the success body
// itself: every explicit 2xx status the contract declares carries one JSON
// body, all of one named model type, and nothing else (no other media
// type). Every other operation keeps returning the parsed response: no
// success body, several body types, non-JSON bodies, a 2XX or default-only
// success, and 202 Accepted (its <GoName>Wait takes that response).
func detectTyped(models []byte, m *Model) {
	resolve, ok := modelTypes(models)
	if !ok {
		return
	}
	for i := range m.Operations {
		op := &m.Operations[i]
		op.Result, op.ResultFields = typedResult(op, resolve)
	}
}

func typedResult(op *Operation, resolve func(ast.Expr) ast.Expr) (string, []string) {
	if op.GoName == "" || op.Webhook || op.RawBuilder == "" || op.ResponseType == "" || len(op.Success) == 0 || op.SuccessNotJSON {
		return "", nil
	}
	resp, _ := resolve(ast.NewIdent(op.ResponseType)).(*ast.StructType)
	if resp == nil {
		return "", nil
	}
	var typ string
	var fields []string
	for _, code := range op.Success {
		if code == 202 {
			return "", nil
		}
		want := "JSON" + strconv.Itoa(code)
		for _, f := range resp.Fields.List {
			for _, n := range f.Names {
				if n.Name != want && !strings.HasPrefix(n.Name, "Headers") && strings.HasSuffix(n.Name, strconv.Itoa(code)) {
					return "", nil // another media type for this status
				}
			}
		}
		f := fieldByName(resp, want)
		if f == nil {
			return "", nil
		}
		star, isPtr := f.Type.(*ast.StarExpr)
		if !isPtr {
			return "", nil
		}
		named, isIdent := star.X.(*ast.Ident)
		if !isIdent || resolve(named) == ast.Expr(named) {
			return "", nil // inline or builtin: no model type to name
		}
		if typ != "" && typ != named.Name {
			return "", nil
		}
		typ = named.Name
		fields = append(fields, want)
	}
	return typ, fields
}

// Raw is the method answering op's parsed response: the unexported
// acc<GoName> behind a typed method, the method itself otherwise. The
// iterators, waits, collections and pact tests call it.
func (o Operation) Raw() string {
	if o.Result != "" {
		return "acc" + o.GoName
	}
	return o.GoName
}
