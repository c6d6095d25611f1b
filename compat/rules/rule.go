// Package rules is the registry of compat rules: what each rule detects, how
// bad it is, what it does to a consumer and how to avoid it, and the check
// itself. The engine in package compat walks two documents, pairs their
// elements (operations, parameters, schemas, messages, ...) and hands each
// pair to the rules that inspect that kind of element; the rules only judge a
// pair and report hits. Pairing, memoisation, root-cause attribution and
// positions stay in the engine, so a rule file reads as the rule's definition.
//
// Every rule lives in its own file and is listed once in All. IDs are
// kebab-case and never change: accepted-breaks files and CI configurations
// refer to them.
package rules

// Severity mirrors compat.Severity (this package cannot import compat, which
// imports it).
type Severity string

const (
	// Error breaks existing clients or consumers on the wire (or, for an sdk
	// rule, breaks generated clients' source).
	Error Severity = "error"
	// Warning may break some clients, depending on how they are written.
	Warning Severity = "warning"
	// Info breaks nobody.
	Info Severity = "info"
)

// Profile says which comparison profile a rule belongs to.
type Profile string

const (
	// Wire rules judge what travels between client and server. They run
	// under both profiles.
	Wire Profile = "wire"
	// SDK rules judge what breaks generated clients' source code even when
	// the wire format still works. They run only under the sdk profile.
	SDK Profile = "sdk"
)

// Direction is the data flow a rule applies to. A request is written by the
// API's clients (OpenAPI request parts, webhook responses, AsyncAPI messages
// the application receives); a response is read by them (OpenAPI responses,
// webhook requests, AsyncAPI messages the application sends).
type Direction string

const (
	// Request: the rule only runs on data clients write.
	Request Direction = "request"
	// Response: the rule only runs on data clients read.
	Response Direction = "response"
	// Both: the rule runs on data in either direction (its logic may still
	// depend on the direction; see Asymmetries).
	Both Direction = "both"
	// None: the rule is not about data (operations, channels, security).
	None Direction = "none"
)

// Side says which document a hit's element lives in.
type Side string

const (
	// Head: the element exists in the new document.
	Head Side = "head"
	// Base: the element only exists in the old document (it was removed).
	Base Side = "base"
)

// Categories group rules in reports.
const (
	CatRemoval     = "removal"     // something clients use is gone
	CatRequirement = "requirement" // clients must now send more
	CatType        = "type"        // the shape of a value changed
	CatConstraint  = "constraint"  // the accepted or produced range changed
	CatEnum        = "enum"        // the set of allowed values changed
	CatComposition = "composition" // oneOf/anyOf/discriminator changed
	CatMedia       = "media"       // media types or status codes changed
	CatSecurity    = "security"    // authentication changed
	CatServer      = "server"      // where the API lives changed
	CatSDK         = "sdk"         // generated code changes, wire unchanged
)

// Rule describes one kind of breaking change and carries its check.
type Rule struct {
	// ID is kebab-case and stable forever.
	ID       string
	Category string
	Severity Severity
	Profile  Profile
	// Direction is the data flow the check runs on; the engine never calls
	// a Request rule on response data and vice versa.
	Direction Direction
	// Summary is one line: what changed.
	Summary string
	// Impact is a concrete example of what the change does to a consumer.
	Impact string
	// Mitigation says how to make the change without breaking anyone.
	Mitigation string

	// Exactly one check is set: it names the kind of element the rule
	// inspects, and the engine calls it on every pair of that kind.
	Path      func(*PathDiff, Reporter)
	Operation func(*OperationDiff, Reporter)
	Security  func(*SecurityDiff, Reporter)
	Scheme    func(*SchemeDiff, Reporter)
	Servers   func(*ServersDiff, Reporter)
	Parameter func(*ParameterDiff, Reporter)
	Body      func(*BodyDiff, Reporter)
	Content   func(*ContentDiff, Reporter)
	Responses func(*ResponsesDiff, Reporter)
	Header    func(*HeaderDiff, Reporter)
	Schema    func(*SchemaDiff, Reporter)
	Ref       func(*RefDiff, Reporter)
	Channel   func(*ChannelDiff, Reporter)
	Message   func(*MessageDiff, Reporter)
	// Version judges info.version against the other findings; see VersionDiff.
	Version func(*VersionDiff, Reporter)
}

// Checks counts the checks a rule carries; a valid rule has exactly one.
func (r Rule) Checks() int {
	n := 0
	for _, set := range []bool{
		r.Path != nil, r.Operation != nil, r.Security != nil, r.Scheme != nil,
		r.Servers != nil, r.Parameter != nil, r.Body != nil, r.Content != nil,
		r.Responses != nil, r.Header != nil, r.Schema != nil, r.Ref != nil,
		r.Channel != nil, r.Message != nil, r.Version != nil,
	} {
		if set {
			n++
		}
	}
	return n
}

// AppliesTo reports whether the rule runs on data flowing in dir.
func (r Rule) AppliesTo(dir Direction) bool {
	switch r.Direction {
	case Request, Response:
		return r.Direction == dir
	}
	return true
}

// Hit is one change a check found. The engine turns hits into findings:
// it adds the rule, the readable subject, the pointer and position, the
// affected operations and the fingerprint.
type Hit struct {
	// At locates the changed element below the pair the check was given,
	// as path tokens ("maxLength", or "content", "application/json").
	// Empty means the pair's element itself.
	At []string
	// Prop, for schema checks, names the changed property of the object:
	// the engine knows where each property is written (allOf members
	// included) and places the hit there. At is then appended below it.
	Prop string
	// Side is Head unless the element only exists in base (removed).
	Side Side
	// Before and After render the changed value briefly ("integer", "[a b]").
	Before, After string
	// Message says what changed, in one sentence naming the element.
	Message string
	// Sunset is the removed element's x-sunset date, when base marked it
	// deprecated with one.
	Sunset string
}

// Reporter receives a check's hits.
type Reporter interface {
	Report(Hit)
}
