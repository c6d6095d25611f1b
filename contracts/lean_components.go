package contracts

import (
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// The components section and how a local $ref reaches its component's
// shared value; the rest of the document is decoded in lean_openapi.go.

func (d *leanDec) components() *openapi3.Components {
	if d.isNull() {
		return nil
	}
	c := &openapi3.Components{}
	d.object(func(k string) {
		switch k {
		case "schemas":
			c.Schemas = openapi3.Schemas{}
			d.object(func(name string) {
				d.component = true
				c.Schemas[name] = d.schemaRef()
			})
		case "parameters":
			c.Parameters = openapi3.ParametersMap{}
			d.object(func(name string) { c.Parameters[name] = d.parameterRef() })
		case "headers":
			c.Headers = d.headers()
		case "requestBodies":
			c.RequestBodies = openapi3.RequestBodies{}
			d.object(func(name string) { c.RequestBodies[name] = d.requestBodyRef() })
		case "responses":
			c.Responses = openapi3.ResponseBodies{}
			d.object(func(name string) { c.Responses[name] = d.responseRef() })
		case "securitySchemes":
			c.SecuritySchemes = openapi3.SecuritySchemes{}
			d.object(func(name string) { c.SecuritySchemes[name] = d.securitySchemeRef() })
		case "callbacks":
			c.Callbacks = openapi3.Callbacks{}
			d.object(func(name string) { c.Callbacks[name] = d.callbackRef() })
		case "examples", "links":
			d.skip()
		default:
			if strings.HasPrefix(k, "x-") {
				d.ext(&c.Extensions, k)
				return
			}
			d.bail("unknown components section " + k)
		}
	})
	return c
}

func (d *leanDec) securitySchemeRef() *openapi3.SecuritySchemeRef {
	r := &openapi3.SecuritySchemeRef{}
	s := &openapi3.SecurityScheme{}
	ref := d.refOrValue(func(k string) {
		switch k {
		case "type":
			s.Type = d.str()
		case "description":
			s.Description = d.str()
		case "name":
			s.Name = d.str()
		case "in":
			s.In = d.str()
		case "scheme":
			s.Scheme = d.str()
		case "bearerFormat":
			s.BearerFormat = d.str()
		case "openIdConnectUrl":
			s.OpenIdConnectUrl = d.str()
		case "flows":
			s.Flows = d.flows()
		default:
			d.ext(&s.Extensions, k)
		}
	})
	if ref != "" {
		r.Ref = ref
		d.resolve(ref, "securitySchemes", func(c *openapi3.Components, name string) bool {
			return chase(c.SecuritySchemes, name, func(x *openapi3.SecuritySchemeRef) (string, *openapi3.SecurityScheme) { return x.Ref, x.Value }, &r.Value)
		})
		return r
	}
	r.Value = s
	return r
}

func (d *leanDec) flows() *openapi3.OAuthFlows {
	if d.isNull() {
		return nil
	}
	fs := &openapi3.OAuthFlows{}
	d.object(func(k string) {
		switch k {
		case "implicit":
			fs.Implicit = d.flow()
		case "password":
			fs.Password = d.flow()
		case "clientCredentials":
			fs.ClientCredentials = d.flow()
		case "authorizationCode":
			fs.AuthorizationCode = d.flow()
		default:
			d.ext(&fs.Extensions, k)
		}
	})
	return fs
}

func (d *leanDec) flow() *openapi3.OAuthFlow {
	if d.isNull() {
		return nil
	}
	f := &openapi3.OAuthFlow{}
	d.object(func(k string) {
		switch k {
		case "authorizationUrl":
			f.AuthorizationURL = d.str()
		case "tokenUrl":
			f.TokenURL = d.str()
		case "refreshUrl":
			f.RefreshURL = d.str()
		case "scopes":
			if !d.isNull() {
				f.Scopes = map[string]string{}
				d.object(func(name string) { f.Scopes[name] = d.str() })
			}
		default:
			d.ext(&f.Extensions, k)
		}
	})
	return f
}

// resolve queues a local component $ref: "#/components/SECTION/NAME" only.
// Any other form (another file, a pointer into a component) declines the
// document, since the full loader resolves those.
func (d *leanDec) resolve(ref, section string, set func(c *openapi3.Components, name string) bool) {
	name, ok := strings.CutPrefix(ref, "#/components/"+section+"/")
	if !ok || strings.ContainsAny(name, "/%") {
		d.bail("non-local $ref " + ref)
	}
	name = strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
	d.refs = append(d.refs, func(c *openapi3.Components) {
		if !set(c, name) {
			d.bail("unresolvable $ref " + ref)
		}
	})
}

// chase follows a component's own $ref chain to its value; a missing
// component or a cycle declines.
func chase[R any, V any](m map[string]*R, name string, get func(*R) (string, *V), out **V) bool {
	for range 64 {
		r, ok := m[name]
		if !ok || r == nil {
			return false
		}
		ref, v := get(r)
		if v != nil {
			*out = v
			return true
		}
		if ref == "" {
			return false
		}
		next, ok := strings.CutPrefix(ref, "#/components/")
		if !ok {
			return false
		}
		_, name, ok = strings.Cut(next, "/")
		if !ok {
			return false
		}
		name = strings.ReplaceAll(strings.ReplaceAll(name, "~1", "/"), "~0", "~")
	}
	return false
}
