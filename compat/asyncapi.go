package compat

import (
	"strings"

	"github.com/accord-dev/accord/compat/rules"
	"github.com/accord-dev/accord/contracts"
)

// AsyncAPI operations match on channel address (parameter names ignored) and
// action. Messages the application sends are read by consumers (response
// direction); messages it receives are written by producers (request).

// address is what identifies a channel on the wire; a 3.0 channel with a
// null (dynamic) address falls back to its key.
func address(ch *contracts.Channel) string {
	if ch.Address != "" {
		return ch.Address
	}
	return ch.Key
}

func asyncDir(a contracts.Action) rules.Direction {
	if a == contracts.ActionSend {
		return rules.Response
	}
	return rules.Request
}

func ptrOf(p string) string {
	if p == "" {
		return ""
	}
	return "#" + p
}

type asyncPair struct {
	b, h *contracts.AsyncOperation
	idx  int32
	key  string
}

func (e *engine) asyncAPI() {
	b, h := e.base.AsyncAPI, e.head.AsyncAPI
	byAddr := map[string]*contracts.Channel{}
	byKey := map[string]*contracts.Channel{}
	for _, ch := range h.Channels {
		byAddr[normPath(address(ch))] = ch
		byKey[ch.Key] = ch
	}
	baseAddrs := map[string]bool{}
	for _, ch := range b.Channels {
		baseAddrs[normPath(address(ch))] = true
	}
	// headOf finds a base channel's counterpart: same address, or (3.0) the
	// same channel id at an address no base channel uses, i.e. it moved.
	headOf := func(bch *contracts.Channel) *contracts.Channel {
		if hch := byAddr[normPath(address(bch))]; hch != nil {
			return hch
		}
		if hch := byKey[bch.Key]; hch != nil && !baseAddrs[normPath(address(hch))] {
			return hch
		}
		return nil
	}
	// Several operations may share an address and action (request/reply
	// APIs multiplexed on one socket): they pair by operation id, else by
	// the messages they carry.
	headOps := map[string][]*contracts.AsyncOperation{}
	for _, op := range h.Operations {
		if op.Channel != nil {
			k := normPath(address(op.Channel)) + " " + string(op.Action)
			headOps[k] = append(headOps[k], op)
		}
	}
	baseCount := map[string]int{}
	for _, op := range b.Operations {
		if op.Channel != nil {
			baseCount[normPath(address(op.Channel))+" "+string(op.Action)]++
		}
	}
	used := map[*contracts.AsyncOperation]bool{}
	pick := func(bop *contracts.AsyncOperation, k string) *contracts.AsyncOperation {
		var best *contracts.AsyncOperation
		bestScore := -1
		for _, c := range headOps[k] {
			if used[c] {
				continue
			}
			score := messageOverlap(bop.Messages, c.Messages)
			if c.ID == bop.ID {
				score += 1 << 20
			}
			if score > bestScore {
				best, bestScore = c, score
			}
		}
		if best != nil {
			used[best] = true
		}
		return best
	}

	var pairs []asyncPair
	chOps := map[*contracts.Channel][]int32{}
	var channels []*contracts.Channel
	for _, bop := range b.Operations {
		bch := bop.Channel
		if bch == nil {
			continue
		}
		hch := headOf(bch)
		p := asyncPair{b: bop, key: string(bop.Action) + " " + address(bch)}
		if hch != nil {
			p.h = pick(bop, normPath(address(hch))+" "+string(bop.Action))
			p.key = string(bop.Action) + " " + address(hch)
		}
		id := bop.ID
		if p.h != nil && p.h.ID != "" {
			id = p.h.ID
		}
		if baseCount[normPath(address(bch))+" "+string(bop.Action)] > 1 {
			p.key += " (" + id + ")" // tell operations sharing a channel apart
		}
		p.idx = e.addOp(p.key, id)
		if _, seen := chOps[bch]; !seen {
			channels = append(channels, bch)
		}
		chOps[bch] = append(chOps[bch], p.idx)
		pairs = append(pairs, p)
	}
	removed := map[*contracts.Channel]bool{}
	for _, bch := range channels {
		hch := headOf(bch)
		removed[bch] = hch == nil
		hPtr := ""
		if hch != nil {
			hPtr = ptrOf(hch.Pointer)
		}
		d := &rules.ChannelDiff{Base: bch, Head: hch}
		at := rootPath("channels."+bch.Key, ".", hPtr, ptrOf(bch.Pointer))
		e.run(e.checks.channel, scope{node: -1, ops: chOps[bch]}, at, rules.None, func(r *rules.Rule, rep rules.Reporter) { r.Channel(d, rep) })
	}
	for _, p := range pairs {
		if removed[p.b.Channel] {
			continue // channel-removed is the root cause
		}
		e.asyncOperation(p)
	}
	e.asyncSchemes()
}

