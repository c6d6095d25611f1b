package rules

func schemaTypeUnknown() Rule {
	return Rule{
		ID:        "schema-type-unknown",
		Category:  CatType,
		Severity:  Error,
		Profile:   Wire,
		Direction: Both,
		Summary:   "A schema's type names something that is not a JSON Schema type (int, float, str, ...).",
		Impact: "`amount` went from `type: string` to `type: int`: validators reject the schema or every value, code " +
			"generators fall back to an untyped value, and clients on either side cannot know what to send or " +
			"expect. The rest of the schema is still compared as far as it can be.",
		Mitigation: "Use one of string, number, integer, boolean, array, object or null (int is `type: integer`, `format: int32`).",
		Schema: func(d *SchemaDiff, r Reporter) {
			if d.Partial || len(d.Head.Unknown) == 0 {
				return
			}
			var added []string
			for _, u := range d.Head.Unknown {
				if !containsString(d.Base.Unknown, u) && !containsString(added, u) {
					added = append(added, u)
				}
			}
			if len(added) == 0 {
				return
			}
			list := join(added, ", ")
			r.Report(Hit{At: []string{"type"}, Before: d.Base.Types.String(), After: list,
				Message: "type " + list + " is not a JSON Schema type"})
		},
	}
}
