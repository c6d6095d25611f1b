package contracts

import "github.com/getkin/kin-openapi/openapi3"

// messageAt returns the Message for a site: an element that holds a Message
// Object or a $ref to one (a 3.0 channel's messages entry, a components
// entry, a 2.x operation's message). Each site gets one *Message, so an
// operation that refers to a channel's message shares its pointer; the
// definition behind several sites is decoded once. key is the name the site
// gives the message; empty means "the name the $ref ends with", or none for
// an inline message.
func (p *asyncParser) messageAt(site cursor, key string) *Message {
	if m, ok := p.messages[site.n]; ok {
		return m
	}
	t, last, ok := p.deref(site)
	if !ok {
		return nil
	}
	body := p.messageBody(t)
	if body == nil {
		return nil
	}
	m := *body
	if key == "" && last != "" {
		key = lastToken(last)
	}
	m.Key, m.Ref = key, last
	p.messages[site.n] = &m
	return &m
}

// messageBody decodes a Message Object (not a $ref), traits applied.
func (p *asyncParser) messageBody(t cursor) *Message {
	if m, ok := p.bodies[t.n]; ok {
		return m
	}
	if !p.mapping(t, "a message") {
		if t.isNull() {
			p.errorf(ClassInvalid, t.pos(), "invalid-structure", "describe the message, at least with a payload",
				"a message must be a mapping, not null")
		}
		return nil
	}
	m := &Message{Pointer: t.ptr, Pos: t.pos()}
	p.bodies[t.n] = m
	c := p.applyTraits(t, "message")

	m.Name, _ = p.str(c.get("name"))
	m.Title, _ = p.str(c.get("title"))
	m.Summary, _ = p.str(c.get("summary"))
	m.Description, _ = p.str(c.get("description"))
	m.ContentType, _ = p.str(c.get("contentType"))
	if m.ContentType == "" {
		m.ContentType = p.defaultContentType()
	}
	m.Bindings = p.bindings(c.get("bindings"))
	m.Extensions = p.extensions(c)
	m.CorrelationID = p.correlationID(c.get("correlationId"))

	if p.v3 {
		m.Headers, _, _ = p.multiFormat(c.get("headers"))
		m.Payload, m.RawPayload, m.SchemaFormat = p.multiFormat(c.get("payload"))
	} else {
		m.Headers = p.schema(c.get("headers"))
		m.SchemaFormat, _ = p.str(c.get("schemaFormat"))
		payload := c.get("payload")
		if isJSONSchemaFormat(m.SchemaFormat) {
			m.Payload = p.schema(payload)
		} else if payload.ok() {
			m.RawPayload = p.toAny(payload)
		}
	}
	return m
}

// multiFormat reads a 3.0 element that is a Schema, a $ref, or a Multi
// Format Schema Object ({schemaFormat, schema}). Schemas in a format accord
// does not decode (Avro, RAML, Protobuf) come back raw and unresolved:
// their $refs follow that format's own rules.
func (p *asyncParser) multiFormat(c cursor) (schema *openapi3.SchemaRef, raw any, format string) {
	if c.isNull() {
		return nil, nil, ""
	}
	t, _, ok := p.deref(c)
	if !ok {
		return nil, nil, ""
	}
	if !t.isMap() || !t.has("schemaFormat") {
		return p.schema(c), nil, ""
	}
	format, _ = p.str(t.get("schemaFormat"))
	inner := t.get("schema")
	if !isJSONSchemaFormat(format) {
		if inner.ok() {
			raw = p.toAny(inner)
		}
		return nil, raw, format
	}
	return p.schema(inner), nil, format
}

// defaultContentType is the root's defaultContentType, read where needed
// because messages may be built before the root's fields are.
func (p *asyncParser) defaultContentType() string {
	s, _ := p.rootCursor(p.root).get("defaultContentType").scalar()
	return s
}

// correlationID reads a Correlation ID Object or a $ref to one.
func (p *asyncParser) correlationID(c cursor) *CorrelationID {
	if c.isNull() {
		return nil
	}
	t, _, ok := p.deref(c)
	if !ok || !p.mapping(t, "correlationId") {
		return nil
	}
	id := &CorrelationID{}
	id.Location, _ = p.str(t.get("location"))
	id.Description, _ = p.str(t.get("description"))
	return id
}

// bindings reads a bindings object (or a $ref to one) as raw values. $refs
// inside bindings are kept as written: they belong to each protocol's
// binding schema, and some point at Avro files or remote registries.
func (p *asyncParser) bindings(c cursor) map[string]any {
	if c.isNull() {
		return nil
	}
	t, _, ok := p.deref(c)
	if !ok || !p.mapping(t, "bindings") {
		return nil
	}
	m, _ := p.toAny(t).(map[string]any)
	return m
}
