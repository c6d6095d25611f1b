package generator

import (
	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/contracts"
)

// asyncChecks are the validators of an AsyncAPI package: the same
// accValidator methods the HTTP server's request validation is made of
// (validate.go, validate_schema.go), generated from the payload and
// channel parameter schemas as the contract wrote them.
type asyncChecks struct {
	Validation
	payload map[*contracts.Message]string          // accValidator method, "" when nothing to check
	param   map[*contracts.ChannelParameter]string // for string-typed parameters
}

// buildAsyncValidation must run before prepare() rewrites the schemas for
// oapi-codegen: validation follows the contract, not its Go rendering.
// AsyncAPI payload schemas are JSON Schema, so a schema without a type
// accepts null as 3.1 does.
func buildAsyncValidation(a *contracts.AsyncAPI) asyncChecks {
	g := &validation{
		oas31:    true,
		names:    map[*openapi3.Schema]string{},
		comp:     map[*openapi3.Schema]string{},
		byShape:  map[string]string{},
		taken:    map[string]bool{},
		patterns: map[string]int{},
		out:      Validation{Client: map[string]ClientCheck{}},
	}
	for _, name := range sortedKeys(a.Components.Schemas) {
		if sr := a.Components.Schemas[name]; sr != nil && sr.Value != nil {
			if _, ok := g.comp[sr.Value]; !ok {
				g.comp[sr.Value] = g.unique("s" + identPart(name))
			}
		}
	}
	out := asyncChecks{payload: map[*contracts.Message]string{}, param: map[*contracts.ChannelParameter]string{}}
	for _, op := range a.Operations {
		for _, msg := range op.Messages {
			if msg == nil || msg.Payload == nil || msg.Payload.Value == nil {
				continue
			}
			if _, ok := out.payload[msg]; !ok {
				out.payload[msg] = g.ref(msg.Payload)
			}
		}
		if op.Channel == nil {
			continue
		}
		for _, p := range op.Channel.Parameters {
			// A parameter is a string in the address; a schema of another
			// type (rare in 2.x) would refuse every value, so it is not checked.
			if _, done := out.param[p]; done || p.Schema == nil || p.Schema.Value == nil {
				continue
			}
			if t := p.Schema.Value.Type; t != nil && !t.Is("string") {
				continue
			}
			out.param[p] = g.ref(p.Schema)
		}
	}
	g.finish()
	out.Validation = g.out
	return out
}
