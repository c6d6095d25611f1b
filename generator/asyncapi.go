package generator

import (
	"bytes"
	"errors"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"sort"
	"strings"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"

	"github.com/accord-dev/accord/contracts"
)

// asyncTemplateFiles are the AsyncAPI package's templates. They are kept
// apart from templateFiles: an AsyncAPI package has no HTTP operations, and
// an OpenAPI package no channels.
func asyncTemplateFiles() []asyncTemplateFile {
	return []asyncTemplateFile{
		{"events_common.tmpl", "accord_events.gen.go", func(m *AsyncModel) bool { return m.Parts.Client || m.Parts.Server }},
		{"events_publisher.tmpl", "accord_events_publisher.gen.go", func(m *AsyncModel) bool { return m.Parts.Client }},
		{"events_consumer.tmpl", "accord_events_consumer.gen.go", func(m *AsyncModel) bool { return m.Parts.Server }},
		{"events_validate.tmpl", "accord_events_validate.gen.go", func(m *AsyncModel) bool { return m.Parts.Client || m.Parts.Server }},
	}
}

type asyncTemplateFile struct {
	template, file string
	when           func(*AsyncModel) bool
}

// AsyncModel is what the events templates render: the package, and the
// operations it sends (Client: the publisher) and receives (Server: the
// handler interface and its registration).
type AsyncModel struct {
	Package, Version, Runtime, Title string
	Parts                            Parts
	Sends, Receives                  []AsyncOperation
	// Validation holds the payload and parameter validators.
	Validation Validation
}

// AsyncOperation is one send or receive operation.
type AsyncOperation struct {
	ID      string
	Summary string
	Address string // the channel address as written
	// AddressExpr is a Go expression of the address, with Params' ArgNames
	// in place of {parameters}.
	AddressExpr string
	Params      []AsyncParam
	// Messages are the operation's messages: one method each, on the
	// publisher and on the handler interface (see events_consumer.tmpl for
	// why not one method with a sum type).
	Messages []AsyncMessage

	TimeoutLit  string // Go expression; "0" for none
	Attempts    int    // handler runs before dead-lettering (retries + 1)
	Concurrency int    // handler runs in flight; 0 = unlimited
	Signature   string // x-accord signature scheme, "" when unsigned
	DLQ         string // x-accord dlq; "" for <topic>.dlq
	NoInbox     bool   // x-accord inbox: false

	BackoffBaseLit, BackoffCapLit string
}

// AsyncMessage is one message of an operation.
type AsyncMessage struct {
	Name   string // on the wire (accord-message header): the message's name or key
	Method string // PublishX on the publisher, the handler method otherwise
	Type   string // Go type of the payload
	// Check is the accValidator method of the payload schema.
	Check       string
	ContentType string
	// KeyPointer is a JSON pointer into the payload the key is read from
	// (x-accord partitionKey: $message.payload#/..., the operation's over
	// the message's); KeyRequired says the message declares a Kafka key,
	// so a publish without one is refused rather than losing per-key order
	// silently.
	KeyPointer  string
	KeyRequired bool
	// CorrelationPointer is the payload location of the correlation id.
	CorrelationPointer string
}

// AddressComment and IDComment are Address and ID fit for a line comment.
func (o AsyncOperation) AddressComment() string { return oneLine(o.Address) }
func (o AsyncOperation) IDComment() string      { return oneLine(o.ID) }

// Multi says the operation has several messages, dispatched by message.
func (o AsyncOperation) Multi() bool { return len(o.Messages) > 1 }

// HasParams says the address has parameters: a receive route is a pattern.
func (o AsyncOperation) HasParams() bool { return len(o.Params) > 0 }

// AsyncParam is a channel parameter: an argument of the publish method and
// of the handler method. Check is its accValidator method, "" for none.
type AsyncParam struct{ Name, ArgName, Check string }

