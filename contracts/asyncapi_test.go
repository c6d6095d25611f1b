package contracts

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// loadAsync loads a document and fails the test on any error, including
// validation errors: these tests look at documents that must be clean.
// sharedDirs lets the corpus's multi-service examples read the ../common
// folder their services share, which is outside each service's own tree.
func sharedDirs(file string) LoadOptions {
	common := filepath.Join(filepath.Dir(filepath.Dir(file)), "common")
	if st, err := os.Stat(common); err == nil && st.IsDir() {
		return LoadOptions{AllowRefsIn: []string{common}}
	}
	return LoadOptions{}
}

func loadAsync(t *testing.T, file string) *AsyncAPI {
	t.Helper()
	doc, err := Load(context.Background(), file, sharedDirs(file))
	if err != nil {
		t.Fatalf("load %s: %v", file, err)
	}
	if ps := Validate(context.Background(), doc); HasErrors(ps) {
		t.Fatalf("validate %s:\n%s", file, listProblems(ps))
	}
	if doc.Kind != KindAsyncAPI || doc.AsyncAPI == nil {
		t.Fatalf("%s: kind %s", file, doc.Kind)
	}
	return doc.AsyncAPI
}

// corpusFile names a corpus document, skipping when the corpus is absent.
func corpusFile(t *testing.T, rel string) string {
	t.Helper()
	asyncCorpusFiles(t) // skips or fails as the corpus test does
	return filepath.Join(asyncCorpusDir, rel)
}

func channelByKey(t *testing.T, a *AsyncAPI, key string) *Channel {
	t.Helper()
	for _, ch := range a.Channels {
		if ch.Key == key {
			return ch
		}
	}
	t.Fatalf("no channel %q", key)
	return nil
}

func operationByID(t *testing.T, a *AsyncAPI, id string) *AsyncOperation {
	t.Helper()
	for _, op := range a.Operations {
		if op.ID == id {
			return op
		}
	}
	t.Fatalf("no operation %q", id)
	return nil
}

func propType(t *testing.T, s *openapi3.SchemaRef, name string) string {
	t.Helper()
	if s == nil || s.Value == nil || s.Value.Properties[name] == nil || s.Value.Properties[name].Value == nil {
		t.Fatalf("no property %q", name)
	}
	if ty := s.Value.Properties[name].Value.Type; ty != nil && len(*ty) > 0 {
		return (*ty)[0]
	}
	return ""
}

func TestAsyncAPIStreetlights26(t *testing.T) {
	a := loadAsync(t, corpusFile(t, "2.6.0/streetlights-kafka.yml"))
	if a.Version != "2.6.0" || a.Info.Title != "Streetlights Kafka API" || len(a.Servers) != 2 || a.Servers[0].Name != "mtls-connections" {
		t.Fatalf("header: %+v %+v", a.Info, a.Servers)
	}
	measured := channelByKey(t, a, "smartylighting.streetlights.1.0.event.{streetlightId}.lighting.measured")
	if measured.Address != measured.Key {
		t.Errorf("2.x address = %q, want the key", measured.Address)
	}
	if len(measured.Parameters) != 1 || measured.Parameters[0].Name != "streetlightId" || !measured.Parameters[0].Schema.Value.Type.Is("string") {
		t.Errorf("parameters: %+v", measured.Parameters)
	}
	// publish = others publish, the application receives.
	recv := operationByID(t, a, "receiveLightMeasurement")
	if recv.Action != ActionReceive || recv.Channel != measured || recv.IDSynthesized {
		t.Errorf("receiveLightMeasurement: %s on %v", recv.Action, recv.Channel.Key)
	}
	turnOn := operationByID(t, a, "turnOn")
	if turnOn.Action != ActionSend {
		t.Errorf("turnOn (subscribe) action = %s, want send", turnOn.Action)
	}
	if _, ok := turnOn.Bindings["kafka"]; !ok {
		t.Errorf("operation trait not applied: bindings %v", turnOn.Bindings)
	}
	m := recv.Messages[0]
	if m != measured.Messages[0] || m.Name != "lightMeasured" || m.Key != "lightMeasured" || m.Ref != "#/components/messages/lightMeasured" {
		t.Errorf("message: %+v", m)
	}
	if m.ContentType != "application/json" {
		t.Errorf("contentType = %q", m.ContentType)
	}
	if got := propType(t, m.Payload, "lumens"); got != "integer" {
		t.Errorf("lumens type = %q", got)
	}
	sentAt := m.Payload.Value.Properties["sentAt"]
	if sentAt.Ref != "#/components/schemas/sentAt" || sentAt.Value != a.Components.Schemas["sentAt"].Value || sentAt.Value.Format != "date-time" {
		t.Errorf("sentAt: ref %q, shared %v", sentAt.Ref, sentAt.Value == a.Components.Schemas["sentAt"].Value)
	}
	if got := propType(t, m.Headers, "my-app-header"); got != "integer" {
		t.Errorf("message trait not applied: header type %q", got)
	}
	if m.Pos.Line != 96 || !strings.HasSuffix(m.Pos.File, "streetlights-kafka.yml") {
		t.Errorf("message position = %v", m.Pos)
	}
}

