package contracts

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// validateAsyncAPI checks AsyncAPI semantics the parser does not enforce:
// required fields, operation actions, duplicate operation ids, channel
// address parameters, and (found while loading, reported here) references
// to channels, messages and servers that do not exist.
func validateAsyncAPI(d *Document) []Problem {
	a := d.AsyncAPI
	if a == nil {
		return nil
	}
	v := &asyncValidator{d: d, a: a, v3: strings.HasPrefix(a.Version, "3.")}
	v.ps = append(v.ps, a.deferred...)
	v.info()
	v.servers()
	v.operations()
	v.channels()
	v.messagePolicies()
	return v.ps
}

// messagePolicies checks a message's x-accord: it takes partitionKey only
// (where the ordering key is read from); the rest of the policy belongs
// on the operation, and a key the generator would silently ignore is an
// error with a position, as everywhere in x-accord.
func (v *asyncValidator) messagePolicies() {
	seen := map[*Message]bool{}
	for _, op := range v.a.Operations {
		for _, msg := range op.Messages {
			if msg == nil || seen[msg] {
				continue
			}
			x, ok := msg.Extensions[PolicyKey]
			if !ok {
				continue
			}
			seen[msg] = true
			at := msg.Pointer + "/" + PolicyKey
			m, isMap := x.(map[string]any)
			if !isMap {
				v.add(v.at(msg.Pos, at, ""), "policy-not-object", "see the x-accord reference in README.md", "x-accord must be a mapping, not %s", describe(x))
				continue
			}
			for _, k := range sortedKeys(m) {
				kat := at + "/" + escapePointerToken(k)
				if k != "partitionKey" {
					hint := "a message's x-accord takes partitionKey only; put the rest on the operation"
					if k != "" && slices.Contains(policyKeys, k) {
						hint = k + " is an operation setting: move it to the operations that send or receive this message"
					}
					v.add(v.at(msg.Pos, kat, ""), "policy-unknown-key", hint, "x-accord: unknown key %q on a message", k)
					continue
				}
				if s, ok := m[k].(string); !ok || !strings.HasPrefix(s, "$message.payload#") {
					v.add(v.at(msg.Pos, kat, ""), "policy-bad-value", "e.g. partitionKey: $message.payload#/order_id",
						"x-accord: partitionKey must be a runtime expression into the payload, not %s", describe(m[k]))
				}
			}
		}
	}
}

type asyncValidator struct {
	d  *Document
	a  *AsyncAPI
	v3 bool
	ps []Problem
}

func (v *asyncValidator) add(pos Position, code, hint, format string, args ...any) {
	v.ps = append(v.ps, Problem{Pos: pos, Severity: SeverityError, Code: code, Message: fmt.Sprintf(format, args...), Hint: hint})
}

// at is the position of a field of an element: exact when the element is
// in the root file (the index knows its pointers), the element's own
// position otherwise.
func (v *asyncValidator) at(elem Position, pointer, field string) Position {
	if elem.File == v.d.Name && v.d.root.Has(pointer+field) {
		return v.d.Pos(pointer + field)
	}
	return elem
}

func (v *asyncValidator) info() {
	if v.a.Info.Title == "" && v.a.Info.Version == "" && !v.d.root.Has("/info") {
		v.add(v.d.Pos(""), "missing-field", "add info: {title: ..., version: ...}", "the document has no info")
		return
	}
	if v.a.Info.Title == "" {
		v.add(v.d.Pos("/info/title"), "missing-field", "add info.title: the name generated code and documentation use",
			"info.title is missing or empty")
	}
	if v.a.Info.Version == "" {
		v.add(v.d.Pos("/info/version"), "missing-field", "add info.version, the version of this API (not of AsyncAPI), e.g. '1.0.0'",
			"info.version is missing or empty")
	}
}

func (v *asyncValidator) servers() {
	field := "url"
	if v.v3 {
		field = "host"
	}
	for _, s := range v.a.Servers {
		if s.Host == "" {
			v.add(v.at(s.Pos, s.Pointer, "/"+field), "missing-field", "add the broker's "+field+", e.g. broker.example.com:9092",
				"server %q has no %s", s.Name, field)
		}
		if s.Protocol == "" {
			v.add(v.at(s.Pos, s.Pointer, "/protocol"), "missing-field", "add protocol, e.g. kafka, amqp, mqtt or ws",
				"server %q has no protocol", s.Name)
		}
	}
}