// signedSchemes lists the signature schemes of ops, sorted, once each.
func signedSchemes(ops []AsyncOperation) []string {
	seen := map[string]bool{}
	var out []string
	for _, o := range ops {
		if o.Signature != "" && !seen[o.Signature] {
			seen[o.Signature] = true
			out = append(out, o.Signature)
		}
	}
	sort.Strings(out)
	return out
}

// SendSchemes and ReceiveSchemes are the signature schemes of signed
// operations, for the constructors' checks.
func (m *AsyncModel) SendSchemes() []string    { return signedSchemes(m.Sends) }
func (m *AsyncModel) ReceiveSchemes() []string { return signedSchemes(m.Receives) }

// InboxIDs lists the receive operations that deduplicate through the inbox.
func (m *AsyncModel) InboxIDs() string {
	var ids []string
	for _, o := range m.Receives {
		if !o.NoInbox {
			ids = append(ids, o.ID)
		}
	}
	return strings.Join(ids, ", ")
}

// GenerateAsync turns an AsyncAPI 2.6 or 3.0 document into one Go package:
// the payload types (through oapi-codegen, so the type mapping and repairs
// are the OpenAPI ones), a typed publisher for the send operations (Parts
// Client) and a handler interface with its registration on the runtime's
// EventConsumer for the receive operations (Parts Server).
//
// It modifies the document's schemas (x-go-name); pass a document loaded
// for this call.
func GenerateAsync(doc *contracts.Document, opts Options) (*Result, error) {
	if doc == nil || doc.Kind != contracts.KindAsyncAPI || doc.AsyncAPI == nil {
		return nil, errors.New("not an AsyncAPI contract")
	}
	if err := checkPackageName(opts.Package); err != nil {
		return nil, err
	}
	parts := opts.Parts
	if parts == (Parts{}) {
		parts = allParts()
	}
	parts = parts.normal()
	if (parts.Client || parts.Server) && opts.Runtime == "" {
		return nil, errors.New("no import path for the runtime package: a publisher or a consumer imports it (Options.Runtime)")
	}
	if ps := doc.SchemaCycles(); len(ps) > 0 {
		return nil, &contracts.Error{Class: contracts.ClassInvalid, Problems: ps}
	}
	pols, err := resolvePolicies(doc, opts)
	if err != nil {
		return nil, err
	}
	policy := map[string]contracts.Policy{}
	for _, p := range pols {
		policy[p.ID] = p.Policy
	}

	res := &Result{}
	reserved, err := asyncReservedNames(opts.templates, opts.Package)
	if err != nil {
		return nil, err
	}
	checks := buildAsyncValidation(doc.AsyncAPI)
	spec, typeOf := asyncSpec(doc.AsyncAPI)
	res.Notes = append(res.Notes, prepare(spec, reserved)...)
	goType := func(component string) string {
		if s := spec.Components.Schemas[component]; s != nil && s.Value != nil {
			if n, ok := s.Value.Extensions[extGoName].(string); ok && n != "" {
				return n
			}
		}
		return codegen.SchemaNameToTypeName(component)
	}

	out, err := runOapiCodegen(spec, oapiConfig(opts.Package, Parts{Models: true}, true))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", doc.Name, err)
	}
	models, _, notes, err := buildModels(out, opts.Package, reserved)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", doc.Name, err)
	}
	res.Notes = append(res.Notes, notes...)
	res.Files = append(res.Files, File{Name: "accord_models.gen.go", Content: models})
	declared, err := topLevelNames("accord_models.gen.go", models)
	if err != nil {
		return nil, err
	}
	have := map[string]bool{}
	for _, n := range declared {
		have[n] = true
	}

	title := doc.AsyncAPI.Info.Title
	m := &AsyncModel{Package: opts.Package, Version: Version, Runtime: opts.Runtime, Title: title, Parts: parts, Validation: checks.Validation}
	methods := map[string]string{}
	for _, op := range doc.AsyncAPI.Operations {
		ao, skip := asyncOperation(op, policy[op.ID], typeOf, goType, checks)
		if skip != "" {
			res.Notes = append(res.Notes, fmt.Sprintf("operation %s is not generated: %s", op.ID, skip))
			continue
		}
		for _, msg := range ao.Messages {
			if !have[msg.Type] {
				return nil, fmt.Errorf("%s: operation %s: its payload type %s was not generated", doc.Name, op.ID, msg.Type)
			}
			key := string(op.Action) + " " + msg.Method
			if other, ok := methods[key]; ok {
				return nil, fmt.Errorf("%s: operations %s and %s both make method %s: rename one", doc.Name, other, op.ID, msg.Method)
			}
			methods[key] = op.ID
		}
		if op.Action == contracts.ActionSend {
			m.Sends = append(m.Sends, ao)
		} else {
			m.Receives = append(m.Receives, ao)
		}
	}
	if parts.Client || parts.Server {
		files, err := renderAsyncTemplates(opts.templates, m)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, files...)
		taken, err := declaredNames(res.Files)
		if err != nil {
			return nil, err
		}
		rt, notes, err := reexports(opts.Package, opts.Runtime, parts.Adapters(), taken)
		if err != nil {
			return nil, err
		}
		res.Notes = append(res.Notes, notes...)
		res.Files = append(res.Files, rt)
	}
	sort.Slice(res.Files, func(i, j int) bool { return res.Files[i].Name < res.Files[j].Name })
	return res, nil
}

