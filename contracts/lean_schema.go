package contracts

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// schemaRef reads a schema position: a $ref (resolved later to the
// component's shared *Schema, as kin-openapi does), a boolean schema, or an
// inline schema.
func (d *leanDec) schemaRef() *openapi3.SchemaRef {
	component := d.component
	d.component = false
	if d.isNull() {
		return nil
	}
	switch d.peek() {
	case 't', 'f':
		b := d.boolean()
		return &openapi3.SchemaRef{Value: &openapi3.Schema{Always: &b}}
	}
	r, s := d.newSchemaRef()
	ref := ""
	// spans are the members that matter to a comparison, as written: the
	// identity of a leaf schema for sharing (see leaves).
	var spans [32]int32
	n := 0
	d.object(func(k string) {
		if k == "$ref" {
			ref = d.str()
			return
		}
		from := d.keyAt
		d.schemaMember(s, k)
		if annotation[k] {
			return
		}
		if n+2 <= len(spans) {
			spans[n], spans[n+1] = int32(from), int32(d.i)
		}
		n += 2
	})
	if ref == "" {
		r.Value = s
		if !component && n <= len(spans) && leaf(s) {
			// The holder is shared too: nothing tells two holders of the
			// same inline value apart.
			v := d.shareLeaf(s, spans[:n])
			if v != s {
				d.recycle(nil, s)
			}
			if held, ok := d.leafRefs[v]; ok {
				d.recycle(r, nil)
				return held
			}
			r.Value = v
			d.leafRefs[v] = r
		}
		return r
	}
	// A $ref's x- members are the ref's extensions. Other siblings: 3.1
	// documents had them rewritten to allOf before decoding; in 3.0
	// kin-openapi ignores them unless there are any besides x-, which this
	// path leaves to the full loader rather than copy its merging.
	for k, v := range s.Extensions {
		if !strings.HasPrefix(k, "x-") {
			d.bail("$ref with siblings")
		}
		if r.Extensions == nil {
			r.Extensions = map[string]any{}
		}
		r.Extensions[k] = v
	}
	if !schemaOnlyExtensions(s) {
		d.bail("$ref with siblings")
	}
	d.recycle(nil, s)
	if r.Extensions == nil {
		// Every plain $ref to one component is the same holder: there are
		// tens of thousands of them in a large contract, and they resolve
		// to the same value anyway.
		if held, ok := d.refHolders[ref]; ok {
			d.recycle(r, nil)
			return held
		}
		d.refHolders[ref] = r
	}
	r.Ref = ref
	d.resolve(ref, "schemas", func(c *openapi3.Components, name string) bool {
		return chase(c.Schemas, name, func(x *openapi3.SchemaRef) (string, *openapi3.Schema) { return x.Ref, x.Value }, &r.Value)
	})
	return r
}

// newSchemaRef returns an empty holder and schema, reusing ones recycled.
func (d *leanDec) newSchemaRef() (*openapi3.SchemaRef, *openapi3.Schema) {
	r, s := d.spareRef, d.spare
	d.spareRef, d.spare = nil, nil
	if r == nil {
		r = &openapi3.SchemaRef{}
	}
	if s == nil {
		s = &openapi3.Schema{}
	}
	return r, s
}

// recycle keeps a holder or schema the model will not hold for the next
// schema read: most schemas of a large contract are $refs or repeats of a
// shared leaf, and at 752 bytes a Schema, dropping each would make ~9 MB
// of garbage per Stripe contract. Nothing else may point at what is
// recycled: a $ref's own schema only lent its extensions (copied), and a
// leaf shared away has no subschemas that could have captured it.
func (d *leanDec) recycle(r *openapi3.SchemaRef, s *openapi3.Schema) {
	if r != nil {
		*r = openapi3.SchemaRef{}
		d.spareRef = r
	}
	if s != nil {
		*s = openapi3.Schema{}
		d.spare = s
	}
}

