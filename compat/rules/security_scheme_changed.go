package rules

import (
	"sort"
	"strings"
)

func securitySchemeChanged() Rule {
	return Rule{
		ID:        "security-scheme-changed",
		Category:  CatSecurity,
		Severity:  Error,
		Profile:   Wire,
		Direction: None,
		Summary:   "A security scheme that operations require was removed or changed how credentials are sent or obtained.",
		Impact: "Clients send the API key in header X-API-Key but the scheme now reads it from query parameter api_key " +
			"(or the OAuth token URL moved, or basic became bearer): every authenticated call fails with 401.",
		Mitigation: "Add the new scheme next to the old one and list both as alternatives in `security`; retire the " +
			"old scheme after clients have moved.",
		Scheme: func(d *SchemeDiff, r Reporter) {
			b, h := d.Base, d.Head
			if b == nil {
				return
			}
			if h == nil {
				r.Report(Hit{Side: Base, Before: d.Name, Message: "security scheme " + d.Name + " was removed"})
				return
			}
			var changes []string
			diff := func(what, before, after string) {
				if before != after {
					changes = append(changes, what+" "+quoteOrNone(before)+" -> "+quoteOrNone(after))
				}
			}
			diff("type", b.Type, h.Type)
			diff("in", b.In, h.In)
			if strings.EqualFold(b.In, "header") && strings.EqualFold(h.In, "header") {
				diff("name", strings.ToLower(b.Name), strings.ToLower(h.Name))
			} else {
				diff("name", b.Name, h.Name)
			}
			diff("scheme", b.HTTPScheme, h.HTTPScheme)
			diff("openIdConnectUrl", b.OpenIDConnectURL, h.OpenIDConnectURL)
			flows := make([]string, 0, len(b.Flows))
			for f := range b.Flows {
				flows = append(flows, f)
			}
			sort.Strings(flows)
			for _, f := range flows {
				bf := b.Flows[f]
				hf, ok := h.Flows[f]
				if !ok {
					changes = append(changes, "flow "+f+" removed")
					continue
				}
				diff(f+".authorizationUrl", bf.AuthorizationURL, hf.AuthorizationURL)
				diff(f+".tokenUrl", bf.TokenURL, hf.TokenURL)
			}
			if len(changes) == 0 {
				return
			}
			r.Report(Hit{
				Before:  d.Name,
				After:   strings.Join(changes, "; "),
				Message: "security scheme " + d.Name + " changed: " + strings.Join(changes, "; "),
			})
		},
	}
}

func quoteOrNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
