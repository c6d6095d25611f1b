package rules

import (
	"sort"
	"strings"
)

func securityRequirementAdded() Rule {
	return Rule{
		ID:        "security-requirement-added",
		Category:  CatSecurity,
		Severity:  Error,
		Profile:   Wire,
		Direction: None,
		Summary:   "An operation's security became stricter: a scheme or scope is now required that some accepted credentials lack.",
		Impact: "A client that called GET /v1/reports anonymously, or with an API key alone, now gets 401 Unauthorized " +
			"because the operation requires OAuth (or an extra scope, or both schemes instead of either).",
		Mitigation: "Keep the old way to authenticate as an alternative (another entry of the `security` list) until " +
			"clients have migrated; announce the new requirement with a date.",
		Security: func(d *SecurityDiff, r Reporter) {
			if len(d.Head) == 0 {
				return // no security now: everything is accepted
			}
			base := d.Base
			if len(base) == 0 {
				base = []Requirement{{}} // anonymous access
			}
			for _, alt := range base {
				if !satisfiedBy(alt, d.Head) {
					r.Report(Hit{
						Before:  RenderSecurity(d.Base),
						After:   RenderSecurity(d.Head),
						Message: "clients authenticating with " + renderRequirement(alt) + " are no longer accepted; head requires " + RenderSecurity(d.Head),
					})
					return
				}
			}
		},
	}
}

// satisfiedBy reports whether credentials meeting alt meet one of head's
// alternatives: each scheme it names is in alt, with no scope alt lacks.
func satisfiedBy(alt Requirement, head []Requirement) bool {
	for _, h := range head {
		ok := true
		for scheme, scopes := range h {
			have, found := alt[scheme]
			if !found {
				ok = false
				break
			}
			for _, s := range scopes {
				if !containsString(have, s) {
					ok = false
					break
				}
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// RenderSecurity renders a list of alternatives: "{api_key} | {oauth[read]}";
// "none" when empty.
func RenderSecurity(reqs []Requirement) string {
	if len(reqs) == 0 {
		return "none"
	}
	parts := make([]string, len(reqs))
	for i, r := range reqs {
		parts[i] = renderRequirement(r)
	}
	sort.Strings(parts)
	return strings.Join(parts, " | ")
}

func renderRequirement(r Requirement) string {
	if len(r) == 0 {
		return "{} (anonymous)"
	}
	names := make([]string, 0, len(r))
	for name, scopes := range r {
		if len(scopes) > 0 {
			s := append([]string(nil), scopes...)
			sort.Strings(s)
			name += "[" + strings.Join(s, " ") + "]"
		}
		names = append(names, name)
	}
	sort.Strings(names)
	return "{" + strings.Join(names, " + ") + "}"
}