// schemaOnlyExtensions reports whether s holds nothing but extensions.
func schemaOnlyExtensions(s *openapi3.Schema) bool {
	ext := s.Extensions
	s.Extensions = nil
	empty := s.IsEmpty() && s.Description == "" && s.Title == "" && s.Example == nil && s.Type == nil
	s.Extensions = ext
	return empty
}

func (d *leanDec) schemaRefs() openapi3.SchemaRefs {
	if d.isNull() {
		return nil
	}
	out := openapi3.SchemaRefs{}
	d.array(func() { out = append(out, d.schemaRef()) })
	return out
}

func (d *leanDec) schemas() openapi3.Schemas {
	if d.isNull() {
		return nil
	}
	out := openapi3.Schemas{}
	d.object(func(name string) { out[name] = d.schemaRef() })
	return out
}

func (d *leanDec) boolSchema() openapi3.BoolSchema {
	var bs openapi3.BoolSchema
	switch d.peek() {
	case 'n':
		d.isNull()
	case 't', 'f':
		b := d.boolean()
		bs.Has = &b
	case '{':
		bs.Schema = d.schemaRef()
	default:
		d.bail("expected a schema or a boolean")
	}
	return bs
}

func (d *leanDec) exclusiveBound() openapi3.ExclusiveBound {
	var eb openapi3.ExclusiveBound
	switch c := d.peek(); {
	case c == 'n':
		d.isNull()
	case c == 't' || c == 'f':
		eb.Bool = d.boolPtr()
	default:
		eb.Value = d.floatPtr()
	}
	return eb
}

func (d *leanDec) schemaMember(s *openapi3.Schema, k string) {
	switch k {
	case "oneOf":
		s.OneOf = d.schemaRefs()
	case "anyOf":
		s.AnyOf = d.schemaRefs()
	case "allOf":
		s.AllOf = d.schemaRefs()
	case "not":
		s.Not = d.schemaRef()
	case "type":
		switch d.peek() {
		case 'n':
			d.isNull()
		case '[':
			t := openapi3.Types(d.strings())
			s.Type = &t
		default:
			t := openapi3.Types{d.istr()}
			s.Type = &t
		}
	case "title":
		s.Title = d.str()
	case "format":
		s.Format = d.istr()
	case "description":
		d.skip()
	case "enum":
		if d.isNull() {
			return
		}
		s.Enum = []any{}
		d.array(func() { s.Enum = append(s.Enum, d.value()) })
	case "default":
		s.Default = d.value()
	case "example":
		d.skip()
	case "externalDocs":
		d.skip()
	case "uniqueItems":
		s.UniqueItems = d.boolean()
	case "exclusiveMinimum":
		s.ExclusiveMin = d.exclusiveBound()
	case "exclusiveMaximum":
		s.ExclusiveMax = d.exclusiveBound()
	case "nullable":
		s.Nullable = d.boolean()
	case "readOnly":
		s.ReadOnly = d.boolean()
	case "writeOnly":
		s.WriteOnly = d.boolean()
	case "allowEmptyValue":
		s.AllowEmptyValue = d.boolean()
	case "deprecated":
		s.Deprecated = d.boolean()
	case "xml":
		d.skip()
	case "minimum":
		s.Min = d.floatPtr()
	case "maximum":
		s.Max = d.floatPtr()
	case "multipleOf":
		s.MultipleOf = d.floatPtr()
	case "minLength":
		s.MinLength = d.uint()
	case "maxLength":
		s.MaxLength = d.uintPtr()
	case "pattern":
		s.Pattern = d.str()
	case "minItems":
		s.MinItems = d.uint()
	case "maxItems":
		s.MaxItems = d.uintPtr()
	case "items":
		s.Items = d.schemaRef()
	case "required":
		s.Required = d.strings()
	case "properties":
		s.Properties = d.schemas()
	case "minProperties":
		s.MinProps = d.uint()
	case "maxProperties":
		s.MaxProps = d.uintPtr()
	case "additionalProperties":
		s.AdditionalProperties = d.boolSchema()
	case "discriminator":
		s.Discriminator = d.discriminator()
	case "const":
		s.Const = d.value()
	case "examples":
		d.skip()
	case "prefixItems":
		s.PrefixItems = d.schemaRefs()
	case "contains":
		s.Contains = d.schemaRef()
	case "minContains":
		s.MinContains = d.uintPtr()
	case "maxContains":
		s.MaxContains = d.uintPtr()
	case "patternProperties":
		s.PatternProperties = d.schemas()
	case "dependentSchemas":
		s.DependentSchemas = d.schemas()
	case "propertyNames":
		s.PropertyNames = d.schemaRef()
	case "unevaluatedItems":
		s.UnevaluatedItems = d.boolSchema()
	case "unevaluatedProperties":
		s.UnevaluatedProperties = d.boolSchema()
	case "if":
		s.If = d.schemaRef()
	case "then":
		s.Then = d.schemaRef()
	case "else":
		s.Else = d.schemaRef()
	case "dependentRequired":
		if d.isNull() {
			return
		}
		s.DependentRequired = map[string][]string{}
		d.object(func(name string) { s.DependentRequired[name] = d.strings() })
	case "$defs":
		s.Defs = d.schemas()
	case "$schema":
		s.SchemaDialect = d.str()
	case "$comment":
		d.skip()
	case "$id":
		s.SchemaID = d.str()
	case "$anchor":
		s.Anchor = d.str()
	case "$dynamicRef", "$dynamicAnchor":
		d.bail("dynamic references")
	case "contentMediaType":
		s.ContentMediaType = d.str()
	case "contentEncoding":
		s.ContentEncoding = d.str()
	case "contentSchema":
		s.ContentSchema = d.schemaRef()
	default:
		d.ext(&s.Extensions, k)
	}
}

