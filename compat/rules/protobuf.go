package rules

import (
	"context"
	"fmt"
	"sort"
	"strings"

	"github.com/bufbuild/protocompile"
	"google.golang.org/protobuf/reflect/protoreflect"
)

// This file compares Protobuf payload schemas by the wire and JSON
// compatibility rules of `buf breaking`'s WIRE_JSON category: what decides
// whether bytes (or protojson) written with one version decode with the
// other. Parsing and linking are protocompile's. Messages and enums are
// matched by full name and fields by number, as the wire matches them.

// IsProtobufFormat tells whether an AsyncAPI schemaFormat is Protobuf
// (application/vnd.google.protobuf;version=2 or 3).
func IsProtobufFormat(format string) bool {
	mt, _, _ := strings.Cut(strings.ToLower(format), ";")
	return strings.TrimSpace(mt) == "application/vnd.google.protobuf"
}

// parseProto compiles a payload's .proto source (well-known imports
// available) into its file descriptor.
func parseProto(raw any) (protoreflect.FileDescriptor, error) {
	src, ok := raw.(string)
	if !ok {
		return nil, fmt.Errorf("a Protobuf payload must be .proto source text, not %T", raw)
	}
	const name = "payload.proto"
	c := protocompile.Compiler{Resolver: protocompile.WithStandardImports(&protocompile.SourceResolver{
		Accessor: protocompile.SourceAccessorFromMap(map[string]string{name: src}),
	})}
	files, err := c.Compile(context.Background(), name)
	if err != nil {
		return nil, err
	}
	return files[0], nil
}

// protoProblem is one incompatibility.
type protoProblem struct {
	at            []string // message or enum name, then field or value
	before, after string
	msg           string
}

type protoIndex struct {
	messages map[string]protoreflect.MessageDescriptor
	enums    map[string]protoreflect.EnumDescriptor
}

func indexProto(fd protoreflect.FileDescriptor) protoIndex {
	ix := protoIndex{messages: map[string]protoreflect.MessageDescriptor{}, enums: map[string]protoreflect.EnumDescriptor{}}
	var walk func(ms protoreflect.MessageDescriptors, es protoreflect.EnumDescriptors)
	walk = func(ms protoreflect.MessageDescriptors, es protoreflect.EnumDescriptors) {
		for i := 0; i < es.Len(); i++ {
			ix.enums[string(es.Get(i).FullName())] = es.Get(i)
		}
		for i := 0; i < ms.Len(); i++ {
			m := ms.Get(i)
			if m.IsMapEntry() {
				continue // compared through the map field's key and value
			}
			ix.messages[string(m.FullName())] = m
			walk(m.Messages(), m.Enums())
		}
	}
	walk(fd.Messages(), fd.Enums())
	return ix
}

// protoIncompatibilities compares two payloads. dir matters only for proto2
// required fields: a field that became required breaks the producers of a
// message the application receives; one that stopped being required breaks
// the consumers of a message it sends.
func protoIncompatibilities(dir Direction, base, head any) []protoProblem {
	hf, herr := parseProto(head)
	if herr != nil {
		return []protoProblem{{msg: "the payload does not compile as Protobuf: " + herr.Error()}}
	}
	bf, berr := parseProto(base)
	if berr != nil {
		return []protoProblem{{msg: "the base payload does not compile as Protobuf, so it cannot be compared: " + berr.Error()}}
	}
	b, h := indexProto(bf), indexProto(hf)
	var out []protoProblem
	for _, name := range sortedNames(b.messages) {
		if hm, ok := h.messages[name]; ok {
			out = append(out, compareMessage(dir, b.messages[name], hm)...)
		}
	}
	for _, name := range sortedNames(b.enums) {
		if he, ok := h.enums[name]; ok {
			out = append(out, compareEnum(b.enums[name], he)...)
		}
	}
	return out
}