func TestAsyncAPIStreetlights30(t *testing.T) {
	a := loadAsync(t, corpusFile(t, "3.0.0/streetlights-kafka-asyncapi.yml"))
	ch := channelByKey(t, a, "lightTurnOn")
	if ch.Address != "smartylighting.streetlights.1.0.action.{streetlightId}.turn.on" {
		t.Errorf("address = %q", ch.Address)
	}
	op := operationByID(t, a, "turnOn")
	if op.Action != ActionSend || op.Channel != ch {
		t.Errorf("turnOn: %s on %p, want send on the channel in Channels", op.Action, op.Channel)
	}
	// The operation's message is the channel's, by pointer.
	if len(op.Messages) != 1 || op.Messages[0] != ch.Messages[0] {
		t.Fatalf("operation message is not the channel's")
	}
	m := op.Messages[0]
	if m.Key != "turnOn" || m.Name != "turnOnOff" || m.Ref != "#/components/messages/turnOnOff" {
		t.Errorf("message key %q name %q ref %q", m.Key, m.Name, m.Ref)
	}
	if got := m.Payload.Value.Properties["command"].Value.Enum; len(got) != 2 || got[0] != "on" {
		t.Errorf("command enum = %v", got)
	}
	if recv := operationByID(t, a, "receiveLightMeasurement"); recv.Action != ActionReceive {
		t.Errorf("receiveLightMeasurement action = %s", recv.Action)
	}
	prm := ch.Parameters[0]
	if prm.Name != "streetlightId" || prm.Description != "The ID of the streetlight." || !prm.Schema.Value.Type.Is("string") {
		t.Errorf("3.0 parameter: %+v", prm)
	}
}

func TestAsyncAPISocialMediaCrossFile(t *testing.T) {
	file := corpusFile(t, "3.0.0/social-media/comments-service/asyncapi.yaml")
	doc, err := Load(context.Background(), file, sharedDirs(file))
	if err != nil {
		t.Fatal(err)
	}
	a := doc.AsyncAPI
	ch := channelByKey(t, a, "commentLiked")
	m := ch.Messages[0]
	if m.Ref != "../common/messages.yaml#/commentLiked" || m.Key != "commentLiked" {
		t.Errorf("cross-file message: key %q ref %q", m.Key, m.Ref)
	}
	if !strings.HasSuffix(filepath.ToSlash(m.Pos.File), "common/messages.yaml") || m.Pos.Line != 1 {
		t.Errorf("message position %v, want common/messages.yaml:1", m.Pos)
	}
	// schemas.yaml's own #/commentId resolves inside schemas.yaml.
	id := m.Payload.Value.Properties["commentId"].Value.AllOf[0]
	if id.Ref != "#/commentId" || id.Value == nil || !id.Value.Type.Is("string") {
		t.Errorf("nested cross-file ref: %q %+v", id.Ref, id.Value)
	}
	if m.Payload.Value.AdditionalProperties.Has == nil || *m.Payload.Value.AdditionalProperties.Has {
		t.Errorf("additionalProperties: false lost")
	}
	if p := doc.RefPos(m.Ref); p.Line != 1 || !strings.HasSuffix(filepath.ToSlash(p.File), "common/messages.yaml") {
		t.Errorf("RefPos = %v", p)
	}
	changed := channelByKey(t, a, "commentCountChange")
	if prm := changed.Parameters[0]; prm.Name != "commentId" || prm.Description != "ID of the comment" {
		t.Errorf("parameter from a file: %+v", prm)
	}
}

