package rules

func channelAddressChanged() Rule {
	return Rule{
		ID:         "channel-address-changed",
		Category:   CatRemoval,
		Severity:   Error,
		Profile:    Wire,
		Direction:  None,
		Summary:    "An AsyncAPI channel's address (topic, queue, routing key) changed.",
		Impact:     "The channel `orderCreated` moved from topic `orders.created` to `orders.v2.created`: consumers still subscribed to the old topic receive nothing.",
		Mitigation: "Publish to both addresses during a migration window, or add the new channel next to the old one.",
		Channel: func(d *ChannelDiff, r Reporter) {
			if d.Base == nil || d.Head == nil || d.Base.Address == d.Head.Address {
				return
			}
			r.Report(Hit{At: []string{"address"}, Before: d.Base.Address, After: d.Head.Address,
				Message: "channel " + d.Head.Key + " address changed from " + quoteOrNone(d.Base.Address) + " to " + quoteOrNone(d.Head.Address)})
		},
	}
}
