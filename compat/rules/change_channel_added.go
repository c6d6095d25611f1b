package rules

func channelAdded() Rule {
	return Rule{
		ID:         "channel-added",
		Category:   CatAddition,
		Severity:   Info,
		Profile:    Wire,
		Direction:  None,
		Summary:    "A new AsyncAPI channel (topic, queue, subject) was added, with the operations on it.",
		Impact:     "Nothing breaks: consumers may subscribe to `orders.refunded`, producers may publish to it.",
		Mitigation: "Nothing to mitigate; announce it with the messages the channel carries.",
		Channel: func(d *ChannelDiff, r Reporter) {
			if d.Base != nil || d.Head == nil {
				return
			}
			addr := d.Head.Address
			if addr == "" {
				addr = d.Head.Key
			}
			r.Report(Hit{After: addr, Message: "new channel " + addr})
		},
	}
}