func (e *engine) asyncOperation(p asyncPair) {
	info := func(op *contracts.AsyncOperation) *rules.Operation {
		if op == nil {
			return nil
		}
		dep, _ := op.Extensions["deprecated"].(bool)
		id := op.ID
		if op.IDSynthesized {
			id = "" // made up by the loader: nobody's generated code is named after it
		}
		return &rules.Operation{ID: id, Deprecated: dep, Extensions: op.Extensions}
	}
	hPtr := ""
	if p.h != nil {
		hPtr = ptrOf(p.h.Pointer)
	}
	root := rootPath(p.key, " ", hPtr, ptrOf(p.b.Pointer))
	d := &rules.OperationDiff{Key: p.key, Base: info(p.b), Head: info(p.h), Life: e.life}
	e.run(e.checks.operation, opScope(p.idx), root, rules.None, func(r *rules.Rule, rep rules.Reporter) { r.Operation(d, rep) })
	if p.h == nil {
		return
	}
	sd := &rules.SecurityDiff{Base: asyncSecurity(p.b.Security), Head: asyncSecurity(p.h.Security)}
	e.run(e.checks.security, opScope(p.idx), root.child("security"), rules.None, func(r *rules.Rule, rep rules.Reporter) { r.Security(sd, rep) })
	for _, req := range sd.Base {
		for name := range req {
			e.schemeUse[name] = append(e.schemeUse[name], p.idx)
		}
	}
	dir, reverse := e.asyncDirs(p.b.Action)
	e.messages(p.idx, root, dir, p.b.Messages, p.h.Messages)
	if p.b.Reply != nil && p.h.Reply != nil {
		// The other side of a request/reply: replies flow the other way.
		e.messages(p.idx, root.child("reply"), reverse, p.b.Reply.Messages, p.h.Reply.Messages)
	}
}

func asyncSecurity(list []map[string][]string) []rules.Requirement {
	out := make([]rules.Requirement, 0, len(list))
	for _, r := range list {
		out = append(out, rules.Requirement(r))
	}
	return out
}

