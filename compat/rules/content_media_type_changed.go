package rules

func contentMediaTypeChanged() Rule {
	return Rule{
		ID:        "content-media-type-changed",
		Category:  CatType,
		Severity:  Error,
		Profile:   Wire,
		Direction: Both,
		Summary:   "The media type of a string's content (contentMediaType) changed so that what one side writes is not what the other reads.",
		Impact: "`payload` went from `contentMediaType: application/json` to application/xml: clients still embed " +
			"JSON in requests and parse the string in responses as JSON, and both fail. Added to a request it " +
			"narrows what clients may send; removed from a response, readers can no longer count on JSON.",
		Mitigation: "Keep the media type; put content of another type in a new property.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() {
				return
			}
			bm, hm := MediaKey(d.Base.ContentMediaType()), MediaKey(d.Head.ContentMediaType())
			if bm == hm {
				return
			}
			// Requests: a media type now required (or another one) narrows
			// what clients write. Responses: a media type dropped (or
			// another one) breaks what clients read.
			if d.Dir == Request && hm == "" || d.Dir == Response && bm == "" {
				return
			}
			r.Report(Hit{At: []string{"contentMediaType"}, Before: quoteOrNone(bm), After: quoteOrNone(hm),
				Message: "contentMediaType changed from " + quoteOrNone(bm) + " to " + quoteOrNone(hm)})
		},
	}
}
