package rules

func requestLengthNarrowed() Rule {
	return Rule{
		ID:         "request-length-narrowed",
		Category:   CatConstraint,
		Severity:   Error,
		Profile:    Wire,
		Direction:  Request,
		Summary:    "A request string accepts fewer lengths: minLength raised or maxLength lowered (or added).",
		Impact:     "`name` maxLength went from 255 to 64: clients sending a 100-character company name get 400 Bad Request.",
		Mitigation: "Keep the old limits; truncate or reject long values only for new clients.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() || !d.Both(TString) {
				return
			}
			bl, hl := d.Base.Limits(), d.Head.Limits()
			if hl.MinLength > bl.MinLength {
				r.Report(Hit{At: []string{"minLength"}, Before: fmtCount(bl.MinLength), After: fmtCount(hl.MinLength),
					Message: "minLength raised from " + fmtCount(bl.MinLength) + " to " + fmtCount(hl.MinLength)})
			}
			if maxTighter(hl.MaxLength, bl.MaxLength) {
				r.Report(Hit{At: []string{"maxLength"}, Before: fmtMax(bl.MaxLength), After: fmtMax(hl.MaxLength),
					Message: "maxLength lowered from " + fmtMax(bl.MaxLength) + " to " + fmtMax(hl.MaxLength)})
			}
		},
	}
}

// maxTighter reports whether maximum a admits less than b (nil is no maximum).
func maxTighter(a, b *uint64) bool {
	return a != nil && (b == nil || *a < *b)
}

func fmtCount(n uint64) string { return fmtNum(float64(n)) }

func fmtMax(p *uint64) string {
	if p == nil {
		return "none"
	}
	return fmtCount(*p)
}