// asyncSpec builds the OpenAPI document oapi-codegen generates the payload
// types from: every component schema, plus a component for each message
// whose payload is inline (named after the message). typeOf maps a message
// to the component that is its payload type.
func asyncSpec(a *contracts.AsyncAPI) (*openapi3.T, map[*contracts.Message]string) {
	schemas := openapi3.Schemas{}
	for name, s := range a.Components.Schemas {
		if s != nil {
			schemas[name] = s
		}
	}
	typeOf := map[*contracts.Message]string{}
	var inline []*contracts.Message
	seen := map[*contracts.Message]bool{}
	for _, op := range a.Operations {
		for _, msg := range op.Messages {
			if msg == nil || msg.Payload == nil || msg.Payload.Value == nil || seen[msg] {
				continue
			}
			seen[msg] = true
			if name, ok := strings.CutPrefix(msg.Payload.Ref, "#/components/schemas/"); ok && schemas[name] != nil {
				typeOf[msg] = name
				continue
			}
			inline = append(inline, msg)
		}
	}
	// Inline payloads in operation order, so names are stable. One message
	// component used on two channels is two *Message with one payload
	// schema: one type.
	byValue := map[*openapi3.Schema]string{}
	for _, msg := range inline {
		if name, ok := byValue[msg.Payload.Value]; ok {
			typeOf[msg] = name
			continue
		}
		base := msg.Key
		if base == "" {
			base = msg.Name
		}
		if base == "" {
			base = "Message"
		}
		name := base
		for i := 2; schemas[name] != nil; i++ {
			name = fmt.Sprintf("%sPayload%d", base, i)
			if i == 2 {
				name = base + "Payload"
			}
		}
		schemas[name] = &openapi3.SchemaRef{Value: msg.Payload.Value}
		typeOf[msg] = name
		byValue[msg.Payload.Value] = name
	}
	return &openapi3.T{
		OpenAPI:    "3.0.3",
		Info:       &openapi3.Info{Title: a.Info.Title, Version: a.Info.Version},
		Paths:      openapi3.NewPaths(),
		Components: &openapi3.Components{Schemas: schemas},
	}, typeOf
}

