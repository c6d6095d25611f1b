package rules

func responseExclusionRemoved() Rule {
	return Rule{
		ID:        "response-exclusion-removed",
		Category:  CatConstraint,
		Severity:  Error,
		Profile:   Wire,
		Direction: Response,
		Summary:   "A response value may now be one it promised never to be: `not` removed or narrowed, or a false schema now allows values.",
		Impact: "`status` lost `not: {const: deleted}`: clients that never handled deleted records because the " +
			"contract excluded them now receive some.",
		Mitigation: "Keep the exclusion in responses; return the new values only to clients that opted in.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if d.Partial {
				return
			}
			b, h := d.Base, d.Head
			if b.Never() {
				r.Report(Hit{Before: "false", After: "values",
					Message: "values are now sent where none were allowed (the schema was false or not: {})"})
				return
			}
			bn := b.Not()
			if bn == nil {
				return
			}
			hn := h.Not()
			switch {
			case hn == nil && disjoint(h, NewView(bn, nil)):
				return // what base excluded head cannot produce anyway
			case hn != nil && Accepts(hn, bn):
				return // head still excludes all of it
			}
			r.Report(Hit{At: []string{"not"}, Side: Base, Before: notLabel(bn), After: notLabel(hn),
				Message: "values the old not schema excluded may now be returned"})
		},
	}
}
