package rules

import "github.com/getkin/kin-openapi/openapi3"

func operationRemoved() Rule {
	return Rule{
		ID:        "operation-removed",
		Category:  CatRemoval,
		Severity:  Error,
		Profile:   Wire,
		Direction: None,
		Summary:   "An operation (OpenAPI method + path, webhook, callback; AsyncAPI action on a channel) was removed.",
		Impact: "A client calling DELETE /v1/orders/{id} now gets 404 or 405; a consumer of the `send orders/created` " +
			"operation stops receiving events it depends on.",
		Mitigation: "Mark the operation `deprecated: true` with an `x-sunset` date and remove it after that date, " +
			"or keep it working next to its replacement.",
		Operation: func(d *OperationDiff, r Reporter) {
			if d.Base == nil || d.Head != nil {
				return
			}
			if _, early := sunsetAhead(d); early {
				return // removed-before-sunset says it, with the date
			}
			r.Report(Hit{
				Side:    Base,
				Before:  d.Key,
				Message: "operation " + d.Key + " was removed",
				Sunset:  SunsetOf(d.Base.Deprecated, d.Base.Extensions),
			})
		},
	}
}

// pathSunset is the sunset of a removed path: the latest x-sunset of its
// operations when every one of them was deprecated with one, else "".
func pathSunset(item *openapi3.PathItem) string {
	latest := ""
	for _, op := range item.Operations() {
		s := SunsetOf(op.Deprecated, op.Extensions)
		if s == "" {
			return ""
		}
		if s > latest {
			latest = s
		}
	}
	return latest
}
