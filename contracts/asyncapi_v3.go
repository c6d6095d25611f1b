package contracts

import (
	"fmt"
	"strings"
)

// AsyncAPI 3.0: channels are keyed by id and carry an address and their
// messages; operations live at the root, say send or receive, and point at a
// channel and at some of its messages with $refs.

func (p *asyncParser) buildV3(rc, comps cursor, doc *AsyncAPI) {
	if chs := rc.get("channels"); p.mapping(chs, "channels") {
		for _, e := range chs.entries() {
			if ch := p.channelAt(e, e.name()); ch != nil {
				doc.Channels = append(doc.Channels, ch)
			}
		}
	}
	if ops := rc.get("operations"); p.mapping(ops, "operations") {
		for _, e := range ops.entries() {
			if op := p.operationAt(e, e.name()); op != nil {
				doc.Operations = append(doc.Operations, op)
			}
		}
	}
}

// channelAt reads a 3.0 Channel Object (or a $ref to one) at a site: a
// root channels entry or a components entry. One *Channel per site, so
// operations share the pointer held in AsyncAPI.Channels.
func (p *asyncParser) channelAt(site cursor, key string) *Channel {
	if ch, ok := p.channels[site.n]; ok {
		return ch
	}
	t, last, ok := p.deref(site)
	if !ok {
		return nil
	}
	ch := &Channel{Key: key, Ref: last, Pointer: t.ptr, Pos: t.pos()}
	p.channels[site.n] = ch
	if !t.isNull() && !p.mapping(t, fmt.Sprintf("channel %q", key)) {
		return ch
	}
	if a := t.get("address"); !a.isNull() {
		ch.Address, _ = p.str(a)
	}
	ch.Title, _ = p.str(t.get("title"))
	ch.Description, _ = p.str(t.get("description"))
	ch.Parameters = p.parameters(t.get("parameters"))
	ch.Bindings = p.bindings(t.get("bindings"))
	if ms := t.get("messages"); p.mapping(ms, fmt.Sprintf("channel %q messages", key)) {
		for _, e := range ms.entries() {
			if m := p.messageAt(e, e.name()); m != nil {
				ch.Messages = append(ch.Messages, m)
			}
		}
	}
	if ss := t.get("servers"); p.sequence(ss, fmt.Sprintf("channel %q servers", key)) {
		for _, item := range ss.items() {
			if name, ok := p.serverRef(item, key); ok {
				ch.Servers = append(ch.Servers, name)
			}
		}
	}
	return ch
}

// serverRef resolves one entry of a 3.0 channel's servers: a $ref that must
// name a server under the root servers map.
func (p *asyncParser) serverRef(item cursor, channel string) (string, bool) {
	ref, at, isRef, rerr := item.reference()
	if rerr != nil {
		rerr.record(p)
		return "", false
	}
	if !isRef {
		p.errorf(ClassInvalid, item.pos(), "invalid-structure", "write the entry as $ref: '#/servers/<name>'",
			"channel %q servers must list $refs to servers, not inline servers", channel)
		return "", false
	}
	loc, err := p.locate(item.f, ref, at)
	if err != nil {
		if !err.missing {
			err.record(p)
			return "", false
		}
	} else if name, ok := p.servers[loc.n]; ok {
		return name, true
	}
	p.deferf(at.pos(), "unknown-server", p.serverHint(lastToken(ref)),
		"channel %q is available on server %q, which is not declared under the root servers", channel, ref)
	return "", false
}

func (p *asyncParser) serverHint(want string) string {
	var names []string
	for _, name := range p.servers {
		names = append(names, name)
	}
	return closeNames(want, names)
}

// operationAt reads a 3.0 Operation Object (or a $ref to one).
func (p *asyncParser) operationAt(site cursor, id string) *AsyncOperation {
	t, _, ok := p.deref(site)
	if !ok {
		return nil
	}
	who := fmt.Sprintf("operation %q", id)
	if !p.mapping(t, who) {
		if t.isNull() {
			p.errorf(ClassInvalid, t.pos(), "invalid-structure", "give the operation an action and a channel",
				"%s must be a mapping, not null", who)
		}
		return nil
	}
	op := &AsyncOperation{ID: id, Pointer: t.ptr, Pos: t.pos()}
	c := p.applyTraits(t, "operation")
	action, _ := p.str(c.get("action"))
	op.Action = Action(action)
	op.Title, _ = p.str(c.get("title"))
	op.Summary, _ = p.str(c.get("summary"))
	op.Description, _ = p.str(c.get("description"))
	op.Security = p.security(c.get("security"))
	op.Bindings = p.bindings(c.get("bindings"))
	op.Extensions = p.extensions(c)
	if chc := c.get("channel"); chc.isNull() {
		p.deferf(op.Pos, "missing-field", "add channel: {$ref: '#/channels/<name>'}",
			"%s has no channel", who)
	} else {
		op.Channel = p.channelRef(chc, who)
	}
	op.Messages = p.messageRefs(c.get("messages"), op.Channel, who)
	op.Reply = p.reply(c.get("reply"), who)
	return op
}

