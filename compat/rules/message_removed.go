package rules

func messageRemoved() Rule {
	return Rule{
		ID:        "message-removed",
		Category:  CatRemoval,
		Severity:  Error,
		Profile:   Wire,
		Direction: None,
		Summary:   "An AsyncAPI operation no longer carries a message it used to.",
		Impact: "The application stops sending `OrderCancelled` on `orders` (consumers waiting for it never see it), or " +
			"stops accepting it (producers' messages are rejected or dropped).",
		Mitigation: "Keep the message on the operation until consumers and producers have moved to its replacement.",
		Message: func(d *MessageDiff, r Reporter) {
			if d.Base == nil || d.Head != nil {
				return
			}
			name := MessageName(d.Base)
			r.Report(Hit{Side: Base, Before: name, Message: "message " + name + " was removed",
				Sunset: SunsetOf(d.Base.Extensions["deprecated"] == true, d.Base.Extensions)})
		},
	}
}
