package generator

import (
	"strings"
	"testing"
)

// TestSecurityRequirements checks the effective security of each operation
// of the security-schemes case: operation-level overrides document-level,
// `[]` is open, alternatives and AND'ed schemes keep their scopes, signing
// schemes are left to the signature step, webhooks do not inherit.
func TestSecurityRequirements(t *testing.T) {
	res := genCase(t, casesDir+"/security-schemes")
	a := res.Model.Auth
	want := map[string]string{
		"listThings":   "",
		"getThing":     `[]accordrt.SecurityRequirement{{{Scheme: "bearerAuth"}}}`,
		"createThing":  `[]accordrt.SecurityRequirement{{{Scheme: "apiKey"}, {Scheme: "oauth", Scopes: []string{"things:write"}}}, {{Scheme: "basicAuth"}}}`,
		"deleteThing":  `[]accordrt.SecurityRequirement{{{Scheme: "mtls"}}, {{Scheme: "oidc", Scopes: []string{"openid", "admin"}}}, {}}`,
		"signedCall":   `[]accordrt.SecurityRequirement{{{Scheme: "cookieKey"}}}`,
		"thingChanged": "",
	}
	for id, w := range want {
		if got := a.OperationLiteral(id); got != w {
			t.Errorf("%s: %s\nwant %s", id, got, w)
		}
	}
	var names []string
	for _, s := range a.Schemes {
		names = append(names, s.Name+"="+s.Kind)
		if s.Name == "oauth" && (s.TokenURL != "https://auth.example.com/oauth/token" || strings.Join(s.TokenScopes, " ") != "things:write") {
			t.Errorf("oauth: token URL %q, scopes %q", s.TokenURL, s.TokenScopes)
		}
	}
	if got := strings.Join(names, " "); got != "apiKey=apiKey basicAuth=basic bearerAuth=bearer cookieKey=apiKey mtls=mutualTLS oauth=oauth2 oidc=openIdConnect" {
		t.Errorf("schemes %s", got)
	}
	opts := strings.Join(a.names(allParts()), " ")
	if opts != "WithApiKey WithBasicAuthBasic WithBearerAuthBearer WithCookieKeyAPIKey WithMtlsClientCertificate WithOauthBearer WithOauthClientCredentials WithOidcBearer" {
		t.Errorf("option names %s", opts)
	}
}
