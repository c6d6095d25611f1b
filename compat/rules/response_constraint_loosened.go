package rules

func responseConstraintLoosened() Rule {
	return Rule{
		ID:        "response-constraint-loosened",
		Category:  CatConstraint,
		Severity:  Warning,
		Profile:   Wire,
		Direction: Response,
		Summary:   "A response value may fall outside limits it used to respect (minimum, maximum, length, item count, pattern).",
		Impact: "`code` maxLength went from 8 to 32: a client storing it in a CHAR(8) column or a fixed buffer now " +
			"truncates or fails. A warning: most clients do not rely on response limits.",
		Mitigation: "Keep the old limits in responses, or introduce the longer value in a new property.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() {
				return
			}
			b, h := d.Base, d.Head
			report := func(kw, before, after string) {
				r.Report(Hit{At: []string{kw}, Before: before, After: after,
					Message: kw + " loosened from " + before + " to " + after})
			}
			if d.Both(TNumber | TInteger) {
				if bl, hl := b.Lower(), h.Lower(); LowerTighter(bl, hl) {
					report("minimum", renderLower(bl), renderLower(hl))
				}
				if bu, hu := b.Upper(), h.Upper(); UpperTighter(bu, hu) {
					report("maximum", renderUpper(bu), renderUpper(hu))
				}
			}
			bl, hl := b.Limits(), h.Limits()
			if d.Both(TString) {
				if bl.MinLength > hl.MinLength {
					report("minLength", fmtCount(bl.MinLength), fmtCount(hl.MinLength))
				}
				if maxTighter(bl.MaxLength, hl.MaxLength) {
					report("maxLength", fmtMax(bl.MaxLength), fmtMax(hl.MaxLength))
				}
				if bp, hp := b.Pattern(), h.Pattern(); bp != "" && bp != hp {
					report("pattern", bp, quoteOrNone(hp))
				}
			}
			if d.Both(TArray) {
				if bl.MinItems > hl.MinItems {
					report("minItems", fmtCount(bl.MinItems), fmtCount(hl.MinItems))
				}
				if maxTighter(bl.MaxItems, hl.MaxItems) {
					report("maxItems", fmtMax(bl.MaxItems), fmtMax(hl.MaxItems))
				}
			}
		},
	}
}
