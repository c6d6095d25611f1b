package compat

import (
	"strings"

	"github.com/accord-dev/accord/compat/rules"
	"github.com/accord-dev/accord/contracts"
	"github.com/getkin/kin-openapi/openapi3"
)

// The breaking-change walk is driven by base: whatever head adds is never
// visited, because nothing new can break a client. The change log needs the
// additions too, so with Options.Changes two more passes visit what only head
// has (operations, webhooks, channels) and hand it to the operation and
// channel checks as one-sided pairs, the same way removals are handed over.

// engineRules is the rule set of one comparison: the breaking rules, plus
// the change rules when the caller wants every change.
func engineRules(changes bool) []rules.Rule {
	all := rules.All()
	if changes {
		all = append(all, rules.Changes()...)
	}
	return all
}

// openAPIAdded reports head's operations that no base operation pairs with.
func (e *engine) openAPIAdded() {
	if !e.changes {
		return
	}
	b, h := e.base.OpenAPI, e.head.OpenAPI
	matched := map[string]string{} // head template -> base template
	if h.Paths != nil && b.Paths != nil {
		// The pairing openAPI makes: exact template first, else the same
		// template with parameter names dropped, not claimed by an exact twin.
		heads := map[string][]string{}
		for _, k := range sortedKeys(h.Paths.Map()) {
			heads[normPath(k)] = append(heads[normPath(k)], k)
		}
		for _, bk := range sortedKeys(b.Paths.Map()) {
			if h.Paths.Value(bk) != nil {
				matched[bk] = bk
				continue
			}
			for _, cand := range heads[normPath(bk)] {
				if b.Paths.Value(cand) == nil {
					if _, taken := matched[cand]; !taken {
						matched[cand] = bk
					}
					break
				}
			}
		}
	}
	if h.Paths != nil {
		for _, hk := range sortedKeys(h.Paths.Map()) {
			var bi *openapi3.PathItem
			if bk, ok := matched[hk]; ok {
				bi = b.Paths.Value(bk)
			}
			e.addedOperations("paths", hk, hk, bi, h.Paths.Value(hk))
		}
	}
	for _, name := range sortedKeys(h.Webhooks) {
		e.addedOperations("webhooks", name, "webhook:"+name, b.Webhooks[name], h.Webhooks[name])
	}
}

// addedOperations reports the operations of head item hi that base item bi
// (nil when the whole path is new) does not have.
func (e *engine) addedOperations(section, key, label string, bi, hi *openapi3.PathItem) {
	if hi == nil {
		return
	}
	for _, m := range httpMethods {
		hop := hi.GetOperation(m)
		if hop == nil || (bi != nil && bi.GetOperation(m) != nil) {
			continue
		}
		opKey := m + " " + label
		idx := e.addOp(opKey, hop.OperationID)
		root := rootPath(opKey, " ", "#/"+section+"/"+escapeToken(key)+"/"+strings.ToLower(m), "")
		d := &rules.OperationDiff{Key: opKey, Head: &rules.Operation{ID: hop.OperationID, Deprecated: hop.Deprecated, Extensions: hop.Extensions}}
		e.run(e.checks.operation, opScope(idx), root, rules.None, func(r *rules.Rule, rep rules.Reporter) { r.Operation(d, rep) })
	}
}

// asyncAPIAdded reports head's channels that no base channel pairs with (one
// finding listing their operations), and head operations added on channels
// both sides have.
func (e *engine) asyncAPIAdded() {
	if !e.changes {
		return
	}
	b, h := e.base.AsyncAPI, e.head.AsyncAPI
	baseAddrs, baseKeys := map[string]*contracts.Channel{}, map[string]*contracts.Channel{}
	for _, ch := range b.Channels {
		baseAddrs[normPath(address(ch))] = ch
		baseKeys[ch.Key] = ch
	}
	headAddrs := map[string]bool{}
	for _, ch := range h.Channels {
		headAddrs[normPath(address(ch))] = true
	}
	// baseOf mirrors asyncAPI's headOf: same address, or the same 3.0
	// channel id moved to an address head does not otherwise use.
	baseOf := func(hch *contracts.Channel) *contracts.Channel {
		if bch := baseAddrs[normPath(address(hch))]; bch != nil {
			return bch
		}
		if bch := baseKeys[hch.Key]; bch != nil && !headAddrs[normPath(address(bch))] {
			return bch
		}
		return nil
	}
	// Base operations per (base channel address, action), by id, so head
	// operations pair with them the way asyncAPI pairs them: by id first,
	// then by count.
	type slot struct {
		ids   map[string]bool
		count int
	}
	slots := map[string]*slot{}
	for _, op := range b.Operations {
		if op.Channel == nil {
			continue
		}
		k := normPath(address(op.Channel)) + " " + string(op.Action)
		s := slots[k]
		if s == nil {
			s = &slot{ids: map[string]bool{}}
			slots[k] = s
		}
		s.ids[op.ID] = true
		s.count++
	}
	newOps := map[*contracts.Channel][]int32{}
	var newChannels []*contracts.Channel
	var added []*contracts.AsyncOperation
	byID := map[string][]*contracts.AsyncOperation{}
	for _, op := range h.Operations {
		if op.Channel == nil {
			continue
		}
		bch := baseOf(op.Channel)
		if bch == nil {
			if _, seen := newOps[op.Channel]; !seen {
				newChannels = append(newChannels, op.Channel)
			}
			newOps[op.Channel] = append(newOps[op.Channel], e.addOp(string(op.Action)+" "+address(op.Channel), op.ID))
			continue
		}
		k := normPath(address(bch)) + " " + string(op.Action)
		byID[k] = append(byID[k], op)
	}
	for _, k := range sortedKeys(byID) {
		s := slots[k]
		var rest []*contracts.AsyncOperation
		taken := 0
		for _, op := range byID[k] {
			if s != nil && s.ids[op.ID] {
				taken++
				continue
			}
			rest = append(rest, op)
		}
		free := 0
		if s != nil {
			free = s.count - taken
		}
		if free >= len(rest) {
			continue
		}
		added = append(added, rest[max(free, 0):]...)
	}
	for _, hch := range newChannels {
		d := &rules.ChannelDiff{Head: hch}
		at := rootPath("channels."+hch.Key, ".", ptrOf(hch.Pointer), "")
		e.run(e.checks.channel, scope{node: -1, ops: newOps[hch]}, at, rules.None, func(r *rules.Rule, rep rules.Reporter) { r.Channel(d, rep) })
	}
	for _, op := range added {
		key := string(op.Action) + " " + address(op.Channel)
		id := op.ID
		if op.IDSynthesized {
			id = ""
		}
		idx := e.addOp(key, id)
		dep, _ := op.Extensions["deprecated"].(bool)
		d := &rules.OperationDiff{Key: key, Head: &rules.Operation{ID: id, Deprecated: dep, Extensions: op.Extensions}}
		root := rootPath(key, " ", ptrOf(op.Pointer), "")
		e.run(e.checks.operation, opScope(idx), root, rules.None, func(r *rules.Rule, rep rules.Reporter) { r.Operation(d, rep) })
	}
}
