package contracts

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The decode functions below fill kin-openapi's types the way its
// UnmarshalJSON methods do (unknown members kept as extensions, $refs
// resolved to the component's shared value), reading each byte once.
// Members no comparison reads are skipped, which is most of the memory a
// large contract would take: annotations (descriptions, summaries,
// examples; compat's canonical forms strip them too), links, tags and
// externalDocs.

func (d *leanDec) document() *openapi3.T {
	t := &openapi3.T{}
	d.object(func(k string) {
		switch k {
		case "openapi":
			t.OpenAPI = d.str()
		case "info":
			t.Info = d.info()
		case "servers":
			t.Servers = d.servers()
		case "paths":
			t.Paths = d.paths()
		case "components":
			t.Components = d.components()
		case "security":
			t.Security = d.security()
		case "webhooks":
			t.Webhooks = map[string]*openapi3.PathItem{}
			d.object(func(name string) { t.Webhooks[name] = d.pathItem() })
		case "jsonSchemaDialect":
			t.JSONSchemaDialect = d.str()
		case "tags", "externalDocs":
			d.skip()
		default:
			d.ext(&t.Extensions, k)
		}
	})
	return t
}

func (d *leanDec) info() *openapi3.Info {
	if d.isNull() {
		return nil
	}
	in := &openapi3.Info{}
	d.object(func(k string) {
		switch k {
		case "title":
			in.Title = d.str()
		case "summary":
			in.Summary = d.str()
		case "description":
			in.Description = d.str()
		case "termsOfService":
			in.TermsOfService = d.str()
		case "version":
			in.Version = d.str()
		case "contact", "license":
			d.skip()
		default:
			d.ext(&in.Extensions, k)
		}
	})
	return in
}

func (d *leanDec) servers() openapi3.Servers {
	if d.isNull() {
		return nil
	}
	out := openapi3.Servers{}
	d.array(func() {
		s := &openapi3.Server{}
		d.object(func(k string) {
			switch k {
			case "url":
				s.URL = d.str()
			case "description":
				s.Description = d.str()
			case "variables":
				s.Variables = openapi3.ServerVariables{}
				d.object(func(name string) {
					v := &openapi3.ServerVariable{}
					d.object(func(k string) {
						switch k {
						case "enum":
							v.Enum = d.strings()
						case "default":
							v.Default = d.str()
						case "description":
							v.Description = d.str()
						default:
							d.ext(&v.Extensions, k)
						}
					})
					s.Variables[name] = v
				})
			default:
				d.ext(&s.Extensions, k)
			}
		})
		out = append(out, s)
	})
	return out
}

func (d *leanDec) security() openapi3.SecurityRequirements {
	if d.isNull() {
		return nil
	}
	out := openapi3.SecurityRequirements{}
	d.array(func() {
		r := openapi3.SecurityRequirement{}
		d.object(func(name string) { r[name] = d.strings() })
		out = append(out, r)
	})
	return out
}

func (d *leanDec) paths() *openapi3.Paths {
	p := openapi3.NewPaths()
	d.object(func(k string) {
		if strings.HasPrefix(k, "x-") {
			d.ext(&p.Extensions, k)
			return
		}
		p.Set(k, d.pathItem())
	})
	return p
}

func (d *leanDec) pathItem() *openapi3.PathItem {
	it := &openapi3.PathItem{}
	d.object(func(k string) {
		switch k {
		case "$ref":
			d.bail("path item $ref") // kin-openapi merges these; leave it to the full loader
		case "summary", "description":
			d.skip()
		case "connect":
			it.Connect = d.operation()
		case "delete":
			it.Delete = d.operation()
		case "get":
			it.Get = d.operation()
		case "head":
			it.Head = d.operation()
		case "options":
			it.Options = d.operation()
		case "patch":
			it.Patch = d.operation()
		case "post":
			it.Post = d.operation()
		case "put":
			it.Put = d.operation()
		case "trace":
			it.Trace = d.operation()
		case "query", "additionalOperations":
			d.bail("OpenAPI 3.2 operations")
		case "servers":
			it.Servers = d.servers()
		case "parameters":
			it.Parameters = d.parameters()
		default:
			d.ext(&it.Extensions, k)
		}
	})
	return it
}

