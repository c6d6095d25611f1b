package rules

import "sort"

func responseMediaTypeRemoved() Rule {
	return Rule{
		ID:        "response-media-type-removed",
		Category:  CatMedia,
		Severity:  Error,
		Profile:   Wire,
		Direction: Response,
		Summary:   "A media type a response was available in was removed.",
		Impact: "Clients sending `Accept: application/json` get 406 Not Acceptable (or a body in a format they " +
			"cannot parse) because the response is now only `application/xml`.",
		Mitigation: "Keep producing the old media type; add new ones next to it.",
		Content:    mediaRemoved("response media type %s is no longer produced"),
	}
}

// mediaRemoved reports each media type of base that no entry of head serves.
func mediaRemoved(format string) func(*ContentDiff, Reporter) {
	return func(d *ContentDiff, r Reporter) {
		types := make([]string, 0, len(d.Base))
		for mt := range d.Base {
			types = append(types, mt)
		}
		sort.Strings(types)
		for _, mt := range types {
			if _, ok := MatchMedia(mt, d.Head); ok {
				continue
			}
			r.Report(Hit{
				At:      []string{"content", mt},
				Side:    Base,
				Before:  mt,
				Message: sprintf(format, mt),
			})
		}
	}
}
