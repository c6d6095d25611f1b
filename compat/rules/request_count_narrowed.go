package rules

func requestCountNarrowed() Rule {
	return Rule{
		ID:         "request-count-narrowed",
		Category:   CatConstraint,
		Severity:   Error,
		Profile:    Wire,
		Direction:  Request,
		Summary:    "A request array or map accepts fewer sizes (minItems/maxItems, minProperties/maxProperties) or now requires unique items.",
		Impact:     "`line_items` maxItems went from 100 to 20: clients submitting a 30-line invoice get 400 Bad Request.",
		Mitigation: "Keep the old limits; page or split large inputs on the server.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() {
				return
			}
			bl, hl := d.Base.Limits(), d.Head.Limits()
			if d.Both(TArray) {
				if hl.MinItems > bl.MinItems {
					r.Report(Hit{At: []string{"minItems"}, Before: fmtCount(bl.MinItems), After: fmtCount(hl.MinItems),
						Message: "minItems raised from " + fmtCount(bl.MinItems) + " to " + fmtCount(hl.MinItems)})
				}
				if maxTighter(hl.MaxItems, bl.MaxItems) {
					r.Report(Hit{At: []string{"maxItems"}, Before: fmtMax(bl.MaxItems), After: fmtMax(hl.MaxItems),
						Message: "maxItems lowered from " + fmtMax(bl.MaxItems) + " to " + fmtMax(hl.MaxItems)})
				}
				if hl.UniqueItems && !bl.UniqueItems {
					r.Report(Hit{At: []string{"uniqueItems"}, Before: "false", After: "true",
						Message: "items must now be unique"})
				}
			}
			if d.Both(TObject) {
				if hl.MinProps > bl.MinProps {
					r.Report(Hit{At: []string{"minProperties"}, Before: fmtCount(bl.MinProps), After: fmtCount(hl.MinProps),
						Message: "minProperties raised from " + fmtCount(bl.MinProps) + " to " + fmtCount(hl.MinProps)})
				}
				if maxTighter(hl.MaxProps, bl.MaxProps) {
					r.Report(Hit{At: []string{"maxProperties"}, Before: fmtMax(bl.MaxProps), After: fmtMax(hl.MaxProps),
						Message: "maxProperties lowered from " + fmtMax(bl.MaxProps) + " to " + fmtMax(hl.MaxProps)})
				}
			}
		},
	}
}
