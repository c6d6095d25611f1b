package rules

func requestPropertyRequiredAdded() Rule {
	return Rule{
		ID:         "request-property-required-added",
		Category:   CatRequirement,
		Severity:   Error,
		Profile:    Wire,
		Direction:  Request,
		Summary:    "A new required property was added to a request object (or a readOnly one became writable and required).",
		Impact:     "Clients creating an order do not send the new `currency` field, so every POST /v1/orders now fails with 400 Bad Request.",
		Mitigation: "Add the property as optional with a server-side default; require it only in a new major version.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Both(TObject) {
				return
			}
			newlyRequired(d, func(name string, existed bool) {
				if !existed {
					r.Report(Hit{Prop: name, After: name, Message: "new required property " + name})
				}
			})
		},
	}
}

// newlyRequired calls fn for each property clients must now send and did not
// have to before; existed says whether clients could already send it.
// readOnly properties are not sent by clients, so they never count.
func newlyRequired(d *SchemaDiff, fn func(name string, existed bool)) {
	seen := map[string]bool{}
	d.Head.OwnRequired(func(name string) {
		if seen[name] {
			return
		}
		seen[name] = true
		if hp, ok := d.Head.Prop(name); ok && !hp.In(Request) {
			return
		}
		bp, bok := d.Base.Prop(name)
		present := bok && bp.In(Request)
		if d.Base.Requires(name) && (present || !bok) {
			return
		}
		fn(name, present)
	})
}