func (d *leanDec) operation() *openapi3.Operation {
	if d.isNull() {
		return nil
	}
	op := &openapi3.Operation{}
	d.object(func(k string) {
		switch k {
		case "tags":
			op.Tags = d.strings()
		case "summary", "description":
			d.skip()
		case "operationId":
			op.OperationID = d.str()
		case "parameters":
			op.Parameters = d.parameters()
		case "requestBody":
			op.RequestBody = d.requestBodyRef()
		case "responses":
			op.Responses = d.responses()
		case "callbacks":
			op.Callbacks = openapi3.Callbacks{}
			d.object(func(name string) { op.Callbacks[name] = d.callbackRef() })
		case "deprecated":
			op.Deprecated = d.boolean()
		case "security":
			if !d.isNull() {
				s := d.security()
				op.Security = &s
			}
		case "servers":
			if !d.isNull() {
				s := d.servers()
				op.Servers = &s
			}
		case "externalDocs":
			d.skip()
		default:
			d.ext(&op.Extensions, k)
		}
	})
	return op
}

// refOrValue reads an object that is either a $ref (returned) or a value
// (read by f from the members); a $ref's siblings are read and dropped.
func (d *leanDec) refOrValue(f func(k string)) (ref string) {
	d.object(func(k string) {
		if k == "$ref" {
			ref = d.str()
			return
		}
		f(k)
	})
	return ref
}

func (d *leanDec) parameters() openapi3.Parameters {
	if d.isNull() {
		return nil
	}
	out := openapi3.Parameters{}
	d.array(func() { out = append(out, d.parameterRef()) })
	return out
}

func (d *leanDec) parameterRef() *openapi3.ParameterRef {
	r := &openapi3.ParameterRef{}
	p, ref := d.parameterOrRef()
	if ref != "" {
		r.Ref = ref
		d.resolve(ref, "parameters", func(c *openapi3.Components, name string) bool {
			return chase(c.Parameters, name, func(x *openapi3.ParameterRef) (string, *openapi3.Parameter) { return x.Ref, x.Value }, &r.Value)
		})
		return r
	}
	r.Value = p
	return r
}

// parameterOrRef reads a parameter (or header) object; a $ref with
// siblings keeps only the $ref, as kin-openapi does.
func (d *leanDec) parameterOrRef() (*openapi3.Parameter, string) {
	p := &openapi3.Parameter{}
	ref := ""
	d.object(func(k string) {
		switch k {
		case "$ref":
			ref = d.str()
		case "name":
			p.Name = d.str()
		case "in":
			p.In = d.istr()
		case "description":
			d.skip()
		case "style":
			p.Style = d.istr()
		case "explode":
			p.Explode = d.boolPtr()
		case "allowEmptyValue":
			p.AllowEmptyValue = d.boolean()
		case "allowReserved":
			p.AllowReserved = d.boolean()
		case "deprecated":
			p.Deprecated = d.boolean()
		case "required":
			p.Required = d.boolean()
		case "schema":
			p.Schema = d.schemaRef()
		case "example", "examples":
			d.skip()
		case "content":
			p.Content = d.content()
		default:
			d.ext(&p.Extensions, k)
		}
	})
	if ref != "" {
		if hasNonExt(p.Extensions) || p.Name != "" || p.In != "" || p.Schema != nil || p.Content != nil {
			d.bail("$ref with siblings")
		}
	}
	return p, ref
}

func hasNonExt(m map[string]any) bool {
	for k := range m {
		if !strings.HasPrefix(k, "x-") {
			return true
		}
	}
	return false
}

func (d *leanDec) headers() openapi3.Headers {
	if d.isNull() {
		return nil
	}
	out := openapi3.Headers{}
	d.object(func(name string) { out[name] = d.headerRef() })
	return out
}

func (d *leanDec) headerRef() *openapi3.HeaderRef {
	r := &openapi3.HeaderRef{}
	p, ref := d.parameterOrRef()
	if ref != "" {
		r.Ref = ref
		d.resolve(ref, "headers", func(c *openapi3.Components, name string) bool {
			return chase(c.Headers, name, func(x *openapi3.HeaderRef) (string, *openapi3.Header) { return x.Ref, x.Value }, &r.Value)
		})
		return r
	}
	r.Value = &openapi3.Header{Parameter: *p}
	return r
}

