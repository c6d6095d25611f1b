package rules

func operationIDChanged() Rule {
	return Rule{
		ID:        "operation-id-changed",
		Category:  CatSDK,
		Severity:  Error,
		Profile:   SDK,
		Direction: None,
		Summary:   "An operation's operationId changed (sdk profile).",
		Impact: "The wire is unchanged, but generated clients name methods after operationId: code calling " +
			"client.GetOrder(ctx, id) no longer compiles once the SDK is regenerated with GetOrderById.",
		Mitigation: "Keep operationIds stable; rename only in a major version of the SDK, or keep the old name " +
			"through an SDK-level alias (for example an `x-` extension your generator reads).",
		Operation: func(d *OperationDiff, r Reporter) {
			if d.Base == nil || d.Head == nil || d.Base.ID == "" || d.Head.ID == "" || d.Base.ID == d.Head.ID {
				return
			}
			r.Report(Hit{
				At:      []string{"operationId"},
				Before:  d.Base.ID,
				After:   d.Head.ID,
				Message: "operationId of " + d.Key + " changed from " + d.Base.ID + " to " + d.Head.ID,
			})
		},
	}
}
