package rules

import "github.com/getkin/kin-openapi/openapi3"

func requestValuesExcluded() Rule {
	return Rule{
		ID:        "request-values-excluded",
		Category:  CatConstraint,
		Severity:  Error,
		Profile:   Wire,
		Direction: Request,
		Summary:   "A request value now excludes values it accepted: `not` added or widened, or the schema became false.",
		Impact: "`code` gained `not: {enum: [\"0000\"]}`: clients sending the all-zero code they used as a " +
			"placeholder get 400 Bad Request.",
		Mitigation: "Keep accepting the values (and ignore or map them on the server) until clients have stopped sending them.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if d.Partial {
				return
			}
			b, h := d.Base, d.Head
			if h.Never() {
				r.Report(Hit{Before: "accepted", After: "false",
					Message: "no value is accepted any more (the schema is false or not: {})"})
				return
			}
			hn := h.Not()
			if hn == nil {
				return
			}
			bn := b.Not()
			switch {
			case bn == nil && disjoint(b, NewView(hn, nil)):
				return // excludes nothing clients could send
			case bn != nil && Accepts(bn, hn):
				return // excludes nothing new
			}
			r.Report(Hit{At: []string{"not"}, Before: notLabel(bn), After: notLabel(hn),
				Message: "values matching the new not schema are no longer accepted"})
		},
	}
}

// notLabel renders a not schema briefly for Before/After.
func notLabel(n *openapi3.SchemaRef) string {
	switch {
	case n == nil:
		return "none"
	case n.Ref != "":
		return "not " + RefName(n.Ref)
	}
	c := Canon(n)
	if len(c) > 60 {
		c = c[:57] + "..."
	}
	return "not " + c
}
