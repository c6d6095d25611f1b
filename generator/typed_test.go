package generator

import "testing"

func TestTypedResultRule(t *testing.T) {
	models := []byte(`package p
type Payment struct{ Id string }
type Other struct{ Id string }
type Inline = Payment
type OneResponse struct { Body []byte; JSON201 *Payment; ApplicationproblemJSON400 *Other; Headers201 struct{ Location string } }
type TwoResponse struct { Body []byte; JSON200 *Payment; JSON201 *Payment }
type MixedResponse struct { Body []byte; JSON200 *Payment; JSON201 *Other }
type NoBodyResponse struct { Body []byte }
type XMLResponse struct { Body []byte; JSON200 *Payment; XML200 *Payment }
type AnonResponse struct { Body []byte; JSON200 *struct{ Id string } }
type BuiltinResponse struct { Body []byte; JSON200 *string }
type AcceptedResponse struct { Body []byte; JSON202 *Payment }
`)
	resolve, ok := modelTypes(models)
	if !ok {
		t.Fatal("models do not parse")
	}
	for _, tc := range []struct {
		resp    string
		success []int
		want    string
		fields  int
	}{
		{"OneResponse", []int{201}, "Payment", 1},
		{"TwoResponse", []int{200, 201}, "Payment", 2},
		{"MixedResponse", []int{200, 201}, "", 0},
		{"NoBodyResponse", []int{204}, "", 0},
		{"XMLResponse", []int{200}, "", 0},
		{"AnonResponse", []int{200}, "", 0},
		{"BuiltinResponse", []int{200}, "", 0},
		{"AcceptedResponse", []int{202}, "", 0},
		{"OneResponse", nil, "", 0}, // 2XX or default only
		{"NotJSON", []int{200}, "", 0},
	} {
		op := &Operation{GoName: "Op", RawBuilder: "NewOpRequest", ResponseType: tc.resp, Success: tc.success}
		if tc.resp == "NotJSON" { // a YAML 200 beside the JSON one: oapi-codegen drops its field
			op.ResponseType, op.SuccessNotJSON = "OneResponse", true
			op.Success = []int{201}
		}
		got, fields := typedResult(op, resolve)
		if got != tc.want || len(fields) != tc.fields {
			t.Errorf("%s %v: typed %q %v, want %q with %d fields", tc.resp, tc.success, got, fields, tc.want, tc.fields)
		}
	}
}