// messages pairs an operation's messages (by component, key, then name; a
// lone leftover on each side is the same message edited) and compares them.
func (e *engine) messages(op int32, root *path, dir rules.Direction, bs, hs []*contracts.Message) {
	used := make([]bool, len(hs))
	match := make([]*contracts.Message, len(bs))
	same := []func(a, b *contracts.Message) bool{
		func(a, b *contracts.Message) bool { return a.Ref != "" && rules.RefName(a.Ref) == rules.RefName(b.Ref) },
		func(a, b *contracts.Message) bool { return a.Key != "" && a.Key == b.Key },
		func(a, b *contracts.Message) bool { return a.Name != "" && a.Name == b.Name },
	}
	for _, eq := range same {
		for i, bm := range bs {
			if match[i] != nil || bm == nil {
				continue
			}
			for j, hm := range hs {
				if !used[j] && hm != nil && eq(bm, hm) {
					match[i], used[j] = hm, true
					break
				}
			}
		}
	}
	var bLeft, hLeft []int
	for i := range bs {
		if match[i] == nil && bs[i] != nil {
			bLeft = append(bLeft, i)
		}
	}
	for j := range hs {
		if !used[j] && hs[j] != nil {
			hLeft = append(hLeft, j)
		}
	}
	// Unnamed messages (inline 2.x oneOf alternatives): same payload shape,
	// else their order when as many remain on both sides.
	for _, i := range bLeft {
		for k, j := range hLeft {
			if j >= 0 && samePayload(bs[i], hs[j]) {
				match[i], hLeft[k] = hs[j], -1
				break
			}
		}
	}
	var bRest, hRest []int
	for _, i := range bLeft {
		if match[i] == nil {
			bRest = append(bRest, i)
		}
	}
	for _, j := range hLeft {
		if j >= 0 {
			hRest = append(hRest, j)
		}
	}
	if len(bRest) == len(hRest) {
		for k, i := range bRest {
			match[i] = hs[hRest[k]]
		}
	}
	for i, bm := range bs {
		if bm == nil {
			continue
		}
		hm := match[i]
		hRef, hPtr := "", ""
		if hm != nil {
			hRef, hPtr = hm.Ref, ptrOf(hm.Pointer)
		}
		at := refRoot(bm.Ref, hRef)
		if at == nil {
			at = root.jump("messages."+rules.MessageName(bm), hPtr, nil, ptrOf(bm.Pointer), nil)
		}
		d := &rules.MessageDiff{Dir: dir, Base: bm, Head: hm}
		e.run(e.checks.message, opScope(op), at, dir, func(r *rules.Rule, rep rules.Reporter) { r.Message(d, rep) })
		if hm == nil {
			continue
		}
		e.schema(opScope(op), dir, bm.Payload, hm.Payload, at.child("payload"), 0)
		e.schema(opScope(op), dir, bm.Headers, hm.Headers, at.child("headers"), 0)
	}
}

// asyncSchemes compares the security schemes base operations require.
func (e *engine) asyncSchemes() {
	bComp, hComp := e.base.AsyncAPI.Components.SecuritySchemes, e.head.AsyncAPI.Components.SecuritySchemes
	for _, name := range sortedKeys(e.schemeUse) {
		b, ok := bComp[name]
		if !ok {
			continue
		}
		d := &rules.SchemeDiff{Name: name, Base: asyncScheme(b)}
		if h, ok := hComp[name]; ok {
			d.Head = asyncScheme(h)
		}
		e.runScheme(name, d, e.schemeUse[name])
	}
}

func asyncScheme(m map[string]any) *rules.Scheme {
	str := func(k string) string { s, _ := m[k].(string); return s }
	s := &rules.Scheme{
		Type: str("type"), In: str("in"), Name: str("name"),
		HTTPScheme: strings.ToLower(str("scheme")), OpenIDConnectURL: str("openIdConnectUrl"),
	}
	if flows, ok := m["flows"].(map[string]any); ok {
		s.Flows = map[string]rules.OAuthFlow{}
		for name, f := range flows {
			fm, _ := f.(map[string]any)
			get := func(k string) string { v, _ := fm[k].(string); return v }
			s.Flows[name] = rules.OAuthFlow{AuthorizationURL: get("authorizationUrl"), TokenURL: get("tokenUrl"), RefreshURL: get("refreshUrl")}
		}
	}
	return s
}

func samePayload(a, b *contracts.Message) bool {
	return a.Payload != nil && b.Payload != nil && rules.Shape(a.Payload.Value) == rules.Shape(b.Payload.Value)
}

// messageOverlap counts the messages two operations share by name.
func messageOverlap(a, b []*contracts.Message) int {
	n := 0
	for _, x := range a {
		for _, y := range b {
			if x != nil && y != nil && rules.MessageName(x) == rules.MessageName(y) && rules.MessageName(x) != "message" {
				n++
				break
			}
		}
	}
	return n
}
