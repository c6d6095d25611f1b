package rules

func formatChanged() Rule {
	return Rule{
		ID:        "format-changed",
		Category:  CatType,
		Severity:  Error,
		Profile:   Wire,
		Direction: Both,
		Summary:   "A value's format changed so that what one side writes no longer fits what the other side reads.",
		Impact: "`created` went from date-time to date: clients sending 2024-05-01T10:00:00Z are rejected, and clients " +
			"parsing responses as timestamps fail. A format added to a request narrows it; a format removed from a " +
			"response (or int32 to int64) loosens it.",
		Mitigation: "Keep the format; expose the new representation as a new property.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() {
				return
			}
			bf, hf := d.Base.Format(), d.Head.Format()
			if normalFormat(bf) == normalFormat(hf) {
				return // equal, or only annotations changed
			}
			breaks := (d.Dir == Request && !FormatAccepts(hf, bf)) || (d.Dir == Response && !FormatAccepts(bf, hf))
			if !breaks {
				return
			}
			r.Report(Hit{
				At:      []string{"format"},
				Before:  quoteOrNone(bf),
				After:   quoteOrNone(hf),
				Message: "format changed from " + quoteOrNone(bf) + " to " + quoteOrNone(hf),
			})
		},
	}
}
