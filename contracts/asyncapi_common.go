package contracts

import (
	"fmt"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Elements shared by 2.x and 3.0: servers, parameters, security, components.

// serverAt reads a Server Object (or a $ref to one).
func (p *asyncParser) serverAt(site cursor, name string) *AsyncServer {
	t, _, ok := p.deref(site)
	if !ok || !p.mapping(t, fmt.Sprintf("server %q", name)) {
		return nil
	}
	s := &AsyncServer{Name: name, Pointer: t.ptr, Pos: t.pos()}
	if p.v3 {
		s.Host, _ = p.str(t.get("host"))
		s.Pathname, _ = p.str(t.get("pathname"))
	} else {
		s.Host, _ = p.str(t.get("url"))
	}
	s.Protocol, _ = p.str(t.get("protocol"))
	s.ProtocolVersion, _ = p.str(t.get("protocolVersion"))
	s.Description, _ = p.str(t.get("description"))
	s.Bindings = p.bindings(t.get("bindings"))
	return s
}

// parameters reads a channel's parameters, sorted by name.
func (p *asyncParser) parameters(c cursor) []*ChannelParameter {
	if t, _, ok := p.deref(c); ok {
		c = t
	}
	if !p.mapping(c, "parameters") {
		return nil
	}
	var out []*ChannelParameter
	for _, e := range c.entries() {
		if prm := p.parameterAt(e, e.name()); prm != nil {
			out = append(out, prm)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// parameterAt reads a Parameter Object (or a $ref to one). 2.x parameters
// carry a schema; 3.0 ones are always strings described by enum, default
// and examples, which become a string schema so both read alike.
func (p *asyncParser) parameterAt(site cursor, name string) *ChannelParameter {
	t, _, ok := p.deref(site)
	if !ok {
		return nil
	}
	prm := &ChannelParameter{Name: name, Pointer: t.ptr, Pos: t.pos()}
	if !t.isNull() && !p.mapping(t, fmt.Sprintf("parameter %q", name)) {
		return nil
	}
	prm.Description, _ = p.str(t.get("description"))
	prm.Location, _ = p.str(t.get("location"))
	if !p.v3 {
		prm.Schema = p.schema(t.get("schema"))
		return prm
	}
	s := &openapi3.Schema{Type: &openapi3.Types{openapi3.TypeString}, Description: prm.Description, Origin: schemaOrigin(t)}
	if enum := t.get("enum"); p.sequence(enum, fmt.Sprintf("parameter %q enum", name)) {
		s.Enum, _ = p.toAny(enum).([]any)
	}
	if def := t.get("default"); def.ok() {
		s.Default = p.toAny(def)
	}
	if ex := t.get("examples"); p.sequence(ex, fmt.Sprintf("parameter %q examples", name)) {
		s.Examples, _ = p.toAny(ex).([]any)
	}
	prm.Schema = &openapi3.SchemaRef{Value: s}
	return prm
}

// security reads an operation's security requirements as scheme name ->
// scopes. 2.x writes requirements as {name: [scopes]}. 3.0 lists Security
// Scheme Objects, usually $refs: a $ref to #/components/securitySchemes/X
// is named X, any other $ref by itself, and an inline scheme by its JSON
// pointer, so every entry has a stable name.
func (p *asyncParser) security(c cursor) []map[string][]string {
	if !p.sequence(c, "security") {
		return nil
	}
	var out []map[string][]string
	for _, item := range c.items() {
		if !p.v3 {
			if !p.mapping(item, "a security requirement") {
				continue
			}
			req := map[string][]string{}
			for _, e := range item.entries() {
				req[e.name()] = p.stringList(e)
			}
			out = append(out, req)
			continue
		}
		ref, _, isRef, _ := item.reference()
		t, _, ok := p.deref(item)
		if !ok || !p.mapping(t, "a security scheme") {
			continue
		}
		name := "#" + item.ptr
		if isRef {
			name = ref
			if strings.HasPrefix(ref, "#/components/securitySchemes/") {
				name = lastToken(ref)
			}
		}
		out = append(out, map[string][]string{name: p.stringList(t.get("scopes"))})
	}
	return out
}

// stringList reads a list of strings.
func (p *asyncParser) stringList(c cursor) []string {
	if !p.sequence(c, c.name()) {
		return []string{}
	}
	out := []string{}
	for _, item := range c.items() {
		if s, ok := p.str(item); ok {
			out = append(out, s)
		}
	}
	return out
}

// buildComponents reads the components that the model keeps. Traits and
// bindings components are only reached through $refs; everything here is
// decoded even when unused, so a broken definition is reported either way.
func (p *asyncParser) buildComponents(comps cursor, doc *AsyncAPI) {
	if !comps.isMap() {
		return
	}
	cp := &doc.Components
	cp.Extensions = p.extensions(comps)
	section := func(name string) []cursor {
		c := comps.get(name)
		if !p.mapping(c, "components."+name) {
			return nil
		}
		return c.entries()
	}
	for _, e := range section("schemas") {
		if s := p.schema(e); s != nil {
			if cp.Schemas == nil {
				cp.Schemas = map[string]*openapi3.SchemaRef{}
			}
			cp.Schemas[e.name()] = s
		}
	}
	for _, e := range section("messages") {
		if m := p.messageAt(e, e.name()); m != nil {
			cp.Messages = setEntry(cp.Messages, e.name(), m)
		}
	}
	for _, e := range section("securitySchemes") {
		if t, _, ok := p.deref(e); ok && p.mapping(t, fmt.Sprintf("security scheme %q", e.name())) {
			m, _ := p.toAny(t).(map[string]any)
			cp.SecuritySchemes = setEntry(cp.SecuritySchemes, e.name(), m)
		}
	}
	for _, e := range section("parameters") {
		if prm := p.parameterAt(e, e.name()); prm != nil {
			cp.Parameters = setEntry(cp.Parameters, e.name(), prm)
		}
	}
	for _, e := range section("servers") {
		if s := p.serverAt(e, e.name()); s != nil {
			cp.Servers = setEntry(cp.Servers, e.name(), s)
		}
	}
	for _, e := range section("correlationIds") {
		if id := p.correlationID(e); id != nil {
			cp.CorrelationIDs = setEntry(cp.CorrelationIDs, e.name(), id)
		}
	}
	for _, kind := range []string{"messageTraits", "operationTraits"} {
		for _, e := range section(kind) {
			if t, _, ok := p.deref(e); ok {
				p.mapping(t, fmt.Sprintf("%s %q", strings.TrimSuffix(kind, "s"), e.name()))
			}
		}
	}
	if !p.v3 {
		return
	}
	for _, e := range section("channels") {
		if ch := p.channelAt(e, e.name()); ch != nil {
			cp.Channels = setEntry(cp.Channels, e.name(), ch)
		}
	}
	for _, e := range section("operations") {
		if op := p.operationAt(e, e.name()); op != nil {
			cp.Operations = setEntry(cp.Operations, e.name(), op)
		}
	}
	for _, e := range section("replies") {
		if r := p.reply(e, fmt.Sprintf("reply %q", e.name())); r != nil {
			cp.Replies = setEntry(cp.Replies, e.name(), r)
		}
	}
}

func setEntry[V any](m map[string]V, k string, v V) map[string]V {
	if m == nil {
		m = map[string]V{}
	}
	m[k] = v
	return m
}

// closeNames lists the names nearest to want, for hints: those within a
// small edit distance, or else all of them (a short list) so the reader
// sees what exists.
func closeNames(want string, names []string) string {
	var near []string
	for _, n := range names {
		if d := editDistance(strings.ToLower(want), strings.ToLower(n)); d <= max(2, len(want)/3) {
			near = append(near, n)
		}
	}
	if len(near) > 0 {
		sort.Strings(near)
		return "did you mean " + strings.Join(near, " or ") + "?"
	}
	if len(names) == 0 {
		return "none are declared"
	}
	sorted := append([]string(nil), names...)
	sort.Strings(sorted)
	if len(sorted) > 10 {
		sorted = append(sorted[:10], "...")
	}
	return "declared: " + strings.Join(sorted, ", ")
}

// checkVersionSyntax finds the constructs of the other major version: a
// document that says 2.6 but is written in 3.0 (or the reverse) would
// otherwise load as an empty or half-read document.
func (p *asyncParser) checkVersionSyntax(rc cursor, version string) []Problem {
	var ps []Problem
	add := func(c cursor, msg, hint string) {
		ps = append(ps, Problem{Pos: c.pos(), Severity: SeverityError, Code: "wrong-version-syntax", Message: msg, Hint: hint})
	}
	channels := rc.get("channels").entries()
	if p.v3 {
		for _, ch := range channels {
			for _, k := range []string{"publish", "subscribe"} {
				if ch.has(k) {
					action := map[string]string{"publish": "receive", "subscribe": "send"}[k]
					add(ch.get(k),
						fmt.Sprintf("channel %q declares a %s operation, which is AsyncAPI 2.x syntax, but the document says asyncapi: %s", ch.name(), k, version),
						fmt.Sprintf("in 3.0 write the operation under the root operations map with action: %s and channel: {$ref: '#/channels/%s'}; or set asyncapi: 2.6.0 if the document follows 2.x", action, escapePointerToken(ch.name())))
				}
			}
		}
		for _, s := range rc.get("servers").entries() {
			if s.has("url") && !s.has("host") {
				add(s.get("url"),
					fmt.Sprintf("server %q has a url, which is AsyncAPI 2.x syntax, but the document says asyncapi: %s", s.name(), version),
					"in 3.0 write host (and pathname) instead of url; or set asyncapi: 2.6.0 if the document follows 2.x")
			}
		}
		return ps
	}
	if ops := rc.get("operations"); ops.ok() {
		add(ops,
			fmt.Sprintf("the root operations map is AsyncAPI 3.0 syntax, but the document says asyncapi: %s", version),
			"set asyncapi: 3.0.0 if the document follows 3.0; in 2.x operations are written inside each channel as publish (the application receives) or subscribe (the application sends)")
	}
	for _, ch := range channels {
		for _, k := range []string{"address", "messages"} {
			if ch.has(k) {
				add(ch.get(k),
					fmt.Sprintf("channel %q has %s, which is AsyncAPI 3.0 syntax, but the document says asyncapi: %s", ch.name(), k, version),
					"set asyncapi: 3.0.0 if the document follows 3.0; in 2.x the channel's key is its address and messages belong to its publish/subscribe operations")
				break
			}
		}
	}
	for _, s := range rc.get("servers").entries() {
		if s.has("host") && !s.has("url") {
			add(s.get("host"),
				fmt.Sprintf("server %q has a host, which is AsyncAPI 3.0 syntax, but the document says asyncapi: %s", s.name(), version),
				"in 2.x write url instead of host; or set asyncapi: 3.0.0 if the document follows 3.0")
		}
	}
	return ps
}