// asyncOperation describes op for the templates, or says why it is not
// generated.
func asyncOperation(op *contracts.AsyncOperation, pol contracts.Policy, typeOf map[*contracts.Message]string, goType func(string) string, checks asyncChecks) (AsyncOperation, string) {
	if op.Channel == nil || op.Channel.Address == "" {
		return AsyncOperation{}, "its channel has no address (dynamic channels are not generated)"
	}
	if len(op.Messages) == 0 {
		return AsyncOperation{}, "it has no message"
	}
	if op.Reply != nil {
		return AsyncOperation{}, "request/reply operations are not generated"
	}
	name := codegen.SchemaNameToTypeName(op.ID)
	if op.Action == contracts.ActionSend && !strings.HasPrefix(name, "Publish") {
		name = "Publish" + name
	}
	ao := AsyncOperation{
		ID: op.ID, Summary: oneLine(op.Summary), Address: op.Channel.Address,
		TimeoutLit: durationOrZero(pol.Timeout), Attempts: pol.Retries + 1, Concurrency: pol.Concurrency,
		Signature: pol.Signature, DLQ: pol.DLQ, NoInbox: pol.NoInbox,
		BackoffBaseLit: durationOrZero(pol.BackoffBase), BackoffCapLit: durationOrZero(pol.BackoffCap),
	}
	opKey := ""
	if pol.PartitionKey != "" {
		opKey, _ = strings.CutPrefix(pol.PartitionKey, "$message.payload#")
	}
	wire := map[string]bool{}
	for _, msg := range op.Messages {
		am, skip := asyncMessage(msg, typeOf, goType, checks)
		if skip != "" {
			if len(op.Messages) > 1 {
				skip = fmt.Sprintf("message %s: %s", am.Name, skip)
			}
			return AsyncOperation{}, skip
		}
		if wire[am.Name] {
			return AsyncOperation{}, fmt.Sprintf("two of its messages are named %s; the consumer dispatches by name", am.Name)
		}
		wire[am.Name] = true
		am.Method = name
		if len(op.Messages) > 1 {
			am.Method = name + codegen.SchemaNameToTypeName(am.Name)
		}
		if opKey != "" {
			am.KeyPointer = opKey
		}
		ao.Messages = append(ao.Messages, am)
	}
	expr, params, err := addressExpr(op.Channel.Address)
	if err != nil {
		return AsyncOperation{}, err.Error()
	}
	for i := range params {
		for _, cp := range op.Channel.Parameters {
			if cp.Name == params[i].Name {
				params[i].Check = checks.param[cp]
			}
		}
	}
	ao.AddressExpr, ao.Params = expr, params
	return ao, ""
}

// asyncMessage describes one message of an operation (Method is the
// caller's), or says why it is not generated.
func asyncMessage(msg *contracts.Message, typeOf map[*contracts.Message]string, goType func(string) string, checks asyncChecks) (AsyncMessage, string) {
	am := AsyncMessage{Name: msg.Name, ContentType: msg.ContentType, Check: checks.payload[msg]}
	if am.Name == "" {
		am.Name = msg.Key
	}
	if am.Name == "" {
		am.Name = typeOf[msg]
	}
	if msg.Payload == nil {
		if msg.SchemaFormat != "" {
			return am, fmt.Sprintf("its payload is %s; only JSON Schema payloads are generated", msg.SchemaFormat)
		}
		return am, "its message has no payload schema"
	}
	if !jsonContentType(msg.ContentType) {
		return am, fmt.Sprintf("its content type is %s; only JSON payloads are encoded", msg.ContentType)
	}
	am.Type = goType(typeOf[msg])
	if am.ContentType == "" {
		am.ContentType = "application/json"
	}
	if kb, ok := msg.Bindings["kafka"].(map[string]any); ok && kb["key"] != nil {
		am.KeyRequired = true
	}
	if x, ok := msg.Extensions[contracts.PolicyKey].(map[string]any); ok {
		for _, k := range sortedKeys(x) {
			if k != "partitionKey" {
				return am, fmt.Sprintf("its message's x-accord has %q; a message's x-accord takes partitionKey only (the rest goes on the operation)", k)
			}
		}
		if loc, ok := x["partitionKey"].(string); ok {
			ptr, ok := strings.CutPrefix(loc, "$message.payload#")
			if !ok {
				return am, fmt.Sprintf("x-accord partitionKey %q is not a $message.payload# location", loc)
			}
			am.KeyPointer = ptr
		}
	}
	if c := msg.CorrelationID; c != nil {
		if ptr, ok := strings.CutPrefix(c.Location, "$message.payload#"); ok {
			am.CorrelationPointer = ptr
		}
	}
	return am, ""
}

