package rules

func messageAdded() Rule {
	return Rule{
		ID:        "message-added",
		Category:  CatAddition,
		Severity:  Info,
		Profile:   Wire,
		Direction: None,
		Summary:   "A channel may carry a message it did not carry before.",
		Impact: "Nothing breaks for producers; consumers that reject unknown message types should learn the new " +
			"`OrderRefunded` message before it is sent.",
		Mitigation: "Announce the message before sending it, so that strict consumers can add a handler.",
		Channel: func(d *ChannelDiff, r Reporter) {
			if d.Base == nil || d.Head == nil {
				return
			}
			had := map[string]bool{}
			for _, m := range d.Base.Messages {
				if m != nil {
					had[MessageName(m)] = true
				}
			}
			for _, m := range d.Head.Messages {
				if m == nil || had[MessageName(m)] {
					continue
				}
				had[MessageName(m)] = true
				at := []string{"messages"}
				if m.Key != "" {
					at = append(at, m.Key)
				}
				r.Report(Hit{At: at, After: MessageName(m), Message: "new message " + MessageName(m)})
			}
		},
	}
}
