package compat

import (
	"strings"

	"github.com/accord-dev/accord/compat/rules"
	"github.com/getkin/kin-openapi/openapi3"
)

// opSecurity compares an operation's effective security. When both sides
// inherit the document's `security`, the subject is the document's, so one
// global change is one finding listing every operation.
func (e *engine) opSecurity(c *opCtx) {
	bs, bDoc := effectiveSecurity(c.bOp.Security, e.base.OpenAPI.Security)
	hs, hDoc := effectiveSecurity(c.hOp.Security, e.head.OpenAPI.Security)
	at := c.root.child("security")
	if bDoc && hDoc {
		at = rootPath("security", "", "#/security", "#/security")
	}
	d := &rules.SecurityDiff{Base: bs, Head: hs}
	e.run(e.checks.security, opScope(c.idx), at, rules.None, func(r *rules.Rule, rep rules.Reporter) { r.Security(d, rep) })
	for _, req := range bs {
		for name := range req {
			e.schemeUse[name] = append(e.schemeUse[name], c.idx)
		}
	}
}

func effectiveSecurity(op *openapi3.SecurityRequirements, doc openapi3.SecurityRequirements) ([]rules.Requirement, bool) {
	list, fromDoc := doc, true
	if op != nil {
		list, fromDoc = *op, false
	}
	out := make([]rules.Requirement, 0, len(list))
	for _, r := range list {
		out = append(out, rules.Requirement(r))
	}
	return out, fromDoc
}

// schemes compares every security scheme some base operation requires.
func (e *engine) schemes() {
	var bComp, hComp openapi3.SecuritySchemes
	if c := e.base.OpenAPI.Components; c != nil {
		bComp = c.SecuritySchemes
	}
	if c := e.head.OpenAPI.Components; c != nil {
		hComp = c.SecuritySchemes
	}
	for _, name := range sortedKeys(e.schemeUse) {
		b := bComp[name]
		if b == nil || b.Value == nil {
			continue // undefined in base: nothing clients could have used
		}
		d := &rules.SchemeDiff{Name: name, Base: openAPIScheme(b.Value)}
		if h := hComp[name]; h != nil && h.Value != nil {
			d.Head = openAPIScheme(h.Value)
		}
		e.runScheme(name, d, e.schemeUse[name])
	}
}

func (e *engine) runScheme(name string, d *rules.SchemeDiff, ops []int32) {
	ptr := "#/components/securitySchemes/" + escapeToken(name)
	at := rootPath("components.securitySchemes."+name, ".", ptr, ptr)
	e.run(e.checks.scheme, scope{node: -1, ops: ops}, at, rules.None, func(r *rules.Rule, rep rules.Reporter) { r.Scheme(d, rep) })
}

func openAPIScheme(s *openapi3.SecurityScheme) *rules.Scheme {
	out := &rules.Scheme{
		Type: s.Type, In: s.In, Name: s.Name,
		HTTPScheme:       strings.ToLower(s.Scheme),
		OpenIDConnectURL: s.OpenIdConnectUrl,
	}
	if f := s.Flows; f != nil {
		out.Flows = map[string]rules.OAuthFlow{}
		for name, flow := range map[string]*openapi3.OAuthFlow{
			"implicit": f.Implicit, "password": f.Password,
			"clientCredentials": f.ClientCredentials, "authorizationCode": f.AuthorizationCode,
		} {
			if flow != nil {
				out.Flows[name] = rules.OAuthFlow{
					AuthorizationURL: flow.AuthorizationURL, TokenURL: flow.TokenURL,
					RefreshURL: flow.RefreshURL, Scopes: sortedKeys(flow.Scopes),
				}
			}
		}
	}
	return out
}

// opServers compares the servers an operation is served from; the
// document's servers are one subject for every operation using them.
func (e *engine) opServers(c *opCtx) {
	bs, bDoc := effectiveServers(c.bOp.Servers, c.bItem.Servers, e.base.OpenAPI.Servers)
	hs, hDoc := effectiveServers(c.hOp.Servers, c.hItem.Servers, e.head.OpenAPI.Servers)
	if len(bs) == 0 || len(hs) == 0 {
		return
	}
	at := c.root.child("servers")
	if bDoc && hDoc {
		at = rootPath("servers", "", "#/servers", "#/servers")
	}
	d := &rules.ServersDiff{Base: bs, Head: hs}
	e.run(e.checks.servers, opScope(c.idx), at, rules.None, func(r *rules.Rule, rep rules.Reporter) { r.Servers(d, rep) })
}

func effectiveServers(op *openapi3.Servers, item, doc openapi3.Servers) ([]string, bool) {
	list, fromDoc := doc, true
	switch {
	case op != nil && len(*op) > 0:
		list, fromDoc = *op, false
	case len(item) > 0:
		list, fromDoc = item, false
	}
	out := make([]string, 0, len(list))
	for _, s := range list {
		if s != nil {
			out = append(out, strings.TrimSuffix(s.URL, "/"))
		}
	}
	return out, fromDoc
}
