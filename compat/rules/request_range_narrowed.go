package rules

import "math"

func requestRangeNarrowed() Rule {
	return Rule{
		ID:         "request-range-narrowed",
		Category:   CatConstraint,
		Severity:   Error,
		Profile:    Wire,
		Direction:  Request,
		Summary:    "A request number accepts a smaller range: minimum raised, maximum lowered, a bound made exclusive, or multipleOf tightened.",
		Impact:     "`quantity` maximum went from 1000 to 100: clients ordering 250 items now get 400 Bad Request.",
		Mitigation: "Keep the old range; enforce a new business limit with a clear error only for new clients or a new version.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() || !d.Both(TNumber|TInteger) {
				return
			}
			if bl, hl := d.Base.Lower(), d.Head.Lower(); LowerTighter(hl, bl) {
				r.Report(Hit{At: []string{"minimum"}, Before: renderLower(bl), After: renderLower(hl),
					Message: "minimum raised from " + renderLower(bl) + " to " + renderLower(hl)})
			}
			if bu, hu := d.Base.Upper(), d.Head.Upper(); UpperTighter(hu, bu) {
				r.Report(Hit{At: []string{"maximum"}, Before: renderUpper(bu), After: renderUpper(hu),
					Message: "maximum lowered from " + renderUpper(bu) + " to " + renderUpper(hu)})
			}
			bm, hm := d.Base.Limits().MultipleOf, d.Head.Limits().MultipleOf
			if hm != nil && (bm == nil || !isMultiple(*bm, *hm)) {
				before := "none"
				if bm != nil {
					before = fmtNum(*bm)
				}
				r.Report(Hit{At: []string{"multipleOf"}, Before: before, After: fmtNum(*hm),
					Message: "values must now be a multiple of " + fmtNum(*hm)})
			}
		},
	}
}

// isMultiple reports whether every multiple of a is a multiple of b.
func isMultiple(a, b float64) bool {
	if b == 0 {
		return true
	}
	q := a / b
	return math.Abs(q-math.Round(q)) < 1e-9
}

func renderLower(b Bound) string {
	if !b.Set {
		return "none"
	}
	if b.Exclusive {
		return "> " + b.String()
	}
	return ">= " + b.String()
}

func renderUpper(b Bound) string {
	if !b.Set {
		return "none"
	}
	if b.Exclusive {
		return "< " + b.String()
	}
	return "<= " + b.String()
}

func fmtNum(f float64) string { return Bound{Set: true, Value: f}.String() }