func (d *leanDec) requestBodyRef() *openapi3.RequestBodyRef {
	if d.isNull() {
		return nil
	}
	r := &openapi3.RequestBodyRef{}
	b := &openapi3.RequestBody{}
	ref := d.refOrValue(func(k string) {
		switch k {
		case "description":
			d.skip()
		case "required":
			b.Required = d.boolean()
		case "content":
			b.Content = d.content()
		default:
			d.ext(&b.Extensions, k)
		}
	})
	if ref != "" {
		r.Ref = ref
		d.resolve(ref, "requestBodies", func(c *openapi3.Components, name string) bool {
			return chase(c.RequestBodies, name, func(x *openapi3.RequestBodyRef) (string, *openapi3.RequestBody) { return x.Ref, x.Value }, &r.Value)
		})
		return r
	}
	r.Value = b
	return r
}

func (d *leanDec) content() openapi3.Content {
	if d.isNull() {
		return nil
	}
	out := openapi3.Content{}
	d.object(func(mt string) {
		m := &openapi3.MediaType{}
		d.object(func(k string) {
			switch k {
			case "schema":
				m.Schema = d.schemaRef()
			case "itemSchema":
				d.bail("OpenAPI 3.2 itemSchema")
			case "example", "examples":
				d.skip()
			case "encoding":
				m.Encoding = openapi3.Encodings{}
				d.object(func(name string) { m.Encoding[name] = d.encoding() })
			default:
				d.ext(&m.Extensions, k)
			}
		})
		out[mt] = m
	})
	return out
}

func (d *leanDec) encoding() *openapi3.Encoding {
	e := &openapi3.Encoding{}
	d.object(func(k string) {
		switch k {
		case "contentType":
			e.ContentType = d.str()
		case "headers":
			e.Headers = d.headers()
		case "style":
			e.Style = d.istr()
		case "explode":
			e.Explode = d.boolPtr()
		case "allowReserved":
			e.AllowReserved = d.boolean()
		default:
			d.ext(&e.Extensions, k)
		}
	})
	return e
}

func (d *leanDec) responses() *openapi3.Responses {
	if d.isNull() {
		return nil
	}
	rs := openapi3.NewResponsesWithCapacity(4)
	rs.Extensions = map[string]any{}
	d.object(func(code string) {
		if strings.HasPrefix(code, "x-") {
			rs.Extensions[code] = d.value()
			return
		}
		rs.Set(code, d.responseRef())
	})
	return rs
}

func (d *leanDec) responseRef() *openapi3.ResponseRef {
	r := &openapi3.ResponseRef{}
	v := &openapi3.Response{}
	ref := d.refOrValue(func(k string) {
		switch k {
		case "description":
			d.skip()
			v.Description = d.noText
		case "headers":
			v.Headers = d.headers()
		case "content":
			v.Content = d.content()
		case "links":
			d.skip()
		default:
			d.ext(&v.Extensions, k)
		}
	})
	if ref != "" {
		r.Ref = ref
		d.resolve(ref, "responses", func(c *openapi3.Components, name string) bool {
			return chase(c.Responses, name, func(x *openapi3.ResponseRef) (string, *openapi3.Response) { return x.Ref, x.Value }, &r.Value)
		})
		return r
	}
	r.Value = v
	return r
}

func (d *leanDec) callbackRef() *openapi3.CallbackRef {
	r := &openapi3.CallbackRef{}
	cb := openapi3.NewCallbackWithCapacity(1)
	ref := d.refOrValue(func(k string) {
		if strings.HasPrefix(k, "x-") {
			d.ext(&cb.Extensions, k)
			return
		}
		cb.Set(k, d.pathItem())
	})
	if ref != "" {
		r.Ref = ref
		d.resolve(ref, "callbacks", func(c *openapi3.Components, name string) bool {
			return chase(c.Callbacks, name, func(x *openapi3.CallbackRef) (string, *openapi3.Callback) { return x.Ref, x.Value }, &r.Value)
		})
		return r
	}
	r.Value = cb
	return r
}
