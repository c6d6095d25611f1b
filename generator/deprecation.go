package generator

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/contracts"
)

// deprecationLiterals returns, by operation id, the runtime Deprecation
// literal of every deprecated operation and webhook: deprecated: true,
// with the dates x-deprecated-at and x-sunset give (a date, RFC 3339 or an
// HTTP date). A date that does not parse is left out with a note; the
// operation stays deprecated.
func deprecationLiterals(t *openapi3.T, pols []contracts.OperationPolicy) (map[string]string, []string) {
	out := map[string]string{}
	var notes []string
	for _, p := range pols {
		var item *openapi3.PathItem
		if p.Webhook {
			item = t.Webhooks[p.Path]
		} else if t.Paths != nil {
			item = t.Paths.Value(p.Path)
		}
		if item == nil {
			continue
		}
		op := item.GetOperation(p.Method)
		if op == nil || !op.Deprecated {
			continue
		}
		var fields []string
		for _, d := range []struct{ ext, field string }{{"x-deprecated-at", "Since"}, {"x-sunset", "Sunset"}} {
			raw, ok := op.Extensions[d.ext]
			if !ok {
				continue
			}
			s, _ := raw.(string)
			when, ok := parseDate(s)
			if !ok {
				notes = append(notes, fmt.Sprintf("%s: %s %q is not a date (YYYY-MM-DD, RFC 3339 or an HTTP date); the operation is deprecated without it", p.ID, d.ext, s))
				continue
			}
			fields = append(fields, fmt.Sprintf("%s: time.Unix(%d, 0)", d.field, when.Unix()))
		}
		out[p.ID] = "&" + RuntimeName + ".Deprecation{" + strings.Join(fields, ", ") + "}"
	}
	return out, notes
}

func parseDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{time.DateOnly, time.RFC3339, http.TimeFormat} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
