package rules

func stabilityLowered() Rule {
	return Rule{
		ID:        "stability-lowered",
		Category:  CatLifecycle,
		Severity:  Error,
		Profile:   Wire,
		Direction: None,
		Summary:   "An operation's x-stability-level was lowered (stable > beta > alpha > draft).",
		Impact: "Partners built on a `stable` operation on the promise that it only changes compatibly; as `beta` " +
			"it may now change or vanish without notice, and they never agreed to that.",
		Mitigation: "Keep the level, and publish the experimental variant as a new operation at the lower level.",
		Operation: func(d *OperationDiff, r Reporter) {
			if d.Base == nil || d.Head == nil {
				return
			}
			b, bl, bok := StabilityRank(d.Base.Extensions)
			h, hl, hok := StabilityRank(d.Head.Extensions)
			if !bok || !hok || h >= b {
				return
			}
			r.Report(Hit{At: []string{"x-stability-level"}, Before: bl, After: hl,
				Message: "operation " + d.Key + " x-stability-level lowered from " + bl + " to " + hl})
		},
	}
}
