package rules

func channelRemoved() Rule {
	return Rule{
		ID:        "channel-removed",
		Category:  CatRemoval,
		Severity:  Error,
		Profile:   Wire,
		Direction: None,
		Summary:   "An AsyncAPI channel was removed with its operations.",
		Impact: "Consumers subscribed to `orders.created` stop receiving events and producers publishing there are no " +
			"longer read: both sides silently lose messages.",
		Mitigation: "Keep the channel (and keep publishing or consuming on it) until every consumer and producer has moved.",
		Channel: func(d *ChannelDiff, r Reporter) {
			if d.Base == nil || d.Head != nil {
				return
			}
			name := d.Base.Address
			if name == "" {
				name = d.Base.Key
			}
			r.Report(Hit{Side: Base, Before: name, Message: "channel " + name + " was removed"})
		},
	}
}
