package preflight

import (
	"regexp"

	"github.com/accord-dev/accord/contracts"
)

func (s *state) traceIDs() Check {
	return s.generatedHas("trace-ids", "trace ids", []string{"traceparent"},
		"generated clients send a W3C traceparent and servers give every request a trace id",
		"the generated code carries no trace ids")
}

var (
	hooksRe = regexp.MustCompile(`WithHooks\(|\bOnCall\b`)
	otelRe  = regexp.MustCompile(`go\.opentelemetry\.io/otel`)
)

// metricsWired: the generated hooks (or the OpenTelemetry adapter) must be
// connected by the application, or nothing measures what runs.
func (s *state) metricsWired() Check {
	c := Check{ID: "metrics-wired", Title: "metrics hooks or the OpenTelemetry adapter wired"}
	for _, t := range s.generatedTargets() {
		for _, f := range t.gen {
			if regexp.MustCompile(`(?i)otel`).MatchString(f.Name) {
				c.Status, c.Why = Yes, "the OpenTelemetry adapter is generated"
				c.Items = []Item{yes(t.Name, t.outputFile(f.Name))}
				return c
			}
		}
	}
	if where, ok := s.findGo(hooksRe); ok {
		c.Status, c.Why = Yes, "the application passes hooks to the generated code"
		c.Items = []Item{yes("WithHooks / OnCall", where)}
		return c
	}
	if where, ok := s.findGo(otelRe); ok {
		c.Status, c.Why = Yes, "the application uses OpenTelemetry"
		c.Items = []Item{yes("go.opentelemetry.io/otel", where)}
		return c
	}
	c.Status, c.Why = No, "no WithHooks/OnCall in the application's Go code and no OpenTelemetry adapter: calls are not measured"
	return c
}

var (
	healthPath = regexp.MustCompile(`(?i)^/(health|healthz|livez|readyz|ready|status)(/|$)`)
	// WithHealth is the generated server's option that mounts /livez,
	// /healthz and /readyz; a hand-written route counts as well.
	healthGo = regexp.MustCompile(`\bWithHealth\(|"(GET )?/(health|healthz|livez|readyz)"|Health(Handler|Check)\(`)
)

// healthEndpoint asks the application, not the runtime: every generated
// package can serve health endpoints now, so only a server that passes
// WithHealth (or routes one itself, or a contract that declares one) has one.
func (s *state) healthEndpoint() Check {
	c := Check{ID: "health-endpoint", Title: "a health endpoint"}
	if where, ok := s.findGo(healthGo); ok {
		c.Status, c.Why = Yes, "the application serves a health endpoint"
		c.Items = []Item{yes("WithHealth or a health route", where)}
		return c
	}
	for _, t := range s.targets {
		if t.Doc.Kind != contracts.KindOpenAPI || t.Doc.OpenAPI.Paths == nil {
			continue
		}
		for _, p := range t.Doc.OpenAPI.Paths.InMatchingOrder() {
			if healthPath.MatchString(p) {
				c.Status, c.Why = Yes, "the contract declares a health endpoint"
				c.Items = []Item{yes(t.Name+": "+p, t.Doc.Pos(contracts.Pointer("paths", p)).String())}
				return c
			}
		}
	}
	c.Status, c.Why = No, "no health endpoint: the application's Go code passes no WithHealth and routes no /healthz, and no contract declares one"
	return c
}
