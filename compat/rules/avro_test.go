package rules

import (
	"strings"
	"testing"
)

// TestAvroResolution pins Avro's schema-resolution rules, one writer/reader
// pair per rule, read in the direction a received message flows (base is
// the writer, head the reader).
func TestAvroResolution(t *testing.T) {
	rec := func(fields string) string {
		return `{"type":"record","name":"R","fields":[` + fields + `]}`
	}
	tests := []struct {
		name, writer, reader string
		breaks               bool
	}{
		{"int to long", `"int"`, `"long"`, false},
		{"int to double", `"int"`, `"double"`, false},
		{"long to float", `"long"`, `"float"`, false},
		{"float to double", `"float"`, `"double"`, false},
		{"string to bytes", `"string"`, `"bytes"`, false},
		{"bytes to string", `"bytes"`, `"string"`, false},
		{"long to int", `"long"`, `"int"`, true},
		{"double to float", `"double"`, `"float"`, true},
		{"boolean to int", `"boolean"`, `"int"`, true},
		{"into a union", `"string"`, `["null","string"]`, false},
		{"promoted into a union", `"int"`, `["null","long"]`, false},
		{"out of a union", `["null","string"]`, `"string"`, true},
		{"union branch kept", `["null","int"]`, `["null","long","string"]`, false},
		{"union branch dropped", `["null","int","string"]`, `["null","int"]`, true},
		{"field added with default", rec(`{"name":"a","type":"int"}`), rec(`{"name":"a","type":"int"},{"name":"b","type":"string","default":""}`), false},
		{"field added without default", rec(`{"name":"a","type":"int"}`), rec(`{"name":"a","type":"int"},{"name":"b","type":"string"}`), true},
		{"field dropped", rec(`{"name":"a","type":"int"},{"name":"b","type":"string"}`), rec(`{"name":"a","type":"int"}`), false},
		{"field renamed with alias", rec(`{"name":"a","type":"int"}`), rec(`{"name":"b","type":"int","aliases":["a"]}`), false},
		{"field renamed without alias", rec(`{"name":"a","type":"int"}`), rec(`{"name":"b","type":"int"}`), true},
		{"field type promoted", rec(`{"name":"a","type":"int"}`), rec(`{"name":"a","type":"long"}`), false},
		{"record renamed", rec(`{"name":"a","type":"int"}`), `{"type":"record","name":"S","fields":[{"name":"a","type":"int"}]}`, true},
		{"record renamed with alias", rec(`{"name":"a","type":"int"}`), `{"type":"record","name":"S","aliases":["R"],"fields":[{"name":"a","type":"int"}]}`, false},
		{"enum symbol added", `{"type":"enum","name":"E","symbols":["A"]}`, `{"type":"enum","name":"E","symbols":["A","B"]}`, false},
		{"enum symbol removed", `{"type":"enum","name":"E","symbols":["A","B"]}`, `{"type":"enum","name":"E","symbols":["A"]}`, true},
		{"enum symbol removed, reader default", `{"type":"enum","name":"E","symbols":["A","B"]}`, `{"type":"enum","name":"E","symbols":["A"],"default":"A"}`, false},
		{"fixed resized", `{"type":"fixed","name":"F","size":16}`, `{"type":"fixed","name":"F","size":8}`, true},
		{"array items promoted", `{"type":"array","items":"int"}`, `{"type":"array","items":"long"}`, false},
		{"map values narrowed", `{"type":"map","values":"long"}`, `{"type":"map","values":"int"}`, true},
		{"logical type changed", `{"type":"long","logicalType":"timestamp-millis"}`, `{"type":"long","logicalType":"timestamp-micros"}`, true},
		{"recursive record", `{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]}]}`,
			`{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]},{"name":"v","type":"int","default":0}]}`, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := avroIncompatibilities(Request, tt.writer, tt.reader)
			if (len(got) > 0) != tt.breaks {
				t.Errorf("problems %+v, want breaking=%v", got, tt.breaks)
			}
			// The same change in a sent message swaps the roles: base is
			// then the reader. A promotion is one-way, so it must break.
			if !tt.breaks && strings.Contains(tt.name, "promoted") {
				if back := avroIncompatibilities(Response, tt.writer, tt.reader); len(back) == 0 {
					t.Errorf("sent: a promotion read by old consumers must break")
				}
			}
		})
	}
}

func TestAvroUnparseableHead(t *testing.T) {
	got := avroIncompatibilities(Request, `"int"`, `{"type":"record","name":"R"}`)
	if len(got) != 1 || !strings.Contains(got[0].msg, "not a valid Avro schema") {
		t.Errorf("got %+v, want one problem saying the head does not parse", got)
	}
	if got := avroIncompatibilities(Request, map[string]any{"$ref": "r.avsc"}, `"int"`); got != nil {
		t.Errorf("an unresolved $ref payload is not comparable: got %+v", got)
	}
}

func TestProtobufWireJSON(t *testing.T) {
	msg := func(field string) string {
		return "syntax = \"proto3\";\nmessage M {\n  " + field + "\n}\n"
	}
	tests := []struct {
		name, base, head string
		breaks           bool
	}{
		{"int32 to uint32", "int32 a = 1;", "uint32 a = 1;", false},
		{"int64 to uint64", "int64 a = 1;", "uint64 a = 1;", false},
		{"fixed64 to sfixed64", "fixed64 a = 1;", "sfixed64 a = 1;", false},
		{"int32 to int64 (JSON number to string)", "int32 a = 1;", "int64 a = 1;", true},
		{"sint32 to sint64", "sint32 a = 1;", "sint64 a = 1;", true},
		{"string to bytes (JSON base64)", "string a = 1;", "bytes a = 1;", true},
		{"int32 to sint32 (zigzag)", "int32 a = 1;", "sint32 a = 1;", true},
		{"singular to repeated", "string a = 1;", "repeated string a = 1;", true},
		{"renamed", "string a = 1;", "string b = 1;", true},
		{"deleted", "string a = 1; string b = 2;", "string a = 1;", true},
		{"deleted and reserved", "string a = 1; string b = 2;", "string a = 1; reserved 2; reserved \"b\";", false},
		{"deleted, only the number reserved", "string a = 1; string b = 2;", "string a = 1; reserved 2;", true},
		{"added", "string a = 1;", "string a = 1; string b = 2;", false},
		{"into a oneof", "string a = 1;", "oneof o { string a = 1; }", true},
		{"proto3 optional added", "string a = 1;", "optional string a = 1;", false},
		{"map value type", "map<string, int32> a = 1;", "map<string, string> a = 1;", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := protoIncompatibilities(Request, msg(tt.base), msg(tt.head))
			if (len(got) > 0) != tt.breaks {
				t.Errorf("problems %+v, want breaking=%v", got, tt.breaks)
			}
		})
	}
	if got := protoIncompatibilities(Request, msg("string a = 1;"), "message {"); len(got) != 1 || !strings.Contains(got[0].msg, "does not compile") {
		t.Errorf("a head that does not compile: %+v", got)
	}
}
