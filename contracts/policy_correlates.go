package contracts

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// The webhook correlation block of x-accord (correlates), read by the
// webhook inbox (templates/runtime/webhook_*.go, generator/webhook_inbox.go).

// DefaultCorrelationDeadline is how long either side of a correlation
// waits for the other when the contract gives no deadline.
const DefaultCorrelationDeadline = 60 * time.Second

// Correlation is a webhook's x-accord correlates: the API call the webhook
// follows and where both carry the value that ties them.
//
//	correlates:
//	  operation: createPayment            # the call the webhook follows
//	  event: $request.body#/payment_id    # where the webhook carries the call's value
//	  response: $response.body#/id        # where the call's response carries it
//	  deadline: 60s                       # how long either side waits for the other
type Correlation struct {
	Operation string
	// Event and Response are runtime expressions: Event is
	// $request.body#/<pointer> (also written $message.payload#/<pointer>)
	// or $request.header.<name>; Response is $response.body#/<pointer> or
	// $response.header.<name>.
	Event, Response string
	Deadline        time.Duration
	Pos             Position
}

// CorrelationLocation is a parsed correlation expression: a JSON pointer
// into the body, or (Header set) a header name.
type CorrelationLocation struct {
	Pointer, Header string
}

// ParseCorrelationLocation reads a correlates expression; side is
// "request" for event, "response" for response.
func ParseCorrelationLocation(expr, side string) (CorrelationLocation, bool) {
	bodies := []string{"$" + side + ".body#"}
	if side == "request" {
		bodies = append(bodies, "$message.payload#")
	}
	for _, b := range bodies {
		if ptr, ok := strings.CutPrefix(expr, b); ok && (ptr == "" || strings.HasPrefix(ptr, "/")) {
			return CorrelationLocation{Pointer: ptr}, true
		}
	}
	if name, ok := strings.CutPrefix(expr, "$"+side+".header."); ok && name != "" && !strings.ContainsAny(name, " \t:\r\n") {
		return CorrelationLocation{Header: name}, true
	}
	return CorrelationLocation{}, false
}

func (pp *policyParser) correlates(v any, at string) *Correlation {
	m, ok := v.(map[string]any)
	if !ok {
		pp.errorf(at, "policy-bad-value", "correlates must be a mapping like {operation: createPayment, event: $request.body#/payment_id, response: $response.body#/id, deadline: 60s}, not %s", describe(v))
		return nil
	}
	c := &Correlation{Deadline: DefaultCorrelationDeadline, Pos: pp.pos(at)}
	bad := false
	for _, k := range sortedKeys(m) {
		kat := at + "/" + escapePointerToken(k)
		str, isStr := m[k].(string)
		switch k {
		case "operation":
			if !isStr || str == "" {
				pp.errorf(kat, "policy-bad-value", "correlates.operation must name the operationId of the call the webhook follows, not %s", describe(m[k]))
				bad = true
			}
			c.Operation = str
		case "event", "response":
			side := map[string]string{"event": "request", "response": "response"}[k]
			if _, ok := ParseCorrelationLocation(str, side); !isStr || !ok {
				pp.errorf(kat, "policy-bad-value", "correlates.%s must be $%s.body#/<pointer> or $%s.header.<name>, not %s", k, side, side, describe(m[k]))
				bad = true
			}
			if k == "event" {
				c.Event = str
			} else {
				c.Response = str
			}
		case "deadline":
			if d := pp.duration(m[k], kat, "correlates.deadline", false); d != nil {
				c.Deadline = *d
			} else {
				bad = true
			}
		default:
			pp.unknown(kat, "correlates."+k, []string{"operation", "event", "response", "deadline"})
			bad = true
		}
	}
	for _, req := range []struct{ name, val string }{{"operation", c.Operation}, {"event", c.Event}, {"response", c.Response}} {
		if req.val == "" && !bad {
			pp.errorf(at, "policy-bad-value", "correlates needs %s (operation, event and response are required)", req.name)
			bad = true
		}
	}
	if bad {
		return nil
	}
	return c
}

// checkCorrelations: correlates belongs on a webhook whose inbox is on,
// and names a path operation of the contract.
func checkCorrelations(ops []OperationPolicy, byID map[string]*OperationPolicy) []Problem {
	var problems []Problem
	seen := map[string]bool{}
	for _, op := range ops {
		c := op.Policy.Correlates
		if c == nil {
			continue
		}
		pos := c.Pos
		if pos == (Position{}) {
			pos = op.Pos
		}
		var code, msg, hint string
		target, ok := byID[c.Operation]
		switch {
		case !op.Webhook:
			code, msg, hint = "policy-correlates-not-webhook", "x-accord correlates applies to webhooks only", "put correlates on the webhook that follows the call"
		case op.Policy.NoInbox:
			code, msg, hint = "policy-correlates-without-inbox", "x-accord correlates needs the inbox (inbox is false)", "remove inbox: false; a correlated event waits in the inbox for its call's response"
		case !ok:
			code, msg, hint = "policy-unknown-correlates", fmt.Sprintf("x-accord correlates.operation %q names no operation of this contract", c.Operation), "name the operationId of the call the webhook follows"
			if near := closest(c.Operation, slices.Sorted(maps.Keys(byID))); near != "" {
				hint = "did you mean " + near + "? " + hint
			}
		case target.Webhook:
			code, msg, hint = "policy-bad-correlates", fmt.Sprintf("x-accord correlates.operation %q is a webhook; a webhook follows an API call", c.Operation), "name a path operation"
		default:
			continue
		}
		// A document-level correlates is inherited by every operation: say it once.
		if k := fmt.Sprint(pos) + msg; !seen[k] {
			seen[k] = true
			problems = append(problems, Problem{Pos: pos, Severity: SeverityError, Code: code, Message: op.ID + ": " + msg, Hint: hint})
		}
	}
	return problems
}
