package rules

func typeChanged() Rule {
	return Rule{
		ID:        "type-changed",
		Category:  CatType,
		Severity:  Error,
		Profile:   Wire,
		Direction: Both,
		Summary:   "A value's type changed so that what one side writes no longer fits what the other side reads.",
		Impact: "`amount` went from integer to string: clients sending 100 get 400 Bad Request, and clients decoding " +
			"a response into an int fail on \"100\". In requests a widening (integer to number) is fine; in responses a " +
			"narrowing (number to integer) is fine.",
		Mitigation: "Add a new property with the new type next to the old one, fill both for a while, then deprecate the old one.",
		Schema: func(d *SchemaDiff, r Reporter) {
			// Requests: everything clients sent must still be accepted.
			// Responses: everything the server sends must be something clients read.
			if !d.TypeBreaks() {
				return
			}
			b, h := d.Base, d.Head
			r.Report(Hit{
				At:      []string{"type"},
				Before:  b.Types.String(),
				After:   h.Types.String(),
				Message: "type changed from " + b.Types.String() + " to " + h.Types.String(),
			})
		},
	}
}