func (v *asyncValidator) operations() {
	roots := map[*Channel]bool{}
	for _, ch := range v.a.Channels {
		roots[ch] = true
	}
	ops := append([]*AsyncOperation(nil), v.a.Operations...)
	for _, name := range sortedKeys(v.a.Components.Operations) {
		ops = append(ops, v.a.Components.Operations[name])
	}
	for _, op := range ops {
		if v.v3 {
			switch op.Action {
			case ActionSend, ActionReceive:
			case "":
				v.add(op.Pos, "missing-field", "add action: send (the application publishes) or action: receive (it consumes)",
					"operation %q has no action", op.ID)
			default:
				v.add(v.at(op.Pos, op.Pointer, "/action"), "invalid-action",
					"use send when the application publishes the messages, receive when it consumes them",
					"operation %q has action %q; it must be send or receive", op.ID, string(op.Action))
			}
		}
	}
	// Root operations must use root channels (3.0 §Operation Object):
	// a channel only in components is not part of this application.
	for _, op := range v.a.Operations {
		if v.v3 && op.Channel != nil && !roots[op.Channel] {
			v.add(v.at(op.Pos, op.Pointer, "/channel"), "unknown-channel",
				"declare the channel under the root channels map and refer to it as #/channels/<name>",
				"operation %q uses channel %q, which is not under the root channels map", op.ID, op.Channel.Key)
		}
	}
	v.duplicateIDs()
}

func (v *asyncValidator) duplicateIDs() {
	byID := map[string][]*AsyncOperation{}
	for _, op := range v.a.Operations {
		byID[op.ID] = append(byID[op.ID], op)
	}
	for _, id := range sortedKeys(byID) {
		ops := byID[id]
		if len(ops) < 2 || id == "" {
			continue
		}
		sort.SliceStable(ops, func(i, j int) bool { return posLess(ops[i].Pos, ops[j].Pos) })
		for _, op := range ops[1:] {
			v.add(v.at(op.Pos, op.Pointer, "/operationId"), "duplicate-operation-id",
				"operationIds must be unique in the document: rename one of them",
				"operationId %q is used twice; it is first used at %s", id, ops[0].Pos)
		}
	}
}

func posLess(a, b Position) bool {
	if a.File != b.File {
		return a.File < b.File
	}
	if a.Line != b.Line {
		return a.Line < b.Line
	}
	return a.Col < b.Col
}

// addressParam finds {name} expressions in a channel address.
var addressParam = regexp.MustCompile(`\{([^{}]+)\}`)

// channels checks that a channel's address and parameters agree: every
// {name} in the address is described, and every parameter appears in it.
func (v *asyncValidator) channels() {
	chans := append([]*Channel(nil), v.a.Channels...)
	for _, name := range sortedKeys(v.a.Components.Channels) {
		chans = append(chans, v.a.Components.Channels[name])
	}
	seen := map[*Channel]bool{}
	for _, ch := range chans {
		if seen[ch] || ch.Address == "" {
			continue
		}
		seen[ch] = true
		used := map[string]bool{}
		declared := map[string]bool{}
		for _, prm := range ch.Parameters {
			declared[prm.Name] = true
		}
		addrPos := ch.Pos
		if v.v3 {
			addrPos = v.at(ch.Pos, ch.Pointer, "/address")
		}
		for _, m := range addressParam.FindAllStringSubmatch(ch.Address, -1) {
			name := m[1]
			if used[name] {
				continue
			}
			used[name] = true
			if !declared[name] {
				v.add(addrPos, "undeclared-parameter",
					fmt.Sprintf("describe it under the channel's parameters: parameters: {%s: {description: ...}}", name),
					"channel %q address %q uses parameter {%s}, which the channel's parameters do not declare", ch.Key, ch.Address, name)
			}
		}
		for _, prm := range ch.Parameters {
			if !used[prm.Name] {
				v.add(prm.Pos, "unused-parameter",
					fmt.Sprintf("remove the parameter, or use {%s} in the address", prm.Name),
					"channel %q declares parameter %q, which its address %q does not use", ch.Key, prm.Name, ch.Address)
			}
		}
	}
}
