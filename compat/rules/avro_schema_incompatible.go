package rules

import "reflect"

func avroSchemaIncompatible() Rule {
	return Rule{
		ID:        "avro-schema-incompatible",
		Category:  CatType,
		Severity:  Error,
		Profile:   Wire,
		Direction: Both,
		Summary:   "An Avro message payload no longer resolves: data written with one version cannot be read with the other.",
		Impact: "`amount` changed from long to double in a message the application sends: consumers still reading with " +
			"the old schema fail on every message; a field renamed without an alias or default fails every read of old data.",
		Mitigation: "Follow Avro's resolution rules: give added fields a default, rename with `aliases`, only promote " +
			"types (int → long → float → double, string ↔ bytes), and give enums a default before removing symbols.",
		Message: func(d *MessageDiff, r Reporter) {
			if d.Base == nil || d.Head == nil || !IsAvroFormat(d.Base.SchemaFormat) || !IsAvroFormat(d.Head.SchemaFormat) ||
				d.Base.RawPayload == nil || d.Head.RawPayload == nil || reflect.DeepEqual(d.Base.RawPayload, d.Head.RawPayload) {
				return // unchanged text: nothing to resolve (and nothing to parse)
			}
			name := MessageName(d.Head)
			for _, p := range avroIncompatibilities(d.Dir, d.Base.RawPayload, d.Head.RawPayload) {
				r.Report(Hit{At: append([]string{"payload"}, p.at...), Before: p.before, After: p.after,
					Message: "message " + name + ": " + avroWho(d.Dir) + ": " + placeOf(p.at) + p.msg})
			}
		},
	}
}

// avroWho says whose reads break. Under a registry mode every message is
// judged one way whatever its operation's action, so this names readers and
// versions, not the application's role.
func avroWho(dir Direction) string {
	if dir == Response {
		return "readers still on the old schema cannot read what is written with the new one"
	}
	return "readers on the new schema cannot read what is still written with the old one"
}

func placeOf(at []string) string {
	if len(at) == 0 {
		return ""
	}
	s := at[0]
	for _, t := range at[1:] {
		s += "." + t
	}
	return s + ": "
}
