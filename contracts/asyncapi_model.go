package contracts

import "github.com/getkin/kin-openapi/openapi3"

// AsyncAPI is an AsyncAPI 2.6 or 3.0 document in one model. Every $ref is
// resolved; the Ref fields remember the component a value came from, so that
// compat can judge a component once and generators can name types after it.
// Direction is always from the application's point of view: in 2.x a
// `subscribe` operation means the application sends, `publish` that it
// receives.
//
// Sharing, for consumers that compare by pointer: there is one *Channel per
// channel site (a root channels entry, a components entry) and operations
// point at the root one; one *Message per message site (a 3.0 channel's
// messages entry, a components entry, a 2.x operation's message), so a 3.0
// operation's Messages are its channel's pointers, and 2.x operations on one
// channel share the channel's *Message for the same component. Schema
// Values are shared by every $ref to one definition (recursion makes
// pointer cycles). Pointer and Pos say where an element is defined, after
// its $ref was followed, in that file; Key and Ref describe the site.
type AsyncAPI struct {
	Version            string
	ID                 string
	Info               AsyncInfo
	DefaultContentType string
	Servers            []*AsyncServer    // sorted by name
	Channels           []*Channel        // sorted by key
	Operations         []*AsyncOperation // sorted by ID
	Components         AsyncComponents
	// Extensions holds the root's x-* fields (x-accord among them), decoded
	// as JSON values (map[string]any, []any, string, float64, bool, nil).
	Extensions map[string]any

	// deferred are problems the loader found while resolving references
	// (unknown channels, messages, servers) that leave the model usable;
	// Validate reports them.
	deferred []Problem
}

// AsyncInfo is the document's info object.
type AsyncInfo struct {
	Title, Version, Description string
}

// AsyncServer is one entry of servers.
type AsyncServer struct {
	Name            string
	Host            string // 3.0 host; 2.x url
	Protocol        string
	ProtocolVersion string
	Pathname        string
	Description     string
	Bindings        map[string]any // kept raw
	Pointer         string         // JSON pointer in its file
	Pos             Position
}

// Channel is a place messages travel through.
type Channel struct {
	// Key is the name under channels: the channel id in 3.0, the address in 2.x.
	Key string
	// Address is the topic/queue/path with {parameters}; empty when a 3.0
	// channel's address is null (dynamic, not known at design time).
	Address     string
	Title       string
	Description string
	Parameters  []*ChannelParameter // sorted by name
	// Messages the channel may carry: 3.0 channel.messages; in 2.x the union
	// of the publish and subscribe operations' messages.
	Messages []*Message
	Servers  []string // names of servers; empty = all
	Bindings map[string]any
	Ref      string // "#/components/channels/x" when the channel was a $ref
	Pointer  string
	Pos      Position
}

// ChannelParameter is a {name} in a channel address.
type ChannelParameter struct {
	Name        string
	Description string
	Location    string              // runtime expression, e.g. $message.payload#/user/id
	Schema      *openapi3.SchemaRef // 2.x schema; 3.0 enum/default become a string schema
	Pointer     string
	Pos         Position
}

// Action is an operation's direction from the application's point of view.
type Action string

const (
	// ActionSend: the application publishes; consumers read these messages.
	ActionSend Action = "send"
	// ActionReceive: the application consumes; producers write these messages.
	ActionReceive Action = "receive"
)

// AsyncOperation is one thing the application does on a channel.
type AsyncOperation struct {
	// ID is the operationId (2.x; synthesised as "<action><Channel>" when
	// absent) or the key under operations (3.0).
	ID          string
	Action      Action
	Channel     *Channel
	Messages    []*Message // the operation's messages; all the channel's when unspecified
	Title       string
	Summary     string
	Description string
	Security    []map[string][]string // security requirements by scheme name
	Bindings    map[string]any
	Reply       *OperationReply
	Extensions  map[string]any // x-* fields after traits are applied
	Pointer     string
	Pos         Position

	// IDSynthesized is set when a 2.x operation has no operationId and ID
	// was made up from its action and channel.
	IDSynthesized bool
}

// OperationReply is a 3.0 request/reply operation's reply.
type OperationReply struct {
	Channel  *Channel
	Address  string // static reply address, or the runtime expression
	Messages []*Message
}

// Message is one kind of message, with traits applied.
type Message struct {
	// Key is the component name under components/messages, or the key under
	// the channel's messages in 3.0; empty for an inline 2.x message.
	Key           string
	Name          string
	Title         string
	Summary       string
	Description   string
	ContentType   string // resolved against defaultContentType
	SchemaFormat  string // when not a JSON Schema dialect, Payload is nil and RawPayload kept
	Headers       *openapi3.SchemaRef
	Payload       *openapi3.SchemaRef
	RawPayload    any
	CorrelationID *CorrelationID
	Bindings      map[string]any
	Extensions    map[string]any
	Ref           string // "#/components/messages/x" when referenced
	Pointer       string
	Pos           Position
}

// CorrelationID says where a message's correlation id lives.
type CorrelationID struct {
	Location    string
	Description string
}

// AsyncComponents holds the reusable definitions.
type AsyncComponents struct {
	Schemas         map[string]*openapi3.SchemaRef
	Messages        map[string]*Message
	Channels        map[string]*Channel // 3.0 only
	SecuritySchemes map[string]map[string]any
	Extensions      map[string]any

	Parameters     map[string]*ChannelParameter
	Servers        map[string]*AsyncServer
	CorrelationIDs map[string]*CorrelationID
	Operations     map[string]*AsyncOperation // 3.0 only
	Replies        map[string]*OperationReply // 3.0 only
}
