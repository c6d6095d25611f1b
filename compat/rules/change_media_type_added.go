package rules

import "sort"

func mediaTypeAdded() Rule {
	return Rule{
		ID:        "media-type-added",
		Category:  CatAddition,
		Severity:  Info,
		Profile:   Wire,
		Direction: Both,
		Summary:   "A request body or response is offered in a media type it was not before.",
		Impact:    "Nothing breaks: clients may now send or ask for `application/x-www-form-urlencoded` next to JSON.",
		Mitigation: "Nothing to mitigate; responses in the new type should only be sent to clients that ask " +
			"for it (Accept).",
		Content: func(d *ContentDiff, r Reporter) {
			var mts []string
			for mt := range d.Head {
				if _, ok := MatchMedia(mt, d.Base); !ok {
					mts = append(mts, mt)
				}
			}
			sort.Strings(mts)
			for _, mt := range mts {
				r.Report(Hit{At: []string{"content", mt}, After: mt, Message: "new media type " + mt})
			}
		},
	}
}
