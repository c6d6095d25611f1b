package generator

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

func directCase(path string, typ, format string, names ...string) (*Operation, *codegen.OperationDefinition) {
	d := &codegen.OperationDefinition{OperationId: "Get", Method: "GET", Path: path}
	op := &Operation{ID: "get", Method: "GET", Path: path}
	for _, n := range names {
		s := &openapi3.Schema{Type: &openapi3.Types{typ}, Format: format}
		d.PathParams = append(d.PathParams, codegen.ParameterDefinition{
			ParamName: n, In: "path", Required: true,
			Spec:   &openapi3.Parameter{Name: n, In: "path", Required: true, Schema: &openapi3.SchemaRef{Value: s}},
			Schema: codegen.Schema{GoType: "string"},
		})
		op.PathParams = append(op.PathParams, PathParam{Name: n, GoName: n, GoType: "string"})
	}
	return op, d
}

func TestDirectRequest(t *testing.T) {
	op, d := directCase("/v1/payments/{id}/items/{id}.{fmt}", "string", "", "id", "fmt")
	dr := directRequest(op, d)
	if dr == nil || dr.Path != `"/v1/payments/" + accPath0 + "/items/" + accPath0 + "." + accPath1` || len(dr.Params) != 2 || !dr.Params[0].Plain {
		t.Fatalf("direct request: %+v", dr)
	}
	op, d = directCase("/n/{n}", "integer", "int64", "n")
	if dr := directRequest(op, d); dr == nil || dr.Params[0].Plain || dr.Params[0].Type != "integer" || dr.Params[0].Format != "int64" {
		t.Fatalf("integer parameter: %+v", dr)
	}
	// Where oapi-codegen's builder stays.
	for _, path := range []string{"/a/{.id}", "/a/{id*}", "/a b/{id}", "/a/%41/{id}", "/a/../{id}", "/a/./{id}", "/a/{id}?x=1", "/a/{other}", "a/{id}"} {
		op, d := directCase(path, "string", "", "id")
		if dr := directRequest(op, d); dr != nil {
			t.Errorf("%s: direct request %+v", path, dr)
		}
	}
	op, d = directCase("/a/{id}", "string", "", "id")
	op.ParamsType = "GetParams"
	if directRequest(op, d) != nil {
		t.Error("an operation with query, header or cookie parameters was built directly")
	}
	op, d = directCase("/a/{id}", "string", "", "id")
	op.HasBody, op.DefaultBody = true, &Body{ContentType: "application/x-www-form-urlencoded"}
	if directRequest(op, d) != nil {
		t.Error("a form body was built directly")
	}
	op, d = directCase("/a/{id}", "string", "", "id")
	d.PathParams[0].Spec.Content = openapi3.Content{"application/json": &openapi3.MediaType{}}
	if directRequest(op, d) != nil {
		t.Error("a content parameter was built directly")
	}
	op, d = directCase("/a/{id}", "string", "", "id")
	d.PathParams[0].Spec.Schema.Value.Extensions = map[string]any{"x-go-type": "mypkg.ID"}
	if dr := directRequest(op, d); dr == nil || dr.Params[0].Plain {
		t.Errorf("an x-go-type parameter: %+v", dr)
	}
}
