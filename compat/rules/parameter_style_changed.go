package rules

import "github.com/getkin/kin-openapi/openapi3"

func parameterStyleChanged() Rule {
	return Rule{
		ID:        "parameter-style-changed",
		Category:  CatType,
		Severity:  Error,
		Profile:   Wire,
		Direction: Request,
		Summary:   "A parameter's serialisation (style or explode) changed in a way that changes what goes on the wire.",
		Impact: "Clients send `?ids=1&ids=2` (form, explode) but the server now parses `?ids=1,2` (explode: false): " +
			"it sees one malformed value, or only the last one, and the request fails or silently loses data.",
		Mitigation: "Keep the old style and explode; if a new format is needed, accept it under a new parameter name.",
		Parameter: func(d *ParameterDiff, r Reporter) {
			if d.Base == nil || d.Head == nil {
				return
			}
			bs, be := effectiveStyle(d.Base.In, d.Base.Style, d.Base.Explode)
			hs, he := effectiveStyle(d.Head.In, d.Head.Style, d.Head.Explode)
			composite := isComposite(d.BaseSchema) || isComposite(d.HeadSchema)
			switch {
			case bs != hs && (composite || !plainStyle(bs) || !plainStyle(hs)):
				r.Report(Hit{At: []string{"style"}, Before: bs, After: hs,
					Message: d.Head.In + " parameter " + d.Head.Name + " style changed from " + bs + " to " + hs})
			case be != he && composite:
				r.Report(Hit{At: []string{"explode"}, Before: boolWord(be), After: boolWord(he),
					Message: d.Head.In + " parameter " + d.Head.Name + " explode changed from " + boolWord(be) + " to " + boolWord(he)})
			}
		},
	}
}

// effectiveStyle applies OpenAPI's defaults: form for query and cookie,
// simple for path and header; explode defaults to true only for form.
func effectiveStyle(in, style string, explode *bool) (string, bool) {
	if style == "" {
		style = "simple"
		if in == "query" || in == "cookie" {
			style = "form"
		}
	}
	if explode != nil {
		return style, *explode
	}
	return style, style == "form"
}

// plainStyle: styles that serialise a single primitive value the same way.
func plainStyle(s string) bool { return s == "form" || s == "simple" }

// isComposite: arrays and objects are the values whose serialisation the
// style and explode settings change.
func isComposite(s *openapi3.Schema) bool {
	if s == nil {
		return false
	}
	return NewView(&openapi3.SchemaRef{Value: s}, nil).Types&(TArray|TObject) != 0
}

func boolWord(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
