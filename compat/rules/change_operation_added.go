package rules

func operationAdded() Rule {
	return Rule{
		ID:         "operation-added",
		Category:   CatAddition,
		Severity:   Info,
		Profile:    Wire,
		Direction:  None,
		Summary:    "A new operation (OpenAPI method + path, webhook, callback; AsyncAPI action on a channel) was added.",
		Impact:     "Nothing breaks: POST /v1/refunds is now available to clients that want it.",
		Mitigation: "Nothing to mitigate; announce it so partners can adopt it.",
		Operation: func(d *OperationDiff, r Reporter) {
			if d.Base != nil || d.Head == nil {
				return
			}
			r.Report(Hit{After: d.Key, Message: "new operation " + d.Key})
		},
	}
}