func jsonContentType(ct string) bool {
	ct, _, _ = strings.Cut(strings.ToLower(strings.TrimSpace(ct)), ";")
	ct = strings.TrimSpace(ct)
	return ct == "" || ct == "application/json" || strings.HasSuffix(ct, "+json")
}

// addressExpr turns "users.{userId}.signedup" into a Go string expression
// over argument names, one per parameter.
func addressExpr(addr string) (string, []AsyncParam, error) {
	var parts []string
	var params []AsyncParam
	used := map[string]bool{"ctx": true, "msg": true, "opts": true, "p": true, "m": true, "err": true, "payload": true,
		"tx": true, "d": true, "h": true, "c": true, "i": true, "lim": true, "r": true, "fn": true, "a": true}
	rest := addr
	for rest != "" {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			parts = append(parts, fmt.Sprintf("%q", rest))
			break
		}
		if open > 0 {
			parts = append(parts, fmt.Sprintf("%q", rest[:open]))
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return "", nil, fmt.Errorf("its address %q has an unclosed {", addr)
		}
		name := rest[open+1 : open+end]
		if name == "" {
			return "", nil, fmt.Errorf("its address %q has an empty parameter", addr)
		}
		arg := codegen.SchemaNameToTypeName(name)
		arg = strings.ToLower(arg[:1]) + arg[1:]
		if isMethodLocal(arg) || used[arg] {
			arg += "Param"
		}
		for i := 2; used[arg]; i++ {
			arg = fmt.Sprintf("%sParam%d", arg, i)
		}
		used[arg] = true
		params = append(params, AsyncParam{Name: name, ArgName: arg})
		parts = append(parts, arg)
		rest = rest[open+end+1:]
	}
	if len(parts) == 0 {
		return `""`, nil, nil
	}
	return strings.Join(parts, " + "), params, nil
}

func durationOrZero(d time.Duration) string {
	if d <= 0 {
		return "0"
	}
	return durationLiteral(d)
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// asyncReservedNames are the package-level names of the events templates,
// rendered with no operations (their names must not depend on the
// contract), and the runtime's import name.
func asyncReservedNames(fsys fs.FS, pkg string) (map[string]bool, error) {
	reserved := map[string]bool{RuntimeName: true}
	t, err := parseTemplates(fsys)
	if err != nil {
		return nil, err
	}
	empty := &AsyncModel{Package: pkg, Version: Version, Runtime: "example.com/" + RuntimeName, Parts: allParts()}
	for _, tf := range asyncTemplateFiles() {
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, tf.template, empty); err != nil {
			return nil, fmt.Errorf("rendering %s: %w", tf.template, err)
		}
		names, err := topLevelNames(tf.file, buf.Bytes())
		if err != nil {
			return nil, fmt.Errorf("template %s produced invalid Go: %w", tf.template, err)
		}
		for _, n := range names {
			reserved[n] = true
		}
	}
	return reserved, nil
}

func renderAsyncTemplates(fsys fs.FS, m *AsyncModel) ([]File, error) {
	t, err := parseTemplates(fsys)
	if err != nil {
		return nil, err
	}
	var out []File
	for _, tf := range asyncTemplateFiles() {
		if !tf.when(m) {
			continue
		}
		var buf bytes.Buffer
		if err := t.ExecuteTemplate(&buf, tf.template, m); err != nil {
			return nil, fmt.Errorf("rendering %s: %w", tf.template, err)
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, tf.file, buf.Bytes(), parser.ParseComments)
		if err != nil {
			return nil, fmt.Errorf("template %s produced invalid Go: %w%s", tf.template, err, offendingLine(buf.Bytes(), err))
		}
		pruneImports(f)
		src, err := printFile(fset, f)
		if err != nil {
			return nil, err
		}
		out = append(out, File{Name: tf.file, Content: src})
	}
	return out, nil
}
