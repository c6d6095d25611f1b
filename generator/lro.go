package generator

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/contracts"
)

// longRunning returns the ids of the operations whose 202 answer names a
// status resource in a Location header: their clients get a typed wait
// (<GoName>Wait) that polls it to a terminal state.
func longRunning(t *openapi3.T, pols []contracts.OperationPolicy) map[string]bool {
	out := map[string]bool{}
	for _, p := range pols {
		if p.Webhook || t.Paths == nil {
			continue
		}
		item := t.Paths.Value(p.Path)
		if item == nil {
			continue
		}
		op := item.GetOperation(p.Method)
		if op == nil || op.Responses == nil {
			continue
		}
		accepted := op.Responses.Value("202")
		if accepted == nil || accepted.Value == nil {
			continue
		}
		for name := range accepted.Value.Headers {
			if strings.EqualFold(name, "Location") {
				out[p.ID] = true
			}
		}
	}
	return out
}

func (m *Model) hasLongRunning() bool {
	for _, op := range m.Operations {
		if op.LongRunning {
			return true
		}
	}
	return false
}