func (d *leanDec) discriminator() *openapi3.Discriminator {
	if d.isNull() {
		return nil
	}
	x := &openapi3.Discriminator{}
	d.object(func(k string) {
		switch k {
		case "propertyName":
			x.PropertyName = d.str()
		case "mapping":
			if d.isNull() {
				return
			}
			x.Mapping = map[string]openapi3.MappingRef{}
			d.object(func(name string) { x.Mapping[name] = openapi3.MappingRef{Ref: d.str()} })
		default:
			d.ext(&x.Extensions, k)
		}
	})
	return x
}

// annotation lists the schema members that neither the decoded model (they
// are skipped) nor a comparison reads.
var annotation = map[string]bool{"description": true, "example": true, "examples": true, "$comment": true, "externalDocs": true, "xml": true}

// leaf reports whether s has no subschemas.
func leaf(s *openapi3.Schema) bool {
	return s.OneOf == nil && s.AnyOf == nil && s.AllOf == nil && s.Not == nil && s.Items == nil &&
		s.Properties == nil && s.AdditionalProperties.Schema == nil && s.Discriminator == nil &&
		s.PrefixItems == nil && s.Contains == nil && s.PatternProperties == nil && s.DependentSchemas == nil &&
		s.PropertyNames == nil && s.UnevaluatedItems.Schema == nil && s.UnevaluatedProperties.Schema == nil &&
		s.If == nil && s.Then == nil && s.Else == nil && s.Defs == nil && s.ContentSchema == nil
}

// shareLeaf returns one *Schema for every inline leaf schema written the
// same way (its annotations aside): large contracts repeat {type: string}
// and its kin tens of thousands of times, and at 752 bytes a Schema those
// copies are most of the model. The model is read-only and comparisons
// treat inline schemas by value, so sharing is invisible to them;
// components are never shared, since $refs resolve to them by identity.
func (d *leanDec) shareLeaf(s *openapi3.Schema, spans []int32) *openapi3.Schema {
	d.leafKey = d.leafKey[:0]
	for j := 0; j < len(spans); j += 2 {
		d.leafKey = append(d.leafKey, d.data[spans[j]:spans[j+1]]...)
		d.leafKey = append(d.leafKey, 0)
	}
	if v, ok := d.leaves[string(d.leafKey)]; ok {
		return v
	}
	d.leaves[string(d.leafKey)] = s
	return s
}