func compareMessage(dir Direction, b, h protoreflect.MessageDescriptor) []protoProblem {
	var out []protoProblem
	msg := string(b.Name())
	add := func(field string, before, after, text string) {
		out = append(out, protoProblem{at: []string{msg, field}, before: before, after: after, msg: text})
	}
	bf, hf := b.Fields(), h.Fields()
	for i := 0; i < bf.Len(); i++ {
		f := bf.Get(i)
		g := hf.ByNumber(f.Number())
		name := string(f.Name())
		if g == nil {
			if !h.ReservedRanges().Has(f.Number()) || !h.ReservedNames().Has(f.Name()) {
				add(name, fieldType(f), "", fmt.Sprintf("field %s = %d was removed without `reserved %d;` and `reserved \"%s\";`: "+
					"a later field may reuse the number (wire) or the name (JSON)", name, f.Number(), f.Number(), name))
			}
			if dir == Response && f.Cardinality() == protoreflect.Required {
				add(name, "required", "", "required field "+name+" was removed: consumers on the old schema reject every message")
			}
			continue
		}
		if !protoWireJSONCompatible(f, g) {
			add(name, fieldType(f), fieldType(g), fmt.Sprintf("field %d changed type from %s to %s, which changes its wire or JSON encoding", f.Number(), fieldType(f), fieldType(g)))
		} else if f.IsList() != g.IsList() || f.IsMap() != g.IsMap() {
			add(name, cardinality(f), cardinality(g), fmt.Sprintf("field %d changed from %s to %s", f.Number(), cardinality(f), cardinality(g)))
		}
		if f.JSONName() != g.JSONName() || f.Name() != g.Name() {
			add(name, name, string(g.Name()), fmt.Sprintf("field %d was renamed from %s to %s: its JSON name changes, so protojson readers lose it", f.Number(), name, g.Name()))
		}
		if oneofName(f) != oneofName(g) {
			add(name, orNone(oneofName(f)), orNone(oneofName(g)), fmt.Sprintf("field %s moved from oneof %s to %s: setting it now clears other fields", name, orNone(oneofName(f)), orNone(oneofName(g))))
		}
		bReq, hReq := f.Cardinality() == protoreflect.Required, g.Cardinality() == protoreflect.Required
		switch {
		case dir != Response && hReq && !bReq:
			add(name, "optional", "required", "field "+name+" became required: messages from producers on the old schema that omit it are rejected")
		case dir == Response && bReq && !hReq:
			add(name, "required", "optional", "field "+name+" is no longer required: consumers on the old schema reject messages without it")
		}
	}
	for i := 0; i < hf.Len(); i++ {
		g := hf.Get(i)
		if bf.ByNumber(g.Number()) == nil && b.ReservedRanges().Has(g.Number()) {
			add(string(g.Name()), "reserved", fieldType(g), fmt.Sprintf("field %s reuses the reserved number %d: old data carrying the retired field decodes into it", g.Name(), g.Number()))
		}
	}
	return out
}

func compareEnum(b, h protoreflect.EnumDescriptor) []protoProblem {
	var out []protoProblem
	bv, hv := b.Values(), h.Values()
	for i := 0; i < bv.Len(); i++ {
		v := bv.Get(i)
		w := hv.ByNumber(v.Number())
		name := string(v.Name())
		switch {
		case w == nil && !(h.ReservedRanges().Has(v.Number()) && h.ReservedNames().Has(v.Name())):
			out = append(out, protoProblem{at: []string{string(b.Name()), name}, before: name, msg: fmt.Sprintf(
				"enum value %s = %d was removed without reserving its number and name", name, v.Number())})
		case w != nil && w.Name() != v.Name():
			out = append(out, protoProblem{at: []string{string(b.Name()), name}, before: name, after: string(w.Name()), msg: fmt.Sprintf(
				"enum value %d was renamed from %s to %s: protojson writes and reads values by name", v.Number(), name, w.Name())})
		}
	}
	return out
}

// protoWireJSONCompatible: the same scalar kind (message and enum fields:
// the same type), or kinds that share both the wire encoding and the JSON
// form: int32/uint32 (varint, JSON number), int64/uint64 (varint, JSON
// string), fixed32/sfixed32 and fixed64/sfixed64. Pairs that are wire- but
// not JSON-compatible (int32/int64, string/bytes, sint32/sint64) break
// protojson readers, as WIRE_JSON says.
func protoWireJSONCompatible(f, g protoreflect.FieldDescriptor) bool {
	if f.IsMap() && g.IsMap() {
		return protoWireJSONCompatible(f.MapKey(), g.MapKey()) && protoWireJSONCompatible(f.MapValue(), g.MapValue())
	}
	fk, gk := f.Kind(), g.Kind()
	if fk == gk {
		switch fk {
		case protoreflect.MessageKind, protoreflect.GroupKind:
			return f.Message().FullName() == g.Message().FullName()
		case protoreflect.EnumKind:
			return f.Enum().FullName() == g.Enum().FullName()
		}
		return true
	}
	pair := func(a, b protoreflect.Kind) bool { return (fk == a && gk == b) || (fk == b && gk == a) }
	return pair(protoreflect.Int32Kind, protoreflect.Uint32Kind) || pair(protoreflect.Int64Kind, protoreflect.Uint64Kind) ||
		pair(protoreflect.Fixed32Kind, protoreflect.Sfixed32Kind) || pair(protoreflect.Fixed64Kind, protoreflect.Sfixed64Kind)
}

func fieldType(f protoreflect.FieldDescriptor) string {
	switch {
	case f.IsMap():
		return "map<" + fieldType(f.MapKey()) + ", " + fieldType(f.MapValue()) + ">"
	case f.Kind() == protoreflect.MessageKind || f.Kind() == protoreflect.GroupKind:
		return string(f.Message().FullName())
	case f.Kind() == protoreflect.EnumKind:
		return string(f.Enum().FullName())
	}
	return f.Kind().String()
}

func cardinality(f protoreflect.FieldDescriptor) string {
	switch {
	case f.IsMap():
		return "map"
	case f.IsList():
		return "repeated"
	}
	return "singular"
}

// oneofName is the real oneof a field belongs to (a proto3 `optional`
// field's synthetic oneof does not count).
func oneofName(f protoreflect.FieldDescriptor) string {
	if o := f.ContainingOneof(); o != nil && !o.IsSynthetic() {
		return string(o.Name())
	}
	return ""
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}

func sortedNames[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
