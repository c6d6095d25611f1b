package rules

func messageContentTypeChanged() Rule {
	return Rule{
		ID:         "message-content-type-changed",
		Category:   CatMedia,
		Severity:   Error,
		Profile:    Wire,
		Direction:  None,
		Summary:    "An AsyncAPI message's content type changed.",
		Impact:     "`OrderCreated` is now sent as application/avro instead of application/json: consumers' JSON decoders fail on every message.",
		Mitigation: "Keep the content type; publish the new encoding as a new message or on a new channel.",
		Message: func(d *MessageDiff, r Reporter) {
			if d.Base == nil || d.Head == nil {
				return
			}
			b, h := MediaKey(d.Base.ContentType), MediaKey(d.Head.ContentType)
			if b == "" || h == "" || b == h {
				return
			}
			r.Report(Hit{At: []string{"contentType"}, Before: b, After: h,
				Message: "message " + MessageName(d.Head) + " content type changed from " + b + " to " + h})
		},
	}
}
