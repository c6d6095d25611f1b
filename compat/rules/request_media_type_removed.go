package rules

func requestMediaTypeRemoved() Rule {
	return Rule{
		ID:         "request-media-type-removed",
		Category:   CatMedia,
		Severity:   Error,
		Profile:    Wire,
		Direction:  Request,
		Summary:    "A media type clients send a request body in is no longer accepted.",
		Impact:     "Clients POSTing `application/x-www-form-urlencoded` now get 415 Unsupported Media Type because only `application/json` is accepted.",
		Mitigation: "Keep accepting the old media type next to the new one.",
		Content:    mediaRemoved("request body media type %s is no longer accepted"),
	}
}
