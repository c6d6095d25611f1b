package contracts

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"unicode"
)

// AsyncAPI 2.x: a channel's key is its address, and its operations sit in
// it as publish and subscribe, named from the client's point of view:
// `publish` means others publish and the application receives, `subscribe`
// that others subscribe to what the application sends.

func (p *asyncParser) buildV2(rc cursor, doc *AsyncAPI) {
	known := map[string]bool{}
	for _, name := range p.servers {
		known[name] = true
	}
	if chs := rc.get("channels"); p.mapping(chs, "channels") {
		for _, e := range chs.entries() {
			ch, ops := p.channelV2(e, e.name(), known)
			if ch != nil {
				doc.Channels = append(doc.Channels, ch)
				doc.Operations = append(doc.Operations, ops...)
			}
		}
	}
	synthesizeIDs(doc.Operations)
}

// channelV2 reads a 2.x Channel Item (or a $ref to one) and its operations.
func (p *asyncParser) channelV2(site cursor, key string, servers map[string]bool) (*Channel, []*AsyncOperation) {
	t, last, ok := p.deref(site)
	if !ok {
		return nil, nil
	}
	ch := &Channel{Key: key, Address: key, Ref: last, Pointer: t.ptr, Pos: t.pos()}
	if t.isNull() || !p.mapping(t, fmt.Sprintf("channel %q", key)) {
		return ch, nil
	}
	ch.Description, _ = p.str(t.get("description"))
	ch.Parameters = p.parameters(t.get("parameters"))
	ch.Bindings = p.bindings(t.get("bindings"))
	if ss := t.get("servers"); p.sequence(ss, fmt.Sprintf("channel %q servers", key)) {
		for _, item := range ss.items() {
			name, ok := p.str(item)
			if !ok {
				continue
			}
			if !servers[name] {
				p.deferf(item.pos(), "unknown-server", p.serverHint(name),
					"channel %q is available on server %q, which is not declared under servers", key, name)
				continue
			}
			ch.Servers = append(ch.Servers, name)
		}
	}
	var ops []*AsyncOperation
	for _, dir := range []struct {
		key    string
		action Action
	}{{"publish", ActionReceive}, {"subscribe", ActionSend}} {
		oc := t.get(dir.key)
		if oc.isNull() {
			continue
		}
		op := p.operationV2(oc, ch, dir.action)
		if op == nil {
			continue
		}
		ops = append(ops, op)
		for i, m := range op.Messages {
			if same := sameComponent(ch.Messages, m); same != nil {
				op.Messages[i] = same
			} else {
				ch.Messages = append(ch.Messages, m)
			}
		}
	}
	return ch, ops
}

// sameComponent finds m in list, or another site of m's component: a
// channel whose publish and subscribe both carry message X lists X once,
// and both operations share that *Message.
func sameComponent(list []*Message, m *Message) *Message {
	for _, x := range list {
		if x == m || (m.Ref != "" && x.Ref == m.Ref && x.Pointer == m.Pointer && x.Pos == m.Pos) {
			return x
		}
	}
	return nil
}

// operationV2 reads a 2.x Operation Object.
func (p *asyncParser) operationV2(site cursor, ch *Channel, action Action) *AsyncOperation {
	t, _, ok := p.deref(site)
	if !ok || !p.mapping(t, fmt.Sprintf("channel %q %s", ch.Key, site.name())) {
		return nil
	}
	op := &AsyncOperation{Action: action, Channel: ch, Pointer: t.ptr, Pos: t.pos()}
	c := p.applyTraits(t, "operation")
	op.ID, _ = p.str(c.get("operationId"))
	op.Summary, _ = p.str(c.get("summary"))
	op.Description, _ = p.str(c.get("description"))
	op.Security = p.security(c.get("security"))
	op.Bindings = p.bindings(c.get("bindings"))
	op.Extensions = p.extensions(c)
	op.Messages = p.messagesV2(c.get("message"))
	return op
}

// messagesV2 reads a 2.x operation's message: one Message Object, a $ref to
// one, or {oneOf: [...]} listing several.
func (p *asyncParser) messagesV2(c cursor) []*Message {
	if c.isNull() {
		return nil
	}
	t, _, ok := p.deref(c)
	if !ok {
		return nil
	}
	if t.isMap() && t.has("oneOf") && !t.has("payload") {
		list := t.get("oneOf")
		if !p.sequence(list, "message oneOf") {
			return nil
		}
		var out []*Message
		for _, item := range list.items() {
			if m := p.messageAt(item, ""); m != nil {
				out = append(out, m)
			}
		}
		return out
	}
	if m := p.messageAt(c, ""); m != nil {
		return []*Message{m}
	}
	return nil
}

// synthesizeIDs names the 2.x operations that have no operationId
// "<action><Channel>", e.g. sendCommentLiked for subscribe on
// comment/liked. Names are made in channel order, so they do not depend on
// how the document is laid out, and never take an explicit operationId.
func synthesizeIDs(ops []*AsyncOperation) {
	taken := map[string]bool{}
	var missing []*AsyncOperation
	for _, op := range ops {
		if op.ID != "" {
			taken[op.ID] = true
		} else {
			missing = append(missing, op)
		}
	}
	sort.SliceStable(missing, func(i, j int) bool {
		if missing[i].Channel.Key != missing[j].Channel.Key {
			return missing[i].Channel.Key < missing[j].Channel.Key
		}
		return missing[i].Action < missing[j].Action
	})
	for _, op := range missing {
		base := string(op.Action) + camelWords(op.Channel.Key)
		id := base
		for n := 2; taken[id]; n++ {
			id = base + strconv.Itoa(n)
		}
		op.ID, op.IDSynthesized = id, true
		taken[id] = true
	}
}

// camelWords turns "comment/{id}/liked" into "CommentIdLiked".
func camelWords(s string) string {
	var b strings.Builder
	upper := true
	for _, r := range s {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			upper = true
			continue
		}
		if upper {
			r = unicode.ToUpper(r)
			upper = false
		}
		b.WriteRune(r)
	}
	if b.Len() == 0 {
		return "Channel"
	}
	return b.String()
}
