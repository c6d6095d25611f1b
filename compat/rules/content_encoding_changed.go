package rules

import "strings"

func contentEncodingChanged() Rule {
	return Rule{
		ID:        "content-encoding-changed",
		Category:  CatType,
		Severity:  Error,
		Profile:   Wire,
		Direction: Both,
		Summary:   "A string's contentEncoding (base64, base32, quoted-printable, ...) was added, removed or changed.",
		Impact: "`document` went from `contentEncoding: base64` to base32 (or to raw text): clients keep encoding " +
			"what they send the old way and decoding what they read the old way, and every byte they exchange is " +
			"garbled.",
		Mitigation: "Keep the encoding; carry the other encoding in a new property.",
		Schema: func(d *SchemaDiff, r Reporter) {
			if !d.Full() {
				return
			}
			be, he := strings.ToLower(d.Base.ContentEncoding()), strings.ToLower(d.Head.ContentEncoding())
			if be == he {
				return
			}
			r.Report(Hit{At: []string{"contentEncoding"}, Before: quoteOrNone(be), After: quoteOrNone(he),
				Message: "contentEncoding changed from " + quoteOrNone(be) + " to " + quoteOrNone(he)})
		},
	}
}
