package rules

import (
	"github.com/accord-dev/accord/contracts"
	"github.com/getkin/kin-openapi/openapi3"
)

// The *Diff types are the pairs the engine hands to checks. A nil Base or
// Head means the element is absent on that side; the engine only passes a
// one-sided pair to the kinds of check that judge presence (PathDiff,
// OperationDiff, ParameterDiff, HeaderDiff, ChannelDiff, MessageDiff), and
// never calls checks on an element whose parent is already reported absent.

// PathDiff pairs one OpenAPI path item, matched on its template with
// parameter names ignored.
type PathDiff struct {
	BasePath, HeadPath string
	Base, Head         *openapi3.PathItem
}

// Operation is what operation-level checks need from an operation of either
// kind of contract.
type Operation struct {
	ID         string
	Deprecated bool
	Extensions map[string]any
}

// OperationDiff pairs one operation: OpenAPI method + path (or webhook, or
// callback), AsyncAPI channel address + action.
type OperationDiff struct {
	Key        string
	Base, Head *Operation
	// Life carries the comparison date and grace period for the
	// deprecation rules.
	Life Lifecycle
}

// Requirement is one security alternative: every scheme named must be
// satisfied, with at least the listed scopes.
type Requirement map[string][]string

// SecurityDiff pairs an operation's effective security: the list of
// alternatives, any one of which suffices. A nil list means no security.
type SecurityDiff struct {
	Base, Head []Requirement
}

// OAuthFlow is one OAuth 2 flow of a scheme.
type OAuthFlow struct {
	AuthorizationURL, TokenURL, RefreshURL string
	Scopes                                 []string
}

// Scheme is a security scheme of either kind of contract, reduced to what
// decides whether a client's credentials still work.
type Scheme struct {
	Type             string // apiKey, http, oauth2, openIdConnect, mutualTLS, userPassword, ...
	In, Name         string // apiKey: where the key goes and under which name
	HTTPScheme       string // http: basic, bearer, ... (lower case)
	Flows            map[string]OAuthFlow
	OpenIDConnectURL string
}

// SchemeDiff pairs a security scheme that some operation of base requires.
type SchemeDiff struct {
	Name       string
	Base, Head *Scheme
}

// ServersDiff pairs the server URLs an operation is served from (normalised:
// no trailing slash). Empty means the document declares none.
type ServersDiff struct {
	Base, Head []string
}

// ParameterDiff pairs one parameter of an operation, matched on location and
// name (path parameters on their position in the template, so a rename
// still matches; header names case-insensitively).
type ParameterDiff struct {
	Base, Head *openapi3.Parameter
	// BaseSchema and HeadSchema are the parameter's schema, from `schema` or
	// from its single `content` entry.
	BaseSchema, HeadSchema *openapi3.Schema
}

// BodyDiff pairs an operation's request body when at least one side has one.
type BodyDiff struct {
	Base, Head *openapi3.RequestBody
}

// ContentDiff pairs the media types of a request body or of one response.
type ContentDiff struct {
	// Dir is the direction the content travels: Request for an OpenAPI
	// request body, Response for a response (reversed for webhooks and
	// callbacks, which the API sends).
	Dir        Direction
	Base, Head openapi3.Content
}

// ResponsesDiff pairs an operation's responses.
type ResponsesDiff struct {
	Dir        Direction
	Base, Head *openapi3.Responses
}

// HeaderDiff pairs one response header (names compare case-insensitively).
type HeaderDiff struct {
	Name       string
	Base, Head *openapi3.Header
}

// SchemaDiff pairs two schemas in one direction. Base and Head are views
// that read allOf as one object; see View.
type SchemaDiff struct {
	Dir        Direction
	Base, Head *View
	// Partial is set when exactly one side is a oneOf/anyOf: the plain side
	// is then compared as a single variant, and only variant and
	// nullability checks run at this level (the matched variants are
	// compared in full below it).
	Partial bool
	// Variants pairs the oneOf/anyOf variants of both sides (or the plain
	// side as its own variant when Partial).
	Variants []VariantPair
	// Text is set for values that travel as text (parameters, headers and
	// everything inside them): types compare by the strings they accept.
	Text bool
	// Wire is the parameter's serialisation on each side, at the top of a
	// parameter's schema only (nil elsewhere).
	Wire *Wires
}

// Wires pairs the serialisations of a parameter.
type Wires struct{ Base, Head ParamWire }

// RefDiff pairs two $refs found at the same place: the engine passes it when
// the component names differ.
type RefDiff struct {
	BaseRef, HeadRef string
	// BaseNameInHead: base's component still exists in head; HeadNameInBase:
	// head's component already existed in base. Neither means a rename.
	BaseNameInHead, HeadNameInBase bool
}

// ChannelDiff pairs an AsyncAPI channel, matched on its address (parameter
// names ignored), or on its key when the address changed.
type ChannelDiff struct {
	Base, Head *contracts.Channel
}

// MessageDiff pairs a message of an AsyncAPI operation.
type MessageDiff struct {
	// Dir is Response for a message the application sends (consumers read
	// it), Request for one it receives (producers write it).
	Dir        Direction
	Base, Head *contracts.Message
}
