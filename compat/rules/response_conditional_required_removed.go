package rules

func responseConditionalRequiredRemoved() Rule {
	return Rule{
		ID:        "response-conditional-required-removed",
		Category:  CatRemoval,
		Severity:  Error,
		Profile:   Wire,
		Direction: Response,
		Summary:   "A response property required under an if/then/else condition is no longer promised.",
		Impact: "`then: {required: [vat_id]}` under `if: {properties: {kind: {const: business}}}` was dropped: " +
			"clients reading the VAT id of every business meet responses without it.",
		Mitigation: "Keep the conditional requirement in responses, or require the property outright.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() || !d.Both(TObject) {
				return
			}
			bc, ok := d.Base.Conditional()
			if !ok {
				return
			}
			hc, hok := d.Head.Conditional()
			same := hok && Canon(bc.If) == Canon(hc.If)
			for _, br := range []struct {
				kw         string
				base, head []string
			}{
				{"then", requiredOf(bc.Then), pick(same, requiredOf(hc.Then))},
				{"else", requiredOf(bc.Else), pick(same, requiredOf(hc.Else))},
			} {
				for _, n := range br.base {
					if containsString(br.head, n) || d.Head.Requires(n) {
						continue
					}
					r.Report(Hit{At: []string{br.kw, "required"}, Side: Base, Before: n + " required (" + br.kw + ")", After: "optional",
						Message: n + " is no longer promised under the if/" + br.kw + " condition"})
				}
			}
		},
	}
}
