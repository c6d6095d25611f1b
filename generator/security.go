package generator

import (
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"

	"github.com/accord-dev/accord/contracts"
)

// Auth is the contract's security as the templates render it: the
// securitySchemes credentials go through (signing schemes excluded: the
// signature step checks those) and each operation's effective requirement.
type Auth struct {
	Schemes []AuthScheme
	// ops holds each operation's requirement as a Go expression of the
	// runtime's []SecurityRequirement, by operation ID.
	ops map[string]string
}

// AuthScheme is one security scheme and the names generated for it.
type AuthScheme struct {
	Name string
	// Kind is the runtime's Scheme… constant value ("bearer", "basic",
	// "http", "apiKey", "oauth2", "openIdConnect", "mutualTLS").
	Kind       string
	HTTPScheme string
	In         string
	ParamName  string
	// TokenURL is the clientCredentials flow's token endpoint, "" without
	// that flow; TokenScopes the scopes the token request asks for: every
	// scope an operation requires with this scheme.
	TokenURL    string
	TokenScopes []string
	// Literal is the scheme as a runtime SecurityScheme expression.
	Literal string
	// GoName is the scheme's name as a Go identifier ("bearerAuth" →
	// "BearerAuth"), unique among the contract's schemes.
	GoName string
}

// Option is the client option's name for suffix ("Bearer", "APIKey"...):
// With<GoName><suffix>, the suffix left out where the name already ends so
// (scheme "apiKey" gives WithApiKey, not WithApiKeyAPIKey).
func (s AuthScheme) Option(suffix string) string {
	if strings.HasSuffix(strings.ToLower(s.GoName), strings.ToLower(suffix)) {
		return "With" + s.GoName
	}
	return "With" + s.GoName + suffix
}

// Method is the Authenticator method checking this scheme.
func (s AuthScheme) Method() string { return "Authenticate" + s.GoName }

// Bearer says the scheme carries bearer tokens (http bearer, OAuth2, OpenID
// Connect).
func (s AuthScheme) Bearer() bool {
	return s.Kind == "bearer" || s.Kind == "oauth2" || s.Kind == "openIdConnect"
}

// OperationLiteral is an operation's security as a Go expression, "" for
// an open operation.
func (a Auth) OperationLiteral(id string) string { return a.ops[id] }

// names are the package-level names the auth template declares for this
// contract's schemes; they depend on the contract, so they are reserved
// for this generation on top of the contract-independent ones.
func (a Auth) names(parts Parts) []string {
	var out []string
	for _, s := range a.Schemes {
		if parts.Client {
			switch {
			case s.Bearer():
				out = append(out, s.Option("Bearer"))
				if s.TokenURL != "" {
					out = append(out, s.Option("ClientCredentials"))
				}
			case s.Kind == "basic":
				out = append(out, s.Option("Basic"))
			case s.Kind == "apiKey":
				out = append(out, s.Option("APIKey"))
			case s.Kind == "mutualTLS":
				out = append(out, s.Option("ClientCertificate"))
			}
		}
	}
	return out
}

// buildAuth reads the document's securitySchemes and every operation's
// effective security: the operation's own when it has one (`[]` meaning
// none), else the document's. Webhooks are requests the provider sends, so
// the document's security (the provider's API) does not apply to them;
// only their own does.
func buildAuth(doc *contracts.Document, pols []contracts.OperationPolicy) Auth {
	t := doc.OpenAPI
	var a Auth
	schemes := map[string]*AuthScheme{}
	if t.Components != nil {
		for _, name := range sortedKeys(t.Components.SecuritySchemes) {
			ref := t.Components.SecuritySchemes[name]
			if ref == nil || ref.Value == nil {
				continue
			}
			if s, ok := authScheme(name, ref.Value); ok {
				a.Schemes = append(a.Schemes, s)
			}
		}
	}
	taken := map[string]bool{}
	for i := range a.Schemes {
		s := &a.Schemes[i]
		base := codegen.SchemaNameToTypeName(s.Name)
		s.GoName = base
		for n := 2; taken[s.GoName]; n++ {
			s.GoName = base + strconv.Itoa(n)
		}
		taken[s.GoName] = true
		schemes[s.Name] = s
	}

	scopes := map[string][]string{}
	a.ops = map[string]string{}
	for _, p := range pols {
		var op *openapi3.Operation
		var reqs *openapi3.SecurityRequirements
		if p.Webhook {
			if item := t.Webhooks[p.Path]; item != nil {
				op = item.GetOperation(p.Method)
			}
		} else if t.Paths != nil {
			if item := t.Paths.Value(p.Path); item != nil {
				op = item.GetOperation(p.Method)
			}
			reqs = &t.Security
		}
		if op != nil && op.Security != nil {
			reqs = op.Security
		}
		if reqs == nil || len(*reqs) == 0 {
			continue
		}
		var alts []string
		for _, req := range *reqs {
			var items []string
			for _, name := range sortedKeys(req) {
				if _, isSignature := signatureScheme(t, name); isSignature {
					// Checked by the signature step (x-accord signature).
					continue
				}
				sc := slices.Clone(req[name])
				if s := schemes[name]; s != nil && s.TokenURL != "" {
					scopes[name] = append(scopes[name], sc...)
				}
				item := "{Scheme: " + strconv.Quote(name)
				if len(sc) > 0 {
					item += ", Scopes: " + stringsLiteral(sc)
				}
				items = append(items, item+"}")
			}
			alts = append(alts, "{"+strings.Join(items, ", ")+"}")
		}
		a.ops[p.ID] = "[]accordrt.SecurityRequirement{" + strings.Join(alts, ", ") + "}"
	}
	for i := range a.Schemes {
		s := &a.Schemes[i]
		sc := scopes[s.Name]
		sort.Strings(sc)
		s.TokenScopes = slices.Compact(sc)
	}
	return a
}

