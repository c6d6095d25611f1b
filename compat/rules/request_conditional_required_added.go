package rules

func requestConditionalRequiredAdded() Rule {
	return Rule{
		ID:        "request-conditional-required-added",
		Category:  CatRequirement,
		Severity:  Error,
		Profile:   Wire,
		Direction: Request,
		Summary:   "A request property is now required under an if/then/else condition.",
		Impact: "`if: {properties: {kind: {const: business}}}, then: {required: [vat_id]}` was added: an `if` that " +
			"requires none of its properties passes for every request without `kind`, so vat_id became required " +
			"for those clients too, not only for businesses, and their requests get 400 Bad Request.",
		Mitigation: "Add `required: [kind]` to the `if` so it only applies when the condition is really met, and default the new value on the server for old clients.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() || !d.Both(TObject) {
				return
			}
			hc, ok := d.Head.Conditional()
			if !ok {
				return
			}
			bc, bok := d.Base.Conditional()
			same := bok && Canon(bc.If) == Canon(hc.If)
			for _, br := range []struct {
				kw         string
				head, base []string
			}{
				{"then", requiredOf(hc.Then), pick(same, requiredOf(bc.Then))},
				{"else", requiredOf(hc.Else), pick(same, requiredOf(bc.Else))},
			} {
				for _, n := range br.head {
					if containsString(br.base, n) || d.Base.Requires(n) {
						continue
					}
					msg := n + " is now required when the if schema " + map[string]string{"then": "passes", "else": "fails"}[br.kw]
					if br.kw == "then" && hc.Vacuous() {
						msg += " (and it passes for every object without its properties: effectively required)"
					}
					r.Report(Hit{At: []string{br.kw, "required"}, Before: "optional", After: n + " required (" + br.kw + ")",
						Message: msg})
				}
			}
		},
	}
}

func pick(ok bool, xs []string) []string {
	if !ok {
		return nil
	}
	return xs
}
