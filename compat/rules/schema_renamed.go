package rules

func schemaRenamed() Rule {
	return Rule{
		ID:        "schema-renamed",
		Category:  CatSDK,
		Severity:  Error,
		Profile:   SDK,
		Direction: Both,
		Summary:   "A schema component was renamed (sdk profile): the wire shape is compared separately, but generated type names change.",
		Impact: "components.schemas.Customer became Client: the JSON is the same, but code using the generated " +
			"`Customer` type no longer compiles after regenerating the SDK.",
		Mitigation: "Keep component names stable; if a rename is needed, keep the old name as an alias component ($ref to the new one).",
		Ref: func(d *RefDiff, r Reporter) {
			if d.BaseNameInHead || d.HeadNameInBase {
				return
			}
			b, h := RefName(d.BaseRef), RefName(d.HeadRef)
			r.Report(Hit{Side: Base, Before: b, After: h,
				Message: "schema " + b + " was renamed to " + h})
		},
	}
}
