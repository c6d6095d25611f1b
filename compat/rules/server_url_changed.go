package rules

import "strings"

func serverURLChanged() Rule {
	return Rule{
		ID:        "server-url-changed",
		Category:  CatServer,
		Severity:  Warning,
		Profile:   Wire,
		Direction: None,
		Summary:   "A server URL (host or base path) that clients may be configured with was removed.",
		Impact: "Clients configured with https://api.example.com/v1 keep calling it, but head only lists " +
			"https://api.example.com/v2: if the old base path stops being served, every call fails. It is a warning " +
			"because servers often describe environments rather than promises.",
		Mitigation: "Keep serving the old base URL (or redirect it) and list it in `servers` until clients have moved.",
		Servers: func(d *ServersDiff, r Reporter) {
			if len(d.Base) == 0 || len(d.Head) == 0 {
				return
			}
			for _, u := range d.Base {
				if !containsString(d.Head, u) {
					r.Report(Hit{
						Side:    Base,
						Before:  u,
						After:   strings.Join(d.Head, " "),
						Message: "server " + u + " is no longer listed; head lists " + strings.Join(d.Head, ", "),
					})
				}
			}
		},
	}
}
