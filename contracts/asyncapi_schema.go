package contracts

import (
	"encoding/json"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// AsyncAPI schemas are JSON Schema draft-07 with a few additions. They are
// decoded with kin-openapi's openapi3.Schema, so that generators and compat
// use one schema type for OpenAPI and AsyncAPI. kin-openapi decodes a schema
// with its nested schemas in one go and leaves nested $refs as SchemaRef.Ref
// with no Value; accord then walks the decoded schema alongside the YAML
// nodes and fills every Value itself, which keeps positions and lets
// relative $refs resolve against the file they are written in.

// schema builds the SchemaRef for an element that holds a schema inline or
// a $ref to one. Ref keeps the $ref as written; Value is shared by every
// reference to the same definition, so recursive schemas become pointer
// cycles, as kin-openapi's own loader makes them.
func (p *asyncParser) schema(c cursor) *openapi3.SchemaRef {
	sr := p.schemaAt(c)
	p.drainSchemas()
	return sr
}

// schemaJob is a decoded schema whose nested $refs still need filling.
type schemaJob struct {
	v *openapi3.Schema
	c cursor
}

// drainSchemas fills nested $refs from a work list rather than by
// recursion: a chain of thousands of schemas, each referring to the next,
// must not grow the stack with it.
func (p *asyncParser) drainSchemas() {
	for len(p.schemaJobs) > 0 && !p.exhausted {
		job := p.schemaJobs[len(p.schemaJobs)-1]
		p.schemaJobs = p.schemaJobs[:len(p.schemaJobs)-1]
		p.walkSchema(job.v, job.c)
	}
	p.schemaJobs = p.schemaJobs[:0]
}

func (p *asyncParser) schemaAt(c cursor) *openapi3.SchemaRef {
	if c.isNull() {
		return nil
	}
	ref, _, isRef, _ := c.reference()
	t, _, ok := p.deref(c)
	if !ok {
		return nil
	}
	v := p.schemaValue(t)
	if v == nil {
		return nil
	}
	sr := &openapi3.SchemaRef{Value: v}
	if isRef {
		sr.Ref = ref
	}
	return sr
}

// schemaValue decodes the schema written at t (not a $ref), once per node,
// and queues its nested $refs.
func (p *asyncParser) schemaValue(t cursor) *openapi3.Schema {
	if v, ok := p.schemas[t.n]; ok {
		return v
	}
	raw := normalizeSchema(p.toAny(t), 0)
	if p.exhausted {
		return nil
	}
	v := &openapi3.Schema{}
	// Registered before the nested $refs are followed: a property that
	// refers back to this schema gets this very pointer.
	p.schemas[t.n] = v
	if err := decodeSchema(raw, v); err != nil {
		at, cause := p.locateSchemaError(t, raw, 0)
		if cause == nil {
			cause = err
		}
		p.errorf(ClassInvalid, at.pos(), "invalid-schema",
			"AsyncAPI schemas are JSON Schema draft-07: type is a string or a list of strings, required and enum are lists, minimum and maximum are numbers",
			"invalid schema: %s", cleanSchemaError(cause))
		*v = openapi3.Schema{}
		return v
	}
	p.schemaJobs = append(p.schemaJobs, schemaJob{v, t})
	return v
}

func decodeSchema(raw any, v *openapi3.Schema) error {
	data, err := json.Marshal(raw)
	if err != nil {
		return err
	}
	return json.Unmarshal(data, v)
}

func schemaOrigin(c cursor) *openapi3.Origin {
	pos := c.pos()
	return &openapi3.Origin{Key: &openapi3.Location{File: pos.File, Line: pos.Line, Column: pos.Col}}
}

// walkSchema fills the Value of every nested $ref in s, whose YAML is at
// c. Inline nested schemas are walked directly (their depth is bounded by
// the document's nesting); $ref'd ones are decoded and queued.
func (p *asyncParser) walkSchema(s *openapi3.Schema, c cursor) {
	if s.Origin == nil {
		s.Origin = schemaOrigin(c)
	}
	each := func(sr *openapi3.SchemaRef, at cursor) { p.fillSchemaRef(sr, at, c) }
	eachMap := func(m openapi3.Schemas, key string) {
		container := c.get(key)
		for name, sr := range m {
			each(sr, container.get(name))
		}
	}
	eachList := func(l openapi3.SchemaRefs, container cursor) {
		for i, sr := range l {
			each(sr, container.index(i))
		}
	}
	eachMap(s.Properties, "properties")
	eachMap(s.PatternProperties, "patternProperties")
	eachMap(s.DependentSchemas, "dependentSchemas")
	eachMap(s.Defs, "$defs")
	eachList(s.AllOf, c.get("allOf"))
	eachList(s.AnyOf, c.get("anyOf"))
	eachList(s.OneOf, c.get("oneOf"))
	items := c.get("items")
	if items.isSeq() {
		// draft-07 tuple form, decoded as prefixItems (see normalizeSchema).
		eachList(s.PrefixItems, items)
		each(s.Items, c.get("additionalItems"))
	} else {
		eachList(s.PrefixItems, c.get("prefixItems"))
		each(s.Items, items)
	}
	each(s.Not, c.get("not"))
	each(s.If, c.get("if"))
	each(s.Then, c.get("then"))
	each(s.Else, c.get("else"))
	each(s.Contains, c.get("contains"))
	each(s.PropertyNames, c.get("propertyNames"))
	each(s.ContentSchema, c.get("contentSchema"))
	each(s.AdditionalProperties.Schema, c.get("additionalProperties"))
	each(s.UnevaluatedItems.Schema, c.get("unevaluatedItems"))
	each(s.UnevaluatedProperties.Schema, c.get("unevaluatedProperties"))
}

// fillSchemaRef resolves one nested schema. at is its YAML; parent is the
// enclosing schema's, used when at cannot be matched (the $ref then still
// resolves against the right file).
func (p *asyncParser) fillSchemaRef(sr *openapi3.SchemaRef, at, parent cursor) {
	if sr == nil || p.exhausted {
		return
	}
	if !at.ok() {
		at = cursor{p: p, f: parent.f, n: nil, ptr: parent.ptr, key: parent.key}
	}
	if _, _, _, rerr := at.reference(); rerr != nil {
		rerr.record(p)
		return
	}
	if sr.Ref == "" {
		if sr.Value == nil || !at.ok() {
			return
		}
		if shared, ok := p.schemas[at.n]; ok {
			// Already built through a $ref pointing inside this schema.
			sr.Value = shared
			return
		}
		p.schemas[at.n] = sr.Value
		p.walkSchema(sr.Value, at)
		return
	}
	var t cursor
	if at.ok() {
		var ok bool
		if t, _, ok = p.deref(at); !ok {
			return
		}
	} else {
		loc, err := p.locate(parent.f, sr.Ref, parent)
		if err == nil {
			loc, _, err = p.follow(loc)
		}
		if err != nil {
			err.record(p)
			return
		}
		t = loc
	}
	sr.Value = p.schemaValue(t)
}

// subschemaMaps, subschemaLists and subschemaSingles name the keywords
// whose values are schemas, by shape.
var (
	subschemaMaps    = []string{"properties", "patternProperties", "dependentSchemas", "$defs", "definitions"}
	subschemaLists   = []string{"allOf", "anyOf", "oneOf", "prefixItems"}
	subschemaSingles = []string{"items", "additionalItems", "not", "if", "then", "else", "contains",
		"propertyNames", "contentSchema", "additionalProperties", "unevaluatedItems", "unevaluatedProperties"}
)

// normalizeSchema rewrites the draft-07 forms kin-openapi's decoder does
// not take: the tuple form of items (now prefixItems, with additionalItems
// as items), AsyncAPI's string discriminator (a property name) and a
// single value where examples wants a list.
func normalizeSchema(v any, depth int) any {
	m, ok := v.(map[string]any)
	if !ok || depth > maxValueDepth {
		return v
	}
	if d, ok := m["discriminator"].(string); ok {
		m["discriminator"] = map[string]any{"propertyName": d}
	}
	if tuple, ok := m["items"].([]any); ok {
		m["prefixItems"] = tuple
		delete(m, "items")
		if more, ok := m["additionalItems"]; ok {
			m["items"] = more
			delete(m, "additionalItems")
		}
	}
	if ex, ok := m["examples"]; ok {
		if ex == nil {
			delete(m, "examples")
		} else if _, isList := ex.([]any); !isList {
			m["examples"] = []any{ex}
		}
	}
	for _, k := range subschemaMaps {
		if sub, ok := m[k].(map[string]any); ok {
			for name, s := range sub {
				sub[name] = normalizeSchema(s, depth+1)
			}
		}
	}
	for _, k := range subschemaLists {
		if sub, ok := m[k].([]any); ok {
			for i, s := range sub {
				sub[i] = normalizeSchema(s, depth+1)
			}
		}
	}
	for _, k := range subschemaSingles {
		if s, ok := m[k]; ok {
			m[k] = normalizeSchema(s, depth+1)
		}
	}
	return m
}

// locateSchemaError finds the keyword a decoding error comes from, so the
// problem points at it rather than at the top of a large schema.
func (p *asyncParser) locateSchemaError(c cursor, raw any, depth int) (cursor, error) {
	m, ok := raw.(map[string]any)
	if !ok || depth > 64 {
		return c, nil
	}
	for _, e := range c.entries() {
		k := e.name()
		v, present := m[k]
		if !present {
			continue
		}
		err := decodeSchema(map[string]any{k: v}, &openapi3.Schema{})
		if err == nil {
			continue
		}
		switch {
		case contains(subschemaMaps, k):
			sub, _ := v.(map[string]any)
			for _, se := range e.entries() {
				if decodeSchema(sub[se.name()], &openapi3.Schema{}) != nil {
					if at, cause := p.locateSchemaError(se, sub[se.name()], depth+1); cause != nil {
						return at, cause
					}
					return se, decodeSchema(sub[se.name()], &openapi3.Schema{})
				}
			}
		case contains(subschemaLists, k):
			sub, _ := v.([]any)
			for i, se := range e.items() {
				if i < len(sub) && decodeSchema(sub[i], &openapi3.Schema{}) != nil {
					if at, cause := p.locateSchemaError(se, sub[i], depth+1); cause != nil {
						return at, cause
					}
					return se, decodeSchema(sub[i], &openapi3.Schema{})
				}
			}
		case contains(subschemaSingles, k):
			if at, cause := p.locateSchemaError(e, v, depth+1); cause != nil {
				return at, cause
			}
		}
		return e, err
	}
	return c, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// cleanSchemaError turns encoding/json's wording about Go types into the
// schema's terms.
func cleanSchemaError(err error) string {
	msg := strings.TrimPrefix(err.Error(), "json: ")
	msg = strings.ReplaceAll(msg, "Go struct field ", "")
	msg = strings.ReplaceAll(msg, "Go value of type ", "")
	msg = strings.ReplaceAll(msg, "openapi3.", "")
	msg = strings.ReplaceAll(msg, "SchemaBis.", "")
	return msg
}

// isJSONSchemaFormat tells whether a schemaFormat is a JSON Schema dialect
// accord decodes (AsyncAPI, JSON Schema, OpenAPI schemas); Avro, RAML,
// Protobuf and others are kept raw.
func isJSONSchemaFormat(format string) bool {
	mt, _, _ := strings.Cut(format, ";")
	switch strings.ToLower(strings.TrimSpace(mt)) {
	case "", "application/vnd.aai.asyncapi", "application/vnd.aai.asyncapi+json", "application/vnd.aai.asyncapi+yaml",
		"application/schema+json", "application/schema+yaml", "application/json", "application/yaml",
		"application/vnd.oai.openapi", "application/vnd.oai.openapi+json", "application/vnd.oai.openapi+yaml":
		return true
	}
	return false
}