// signatureScheme reports a scheme carrying x-accord-signature.
func signatureScheme(t *openapi3.T, name string) (*openapi3.SecurityScheme, bool) {
	if t.Components == nil {
		return nil, false
	}
	ref := t.Components.SecuritySchemes[name]
	if ref == nil || ref.Value == nil {
		return nil, false
	}
	_, ok := ref.Value.Extensions[contracts.SignatureKey]
	return ref.Value, ok
}

// authScheme classifies one securityScheme; signing schemes and types the
// runtime cannot take credentials for are left out (an operation requiring
// only those fails closed on the server: no authenticator can exist).
func authScheme(name string, v *openapi3.SecurityScheme) (AuthScheme, bool) {
	if _, ok := v.Extensions[contracts.SignatureKey]; ok {
		return AuthScheme{}, false
	}
	s := AuthScheme{Name: name}
	if ext, ok := v.Extensions[contracts.PolicyKey].(map[string]any); ok && ext["mutualTLS"] == true {
		s.Kind = "mutualTLS"
	} else {
		switch v.Type {
		case "http":
			s.HTTPScheme = v.Scheme
			switch strings.ToLower(v.Scheme) {
			case "bearer":
				s.Kind = "bearer"
			case "basic":
				s.Kind = "basic"
			case "":
				return AuthScheme{}, false
			default:
				s.Kind = "http"
			}
		case "apiKey":
			if v.In != "header" && v.In != "query" && v.In != "cookie" || v.Name == "" {
				return AuthScheme{}, false
			}
			s.Kind, s.In, s.ParamName = "apiKey", v.In, v.Name
		case "oauth2":
			s.Kind = "oauth2"
			if v.Flows != nil && v.Flows.ClientCredentials != nil {
				s.TokenURL = v.Flows.ClientCredentials.TokenURL
			}
		case "openIdConnect":
			s.Kind = "openIdConnect"
		case "mutualTLS":
			s.Kind = "mutualTLS"
		default:
			return AuthScheme{}, false
		}
	}
	var declared []string
	if v.Flows != nil && v.Flows.ClientCredentials != nil {
		declared = sortedKeys(v.Flows.ClientCredentials.Scopes)
	}
	fields := []string{"Name: " + strconv.Quote(name), "Kind: " + strconv.Quote(s.Kind)}
	add := func(k, v string) {
		if v != "" {
			fields = append(fields, k+": "+strconv.Quote(v))
		}
	}
	add("HTTPScheme", s.HTTPScheme)
	add("BearerFormat", v.BearerFormat)
	add("In", s.In)
	add("ParamName", s.ParamName)
	add("TokenURL", s.TokenURL)
	if len(declared) > 0 {
		fields = append(fields, "Scopes: "+stringsLiteral(declared))
	}
	add("OpenIDConnectURL", v.OpenIdConnectUrl)
	s.Literal = "{" + strings.Join(fields, ", ") + "}"
	return s, true
}

func stringsLiteral(ss []string) string {
	if len(ss) == 0 {
		return "nil"
	}
	q := make([]string, len(ss))
	for i, s := range ss {
		q[i] = strconv.Quote(s)
	}
	return "[]string{" + strings.Join(q, ", ") + "}"
}
