package contracts

import (
	"fmt"
	"maps"
	"strings"
)

// The x-accord keys of AsyncAPI operations (dlq, inbox, partitionKey) and
// the checks that keep them off HTTP operations.

// AsyncOnlyKeys are the x-accord keys that mean something only for
// AsyncAPI operations (inbox also for OpenAPI webhooks, whose receivers
// deduplicate through the inbox). On any other HTTP operation they are an
// error naming the key: silently ignoring dlq on a POST would promise a
// dead-letter destination that no code writes to.
var AsyncOnlyKeys = []string{"dlq", "inbox", "partitionKey"}

// AsyncKeys lists the AsyncOnlyKeys this layer sets, with where.
func (s PolicySpec) AsyncKeys() map[string]Position { return maps.Clone(s.asyncAt) }

func (s *PolicySpec) markAsync(key string, pos Position) {
	if s.asyncAt == nil {
		s.asyncAt = map[string]Position{}
	}
	s.asyncAt[key] = pos
}

// validDestination: a dead-letter topic or subject is published to, never
// subscribed with, so wildcards (NATS * >, MQTT + #) and separators of
// other brokers' syntaxes would address something else.
func validDestination(s string) bool {
	return s != "" && len(s) <= 249 && !strings.ContainsAny(s, "*># +{}\t\r\n/")
}

// checkAsyncOnlyKeys refuses dlq and partitionKey on OpenAPI operations,
// and inbox on those that are not webhooks, wherever the layer that set
// them was written; and an AsyncAPI receive operation whose inbox is off
// without a reason (redeliveries then repeat effects, which someone must
// have decided). Layers from accord.yaml or flags carry no contract
// position: the operation's is used.
func (d *Document) checkAsyncOnlyKeys(ops []OperationPolicy) []Problem {
	var problems []Problem
	switch {
	case d.Kind == KindOpenAPI && d.OpenAPI != nil:
		nop := func(string) Position { return Position{} }
		keysOf := func(ext map[string]any, pointer string) map[string]Position {
			v, ok := ext[PolicyKey]
			if !ok {
				return nil
			}
			s, _ := ParsePolicySpec(v, pointer+"/"+PolicyKey, func(p string) Position {
				if d.root != nil && d.root.Has(p) {
					return d.root.Pos(p)
				}
				return nop(p)
			})
			return s.asyncAt
		}
		docKeys := keysOf(d.OpenAPI.Extensions, "")
		own := map[string]map[string]Position{}
		walkOpenAPIOperations(d.OpenAPI, func(o openAPIOp) { own[o.id()] = keysOf(o.op.Extensions, o.pointer) })
		seen := map[string]bool{}
		for _, op := range ops {
			_, ownInbox := own[op.ID]["inbox"]
			set := map[string]bool{"dlq": op.Policy.DLQ != "", "partitionKey": op.Policy.PartitionKey != "", "inbox": ownInbox}
			for _, key := range AsyncOnlyKeys {
				if !set[key] || (key == "inbox" && op.Webhook) {
					continue
				}
				pos, ok := own[op.ID][key]
				if !ok {
					pos, ok = docKeys[key]
				}
				where := ""
				if !ok {
					pos, where = op.Pos, " (set in accord.yaml or on the command line)"
				}
				msg := fmt.Sprintf("%s: x-accord %s applies to AsyncAPI operations only%s", op.ID, key, where)
				if key == "inbox" {
					msg = fmt.Sprintf("%s: x-accord inbox applies to AsyncAPI receive operations and webhooks only", op.ID)
				}
				if k := fmt.Sprint(pos) + key; !seen[k] {
					seen[k] = true
					problems = append(problems, Problem{Pos: pos, Severity: SeverityError, Code: "policy-async-only-key", Message: msg,
						Hint: "remove " + key + " from this HTTP operation's x-accord (or the document's)"})
				}
			}
		}
	case d.Kind == KindAsyncAPI && d.AsyncAPI != nil:
		receive := map[string]bool{}
		for _, op := range d.AsyncAPI.Operations {
			receive[op.ID] = op.Action == ActionReceive
		}
		for _, op := range ops {
			if receive[op.ID] && op.Policy.NoInbox && op.Policy.Reason == "" {
				problems = append(problems, Problem{Pos: op.Pos, Severity: SeverityError, Code: "policy-inbox-off-without-reason",
					Message: op.ID + ": x-accord inbox is false with no reason: a redelivered message then has its effect twice",
					Hint:    "add x-accord reason saying why repeats are harmless (e.g. \"the handler upserts by id\"), or keep the inbox"})
			}
		}
	}
	return problems
}
