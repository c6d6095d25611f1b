package runtime

import (
	"slices"
	"strings"
)

// Security scheme kinds, as the generator classifies a contract's
// securitySchemes. OAuth2 and OpenID Connect carry bearer tokens on the wire;
// they are kinds of their own because their challenges and client options
// differ.
const (
	SchemeBearer    = "bearer" // type: http, scheme: bearer
	SchemeBasic     = "basic"  // type: http, scheme: basic
	SchemeHTTP      = "http"   // type: http with another scheme: the raw credentials after it
	SchemeAPIKey    = "apiKey" // type: apiKey, in header, query or cookie
	SchemeOAuth2    = "oauth2" // type: oauth2: bearer access tokens
	SchemeOIDC      = "openIdConnect"
	SchemeMutualTLS = "mutualTLS" // type: mutualTLS (3.1), or x-accord: {mutualTLS: true}
)

// SecurityScheme is one of the contract's securitySchemes as the runtime
// needs it to take credentials from a request or put them on one.
type SecurityScheme struct {
	Name string // the key under components.securitySchemes
	Kind string // Scheme… constant
	// HTTPScheme is the Authorization scheme ("Bearer", "Basic", "Digest",
	// as the contract spells it) for http kinds.
	HTTPScheme   string
	BearerFormat string
	// In and ParamName locate an API key: "header", "query" or "cookie".
	In        string
	ParamName string
	// TokenURL is the OAuth2 clientCredentials flow's token endpoint, ""
	// when the contract declares no such flow; Scopes are that flow's
	// declared scopes.
	TokenURL string
	Scopes   []string
	// OpenIDConnectURL is the discovery document of an openIdConnect scheme.
	OpenIDConnectURL string
}

// SchemeScopes names one scheme of a requirement and the scopes (OAuth2,
// OpenID Connect; roles for other kinds) a caller needs on it.
type SchemeScopes struct {
	Scheme string
	Scopes []string
}

// SecurityRequirement is one alternative of an operation's security: every
// scheme in it must be satisfied (AND). An empty requirement lets anonymous
// callers in. Operation.Security lists the alternatives (OR); an operation
// without any is open.
type SecurityRequirement []SchemeScopes

// rtHasScopes reports whether granted holds every scope of want.
func rtHasScopes(granted, want []string) bool {
	for _, s := range want {
		if !slices.Contains(granted, s) {
			return false
		}
	}
	return true
}

// rtQuote writes s as an RFC 9110 quoted-string: a challenge parameter must
// not let a realm or scope close the quotes.
func rtQuote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c < 0x20 || c == 0x7f:
			// Control characters cannot appear in a header value.
		default:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}