// channelRef resolves an operation's (or a reply's) channel $ref. A local
// $ref to a channel that does not exist does not stop loading: Validate
// reports it as unknown-channel with the names that do exist.
func (p *asyncParser) channelRef(c cursor, who string) *Channel {
	ref, at, isRef, rerr := c.reference()
	if rerr != nil {
		rerr.record(p)
		return nil
	}
	if !isRef {
		p.errorf(ClassInvalid, c.pos(), "invalid-structure", "write channel: {$ref: '#/channels/<name>'} and declare the channel under channels",
			"the channel of %s must be a $ref to a channel, not an inline channel", who)
		return nil
	}
	loc, err := p.locate(c.f, ref, at)
	if err != nil {
		if err.missing && strings.HasPrefix(ref, "#") {
			p.deferf(at.pos(), "unknown-channel", p.channelHint(lastToken(ref)),
				"%s refers to channel %q, which does not exist", who, ref)
			return nil
		}
		err.record(p)
		return nil
	}
	if ch, ok := p.channels[loc.n]; ok {
		return ch
	}
	return p.channelAt(loc, lastToken(ref))
}

func (p *asyncParser) channelHint(want string) string {
	var names []string
	for _, e := range p.rootCursor(p.root).get("channels").entries() {
		names = append(names, e.name())
	}
	return closeNames(want, names)
}

// messageRefs resolves an operation's (or a reply's) messages: $refs that
// must point at messages of its channel. Absent means all of the channel's.
func (p *asyncParser) messageRefs(list cursor, ch *Channel, who string) []*Message {
	if list.isNull() {
		if ch == nil {
			return nil
		}
		return append([]*Message(nil), ch.Messages...)
	}
	if !p.sequence(list, who+" messages") {
		return nil
	}
	var out []*Message
	for _, item := range list.items() {
		ref, at, isRef, rerr := item.reference()
		if rerr != nil {
			rerr.record(p)
			continue
		}
		var m *Message
		if !isRef {
			// Not allowed by 3.0 (messages are $refs), read anyway so the
			// problem below names it.
			at, m = item, p.messageAt(item, "")
		} else {
			loc, err := p.locate(item.f, ref, at)
			if err != nil {
				if err.missing && strings.HasPrefix(ref, "#") {
					p.deferf(at.pos(), "unknown-message", messageHint(ch, lastToken(ref)),
						"%s refers to message %q, which does not exist", who, ref)
				} else {
					err.record(p)
				}
				continue
			}
			m = p.messageAt(loc, lastToken(ref))
		}
		if m == nil {
			continue
		}
		if ch != nil && !hasMessage(ch.Messages, m) {
			p.deferf(at.pos(), "message-not-in-channel", messageHint(ch, m.Key),
				"%s uses message %q, which is not one of channel %q's messages", who, describeMessage(m, ref), ch.Key)
		}
		out = append(out, m)
	}
	return out
}

func hasMessage(list []*Message, m *Message) bool {
	for _, x := range list {
		if x == m {
			return true
		}
	}
	return false
}

func describeMessage(m *Message, ref string) string {
	switch {
	case ref != "":
		return ref
	case m.Key != "":
		return m.Key
	}
	return m.Name
}

func messageHint(ch *Channel, want string) string {
	if ch == nil {
		return "declare the message under the channel's messages and refer to it as #/channels/<channel>/messages/<name>"
	}
	prefix := "#/channels/" + escapePointerToken(ch.Key) + "/messages/"
	hint := "refer to the message through its channel, as " + prefix + "<name>, and add it to the channel's messages if it is missing"
	var keys []string
	for _, m := range ch.Messages {
		keys = append(keys, m.Key)
	}
	if len(keys) > 0 {
		hint += "; the channel has " + prefix + strings.Join(keys, ", "+prefix)
	}
	return hint
}

// reply reads a 3.0 Operation Reply Object (or a $ref to one).
func (p *asyncParser) reply(c cursor, who string) *OperationReply {
	if c.isNull() {
		return nil
	}
	t, _, ok := p.deref(c)
	if !ok || !p.mapping(t, who+" reply") {
		return nil
	}
	r := &OperationReply{}
	if chc := t.get("channel"); !chc.isNull() {
		r.Channel = p.channelRef(chc, who+" reply")
	}
	if ac := t.get("address"); !ac.isNull() {
		if a, _, ok := p.deref(ac); ok && p.mapping(a, who+" reply address") {
			r.Address, _ = p.str(a.get("location"))
		}
	}
	r.Messages = p.messageRefs(t.get("messages"), r.Channel, who+" reply")
	if r.Address == "" && r.Channel != nil {
		r.Address = r.Channel.Address
	}
	return r
}
