package rules

import "reflect"

func protobufSchemaIncompatible() Rule {
	return Rule{
		ID:        "protobuf-schema-incompatible",
		Category:  CatType,
		Severity:  Error,
		Profile:   Wire,
		Direction: Both,
		Summary:   "A Protobuf message payload changed in a way that breaks its wire or JSON encoding (buf's WIRE_JSON rules).",
		Impact: "Field 3 `amount` changed from int64 to string: every consumer decoding old or new messages reads garbage " +
			"or fails; a renamed field keeps the wire working but protojson readers silently lose it.",
		Mitigation: "Never change a field's number or type; add new fields instead, and `reserved` the number and name " +
			"of every field or enum value you delete.",
		Message: func(d *MessageDiff, r Reporter) {
			if d.Base == nil || d.Head == nil || !IsProtobufFormat(d.Base.SchemaFormat) || !IsProtobufFormat(d.Head.SchemaFormat) ||
				d.Base.RawPayload == nil || d.Head.RawPayload == nil || reflect.DeepEqual(d.Base.RawPayload, d.Head.RawPayload) {
				return // unchanged text: nothing to resolve (and nothing to parse)
			}
			name := MessageName(d.Head)
			for _, p := range protoIncompatibilities(d.Dir, d.Base.RawPayload, d.Head.RawPayload) {
				r.Report(Hit{At: append([]string{"payload"}, p.at...), Before: p.before, After: p.after,
					Message: "message " + name + ": " + placeOf(p.at) + p.msg})
			}
		},
	}
}