func TestAsyncAPISocialMedia26SynthesizedIDs(t *testing.T) {
	a := loadAsync(t, corpusFile(t, "2.6.0/social-media/backend/asyncapi.yaml"))
	var ids []string
	for _, op := range a.Operations {
		if !op.IDSynthesized {
			t.Errorf("%s: not marked synthesized", op.ID)
		}
		ids = append(ids, op.ID)
	}
	want := "receiveCommentCommentIdChanged receiveLikeComment sendCommentLiked sendUpdateCommentLikes"
	if got := strings.Join(ids, " "); got != want {
		t.Errorf("ids = %s, want %s", got, want)
	}
	var ws *AsyncServer
	for _, s := range a.Servers {
		if s.Name == "websiteWebSocketServer" {
			ws = s
		}
	}
	if ws == nil || ws.Host != "ws://mycompany.com/ws" || ws.Protocol != "ws" {
		t.Errorf("server from a file: %+v", ws)
	}
	if got := channelByKey(t, a, "like/comment").Servers; len(got) != 1 || got[0] != "websiteWebSocketServer" {
		t.Errorf("channel servers = %v", got)
	}
}

func TestAsyncAPIMultifileFixture(t *testing.T) {
	file := "../testdata/contracts/valid/asyncapi-3.0-multifile.yaml"
	doc, err := Load(context.Background(), file, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	a := doc.AsyncAPI

	// A recursive schema: parent and children items share the pointer.
	cat := channelByKey(t, a, "categoryChanged").Messages[0].Payload
	if cat.Ref != "#/schemas/Category" {
		t.Errorf("payload ref = %q", cat.Ref)
	}
	parent := cat.Value.Properties["parent"]
	if parent.Ref != "#/schemas/Category" || parent.Value != cat.Value || cat.Value.Properties["children"].Value.Items.Value != cat.Value {
		t.Errorf("recursive schema is not shared")
	}
	id := cat.Value.Properties["id"]
	if id.Ref != "asyncapi-ids.yaml#/CategoryId" || id.Value.Format != "uuid" {
		t.Errorf("third-file ref: %q %+v", id.Ref, id.Value)
	}
	if o := cat.Value.Origin; o == nil || o.Key == nil || !strings.HasSuffix(o.Key.File, "asyncapi-catalog.yaml") {
		t.Errorf("schema origin = %+v", o)
	}

	// A root channel that is a $ref to a component channel; the operation
	// reaches its message through the root channel.
	pq := channelByKey(t, a, "priceQuoted")
	if pq.Ref != "#/components/channels/priceQuoted" || pq.Address != "catalog.price.quoted" {
		t.Errorf("channel ref %q address %q", pq.Ref, pq.Address)
	}
	op := operationByID(t, a, "consumePriceQuoted")
	if op.Channel != pq || op.Messages[0] != pq.Messages[0] {
		t.Errorf("operation does not share the channel's message")
	}
	quote := pq.Messages[0]
	if quote.ContentType != "application/cloudevents+json" || quote.Name != "priceQuoted" {
		t.Errorf("message %+v", quote)
	}
	q := quote.Payload.Value
	if q.Discriminator == nil || q.Discriminator.PropertyName != "kind" {
		t.Errorf("string discriminator lost: %+v", q.Discriminator)
	}
	if q.Properties["kind"].Value.Const != "quote" || len(q.Properties["amount"].Value.Examples) != 2 {
		t.Errorf("const/examples lost")
	}
	if al := q.Properties["anything"].Value.Always; al == nil || !*al {
		t.Errorf("boolean schema true lost")
	}

	// Request/reply to a dynamic channel.
	answer := operationByID(t, a, "answerQuotes")
	replies := channelByKey(t, a, "quoteReplies")
	if replies.Address != "" || answer.Reply == nil || answer.Reply.Channel != replies || answer.Reply.Address != "$message.header#/replyTo" {
		t.Fatalf("reply: %+v", answer.Reply)
	}
	if len(answer.Reply.Messages) != 1 || answer.Reply.Messages[0] != replies.Messages[0] {
		t.Errorf("reply message is not the reply channel's")
	}
	legacy := replies.Messages[1]
	if legacy.Payload != nil || legacy.RawPayload == nil || !strings.Contains(legacy.SchemaFormat, "avro") {
		t.Errorf("avro payload: %+v", legacy)
	}

	// Message trait (3.0: applied, the message's own fields win).
	req := channelByKey(t, a, "quoteRequests").Messages[0]
	if propType(t, req.Headers, "traceparent") != "string" {
		t.Errorf("message trait headers missing")
	}
	opts := req.Payload.Value.Properties["options"].Value
	if len(opts.PrefixItems) != 2 || opts.Items == nil || opts.Items.Value.Always == nil || *opts.Items.Value.Always {
		t.Errorf("draft-07 tuple items: %+v", opts)
	}
	region := channelByKey(t, a, "quoteRequests").Parameters[0].Schema.Value
	if len(region.Enum) != 2 || region.Default != "eu" {
		t.Errorf("3.0 parameter schema: %+v", region)
	}

	// Policy: document defaults, operation trait, operation.
	pols, ps := doc.Policies()
	if HasErrors(ps) {
		t.Fatalf("policies: %v", ps)
	}
	byID := map[string]Policy{}
	for _, p := range pols {
		byID[p.ID] = p.Policy
	}
	if p := byID["publishCategoryChanged"]; p.Retries != 5 || p.Timeout.String() != "2s" {
		t.Errorf("publishCategoryChanged policy = %+v (trait's x-accord and the document's)", p)
	}
	if p := byID["consumePriceQuoted"]; p.Retries != 3 || p.Concurrency != 8 {
		t.Errorf("consumePriceQuoted policy = %+v", p)
	}
}

func TestAsyncAPI26TraitsFixture(t *testing.T) {
	a := loadAsync(t, "../testdata/contracts/valid/asyncapi-2.6-traits.yaml")
	ch := a.Channels[0]
	if len(ch.Messages) != 3 {
		t.Fatalf("channel messages = %d, want the union of publish and subscribe (3)", len(ch.Messages))
	}
	send := operationByID(t, a, "sendOrdersOrderIdStatus")
	if !send.IDSynthesized || send.Action != ActionSend || len(send.Messages) != 2 {
		t.Fatalf("synthesized subscribe operation: %+v", send)
	}
	if q, _ := send.Bindings["mqtt"].(map[string]any); q["qos"] != 1.0 {
		t.Errorf("operation trait bindings = %v", send.Bindings)
	}
	cancelled := send.Messages[1]
	// 2.x: the trait is the merge patch, so its contentType replaces the message's.
	if cancelled.Name != "orderCancelled" || cancelled.ContentType != "application/json" {
		t.Errorf("2.x trait merge: %q %q", cancelled.Name, cancelled.ContentType)
	}
	if cancelled.CorrelationID == nil || cancelled.CorrelationID.Location != "$message.header#/correlationId" {
		t.Errorf("correlationId from trait: %+v", cancelled.CorrelationID)
	}
	recv := operationByID(t, a, "receiveStatusQuery")
	if recv.IDSynthesized || recv.Action != ActionReceive || recv.Extensions["x-accord"] == nil {
		t.Errorf("receiveStatusQuery: %+v", recv)
	}
}

func TestAsyncAPI30TraitTargetWins(t *testing.T) {
	src := `asyncapi: 3.0.0
info: {title: t, version: '1'}
channels:
  c:
    address: c
    messages:
      m:
        contentType: application/xml
        headers:
          type: object
          properties:
            a: {type: integer}
        traits:
          - contentType: application/json
            name: fromTrait
            headers:
              type: object
              properties:
                a: {type: string}
                b: {type: string}
`
	doc, err := LoadBytes(context.Background(), "t.yaml", []byte(src), LoadOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	m := doc.AsyncAPI.Channels[0].Messages[0]
	if m.ContentType != "application/xml" || m.Name != "fromTrait" {
		t.Errorf("3.0 merge: contentType %q name %q", m.ContentType, m.Name)
	}
	if propType(t, m.Headers, "a") != "integer" || propType(t, m.Headers, "b") != "string" {
		t.Errorf("headers are not deep-merged with the message winning")
	}
}

func TestAsyncAPIVersionRouting(t *testing.T) {
	for _, v := range []string{"2.0.0", "2.3.0", "'2.6.0'", "3.0.0", "3.0.1"} {
		channels := "channels:\n  a/b:\n    publish:\n      message: {payload: {type: string}}\n"
		if strings.HasPrefix(strings.Trim(v, "'"), "3.") {
			channels = "channels:\n  ab:\n    address: a/b\n    messages:\n      m: {payload: {type: string}}\noperations:\n  receiveAB:\n    action: receive\n    channel: {$ref: '#/channels/ab'}\n"
		}
		src := "asyncapi: " + v + "\ninfo: {title: t, version: '1'}\n" + channels
		doc, err := LoadBytes(context.Background(), "t.yaml", []byte(src), LoadOptions{Dir: t.TempDir()})
		if err != nil {
			t.Fatalf("%s: %v", v, err)
		}
		ops := doc.AsyncAPI.Operations
		if len(ops) != 1 || ops[0].Action != ActionReceive || ops[0].Channel.Address != "a/b" || ops[0].ID != "receiveAB" {
			t.Errorf("%s: operations %+v", v, ops)
		}
	}
}

func TestAsyncAPIRemoteRefsAreRefusedByDefault(t *testing.T) {
	src := "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\ncomponents:\n  schemas:\n    A: {$ref: 'https://example.com/a.json'}\n"
	_, err := LoadBytes(context.Background(), "t.yaml", []byte(src), LoadOptions{Dir: t.TempDir()})
	var ce *Error
	if !errors.As(err, &ce) || ce.Class != ClassInvalid || ce.Problems[0].Code != "remote-ref" || ce.Problems[0].Pos.Line != 5 {
		t.Fatalf("err = %v", err)
	}
}

func TestAsyncAPIHostileInputs(t *testing.T) {
	cases := map[string]string{
		"anchor contains itself": "asyncapi: 3.0.0\ninfo: &a {title: t, version: '1', x-loop: *a}\nx-accord: &b [*b]\n",
		"billion laughs": "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\n" +
			"x-a: &a [1,1,1,1,1,1,1,1,1,1]\nx-b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a,*a]\nx-c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" +
			"x-d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c,*c]\nx-e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d,*d]\nx-f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e,*e]\n" +
			"x-g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f,*f]\nx-h: &h [*g,*g,*g,*g,*g,*g,*g,*g,*g,*g]\n",
		"ref through itself": "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/A/properties/x'}\n",
		"self ref":           "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\ncomponents:\n  messages:\n    M: {$ref: '#/components/messages/M'}\n",
		"whole document":     "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\ncomponents:\n  schemas:\n    A: {$ref: '#'}\n",
		"non-string ref":     "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\ncomponents:\n  schemas:\n    A: {properties: {x: {$ref: 5}}}\n",
		"escaping ref":       "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\ncomponents:\n  schemas:\n    A: {$ref: '../../../../../../../../etc/hostname#/x'}\n",
		"deep nesting":       "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\ncomponents:\n  schemas:\n    A: " + strings.Repeat("{properties: {x: ", 3000) + "{}" + strings.Repeat("}}", 3000) + "\n",
		"merge keys":         "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\nx-base: &base {address: a}\nchannels:\n  c: {<<: *base, messages: {m: {payload: {type: string}}}}\n",
	}
	for name, src := range cases {
		t.Run(name, func(t *testing.T) {
			doc, err := LoadBytes(context.Background(), "t.yaml", []byte(src), LoadOptions{Dir: t.TempDir()})
			if err != nil {
				var ce *Error
				if !errors.As(err, &ce) || len(ce.Problems) == 0 || ce.Problems[0].Hint == "" {
					t.Fatalf("not a positioned error with a hint: %v", err)
				}
				return
			}
			_ = Validate(context.Background(), doc)
		})
	}
}

func TestAsyncAPIMergeKeysAndCyclicRefs(t *testing.T) {
	src := "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\nx-base: &base {address: a}\nchannels:\n  c: {<<: *base, messages: {m: {payload: {type: string}}}}\n"
	doc, err := LoadBytes(context.Background(), "t.yaml", []byte(src), LoadOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if got := doc.AsyncAPI.Channels[0].Address; got != "a" {
		t.Errorf("merge key: address = %q", got)
	}
	src = "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\ncomponents:\n  schemas:\n    A: {$ref: '#/components/schemas/A/properties/x'}\n"
	_, err = LoadBytes(context.Background(), "t.yaml", []byte(src), LoadOptions{Dir: t.TempDir()})
	var ce *Error
	if !errors.As(err, &ce) || ce.Problems[0].Code != "cyclic-ref" {
		t.Fatalf("ref through itself: %v", err)
	}
}

func TestAsyncAPIExample(t *testing.T) {
	file := "../examples/events/asyncapi.yaml"
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("example missing: %v", err)
	}
	a := loadAsync(t, file)
	for _, key := range []string{"customerUpdated", "invoiceCreated", "paymentSettled"} {
		ch := channelByKey(t, a, key)
		if ch.Address == "" || len(ch.Messages) != 1 || ch.Messages[0].Headers == nil {
			t.Errorf("%s: %+v", key, ch)
		}
	}
	pay := channelByKey(t, a, "paymentSettled").Messages[0].Payload.Value
	amount := pay.Properties["amount_minor"].Value
	if !amount.Type.Is("integer") || amount.Min == nil || *amount.Min != 0 {
		t.Errorf("amount_minor: %+v", amount)
	}
	// The showcase names a Kafka server (kafka or kafka-secure; it may name
	// others, e.g. NATS).
	if !slices.ContainsFunc(a.Servers, func(s *AsyncServer) bool { return strings.HasPrefix(s.Protocol, "kafka") }) {
		t.Errorf("servers: %+v", a.Servers)
	}
}

func TestAsyncAPILongSchemaRefChain(t *testing.T) {
	// Each schema's property refers to the next one, and the last to the
	// first: deep for a recursive resolver, a plain cycle for the model.
	const n = 3000
	var b strings.Builder
	b.WriteString("asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\nchannels:\n  c:\n    address: c\n    messages:\n      m: {payload: {$ref: '#/components/schemas/S0'}}\ncomponents:\n  schemas:\n")
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, "    S%d: {type: object, properties: {next: {$ref: '#/components/schemas/S%d'}}}\n", i, (i+1)%n)
	}
	doc, err := LoadBytes(context.Background(), "t.yaml", []byte(b.String()), LoadOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	s := doc.AsyncAPI.Channels[0].Messages[0].Payload.Value
	start := s
	for i := 0; i < n; i++ {
		next := s.Properties["next"]
		if next == nil || next.Value == nil {
			t.Fatalf("link %d is not resolved", i)
		}
		s = next.Value
	}
	if s != start {
		t.Errorf("the chain does not come back to S0 after %d links", n)
	}
}

func TestAsyncAPI26SharedMessageAcrossDirections(t *testing.T) {
	src := "asyncapi: 2.6.0\ninfo: {title: t, version: '1'}\nchannels:\n  chat:\n" +
		"    publish: {message: {$ref: '#/components/messages/Line'}}\n" +
		"    subscribe: {message: {$ref: '#/components/messages/Line'}}\n" +
		"components:\n  messages:\n    Line: {payload: {type: string}}\n"
	doc, err := LoadBytes(context.Background(), "t.yaml", []byte(src), LoadOptions{Dir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	a := doc.AsyncAPI
	ch := a.Channels[0]
	if len(ch.Messages) != 1 || len(a.Operations) != 2 {
		t.Fatalf("messages %d, operations %d", len(ch.Messages), len(a.Operations))
	}
	for _, op := range a.Operations {
		if op.Messages[0] != ch.Messages[0] {
			t.Errorf("%s does not share the channel's message", op.ID)
		}
	}
	if a.Operations[0].ID != "receiveChat" || a.Operations[1].ID != "sendChat" {
		t.Errorf("ids %s %s", a.Operations[0].ID, a.Operations[1].ID)
	}
}

func TestAsyncAPIMessagePolicyKeys(t *testing.T) {
	file := filepath.Join(t.TempDir(), "asyncapi.yaml")
	body := `asyncapi: 3.0.0
info: {title: t, version: "1"}
channels:
  c:
    address: a.b
    messages:
      m:
        x-accord:
          partitionKey: /id
          retries: 2
          partitionkey: x
        payload: {type: object}
operations:
  send: {action: send, channel: {$ref: '#/channels/c'}}
`
	if err := os.WriteFile(file, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	doc, err := Load(context.Background(), file, LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range Validate(context.Background(), doc) {
		if strings.HasPrefix(p.Code, "policy-") {
			got = append(got, fmt.Sprintf("%d %s", p.Pos.Line, p.Code))
		}
	}
	want := []string{"9 policy-bad-value", "11 policy-unknown-key", "10 policy-unknown-key"}
	slices.Sort(got)
	slices.Sort(want)
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}
