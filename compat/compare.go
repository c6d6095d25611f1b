package compat

import (
	"errors"
	"fmt"
	"time"

	"github.com/accord-dev/accord/compat/rules"
	"github.com/accord-dev/accord/contracts"
	"github.com/getkin/kin-openapi/openapi3"
)

// Profile chooses which changes count as breaking.
type Profile string

const (
	// ProfileWire: only what breaks clients on the wire (the default).
	ProfileWire Profile = "wire"
	// ProfileSDK: also what breaks generated clients' source code.
	ProfileSDK Profile = "sdk"
)

// Options tune a comparison.
type Options struct {
	// Profile is wire (the default when empty) or sdk.
	Profile Profile
	// Changes also reports what breaks nobody (additions, deprecations) as
	// info findings of the rules in rules.Changes: the change log's view.
	Changes bool
	// Today is the comparison date for the deprecation rules (a removal
	// before its x-sunset, a sunset too soon); zero means now.
	Today time.Time
	// DeprecationDays is the minimum grace period between a deprecation and
	// its x-sunset (--deprecation-days); 0 turns that check off.
	DeprecationDays int
	// MessageDir, when set, judges every AsyncAPI message in that direction
	// whatever its operation's action: DirRequest asks "can readers on head
	// read what writers on base write?" (a schema registry's BACKWARD),
	// DirResponse "can readers on base read what writers on head write?"
	// (FORWARD). Empty follows each operation's action.
	MessageDir Direction
}

// Compare reports what changed from base to head that matters to clients:
// one finding per root cause (the changed component or element), listing
// every operation that reaches it.
//
// How it stays fast and quiet on large contracts: operations are matched,
// then their parameters, bodies, responses and messages; schemas are
// compared inline until both sides are $refs, where the pair of components
// becomes a node compared once per direction (whatever number of operations
// and recursive paths reach it), and the operation or enclosing node records
// an edge to it. Changes found inside a node belong to that node, so they
// are attributed to the deepest component containing them. A final
// reachability pass gives each node the operations that reach it.
func Compare(base, head *contracts.Document, opts Options) (*Result, error) {
	if base == nil || head == nil {
		return nil, errors.New("compat: both documents are required")
	}
	if base.Kind != head.Kind {
		return nil, fmt.Errorf("compat: cannot compare %s %s with %s %s: both sides must be the same kind of contract",
			base.Kind, base.Name, head.Kind, head.Name)
	}
	profile := opts.Profile
	switch profile {
	case "":
		profile = ProfileWire
	case ProfileWire, ProfileSDK:
	default:
		return nil, fmt.Errorf("compat: unknown profile %q (want wire or sdk)", profile)
	}
	e := newEngine(base, head, profile, opts.Changes)
	e.life = lifecycle(opts)
	e.msgDir = rules.Direction(opts.MessageDir)
	switch base.Kind {
	case contracts.KindOpenAPI:
		if base.OpenAPI == nil || head.OpenAPI == nil {
			return nil, errors.New("compat: an OpenAPI document has no model")
		}
		e.openAPI()
		e.openAPIAdded()
	case contracts.KindAsyncAPI:
		if base.AsyncAPI == nil || head.AsyncAPI == nil {
			return nil, errors.New("compat: an AsyncAPI document has no model")
		}
		e.asyncAPI()
		e.asyncAPIAdded()
	default:
		return nil, fmt.Errorf("compat: unsupported contract kind %q", base.Kind)
	}
	e.walkNodes()
	e.versionCheck()
	return &Result{
		Base:     docInfo(base),
		Head:     docInfo(head),
		Kind:     head.Kind,
		Findings: e.findings(),
	}, nil
}

func docInfo(d *contracts.Document) DocInfo {
	info := DocInfo{Name: d.Name}
	switch {
	case d.OpenAPI != nil && d.OpenAPI.Info != nil:
		info.Version = d.OpenAPI.Info.Version
	case d.AsyncAPI != nil:
		info.Version = d.AsyncAPI.Info.Version
	}
	return info
}

// engine holds one comparison's state; it lives for one Compare call.
type engine struct {
	base, head *contracts.Document
	profile    Profile
	changes    bool // Options.Changes
	life       rules.Lifecycle
	reached    bool            // reach has run
	msgDir     rules.Direction // Options.MessageDir
	rules      []rules.Rule
	checks     checkLists

	ops       []Operation
	opEntries [][]int32 // per operation: the nodes its inline parts reach

	nodes   []*node
	nodeIdx map[nodeKey]int32

	hits []hit
	rep  reporter

	// schemeUse lists, per security scheme of base, the operations that
	// require it, so a changed scheme is one finding affecting them all.
	schemeUse map[string][]int32
}

// checkLists are the indexes (into engine.rules) of the rules per kind of
// element, for the profile in use.
type checkLists struct {
	path, operation, security, scheme, servers, parameter, body, content,
	responses, header, schema, ref, channel, message, version []int
}

func newEngine(base, head *contracts.Document, profile Profile, changes bool) *engine {
	e := &engine{
		base: base, head: head, profile: profile, changes: changes,
		nodeIdx:   map[nodeKey]int32{},
		schemeUse: map[string][]int32{},
	}
	for _, r := range engineRules(changes) {
		if r.Profile == rules.SDK && profile != ProfileSDK {
			continue
		}
		i := len(e.rules)
		e.rules = append(e.rules, r)
		c := &e.checks
		switch {
		case r.Path != nil:
			c.path = append(c.path, i)
		case r.Operation != nil:
			c.operation = append(c.operation, i)
		case r.Security != nil:
			c.security = append(c.security, i)
		case r.Scheme != nil:
			c.scheme = append(c.scheme, i)
		case r.Servers != nil:
			c.servers = append(c.servers, i)
		case r.Parameter != nil:
			c.parameter = append(c.parameter, i)
		case r.Body != nil:
			c.body = append(c.body, i)
		case r.Content != nil:
			c.content = append(c.content, i)
		case r.Responses != nil:
			c.responses = append(c.responses, i)
		case r.Header != nil:
			c.header = append(c.header, i)
		case r.Schema != nil:
			c.schema = append(c.schema, i)
		case r.Ref != nil:
			c.ref = append(c.ref, i)
		case r.Channel != nil:
			c.channel = append(c.channel, i)
		case r.Message != nil:
			c.message = append(c.message, i)
		case r.Version != nil:
			c.version = append(c.version, i)
		}
	}
	e.rep.e = e
	return e
}

// scope says who a hit belongs to: a node (its operations are known only
// after the walk), or directly to operations.
type scope struct {
	node int32 // -1 when the hit belongs to operations directly
	op   int32 // the operation, when node < 0 and ops is nil
	ops  []int32
}

func opScope(op int32) scope { return scope{node: -1, op: op} }

// hit is a rule's raw report, kept until findings are built.
type hit struct {
	rule int
	at   *path
	sc   scope
	dir  rules.Direction
	h    rules.Hit
}

// reporter is the rules.Reporter handed to checks. The engine reuses one
// value: checks do not recurse, so its fields are set before each call.
type reporter struct {
	e    *engine
	rule int
	at   *path
	sc   scope
	dir  rules.Direction
	diff *rules.SchemaDiff // set for schema checks, to place property hits
}

func (r *reporter) Report(h rules.Hit) {
	at := r.at
	if h.Prop != "" && r.diff != nil {
		at = propPath(at, r.diff, h.Prop, h.Side == rules.Base)
	} else if h.Prop != "" {
		at = at.prop(h.Prop)
	}
	for _, t := range h.At {
		at = at.child(t)
	}
	if h.Side == "" {
		h.Side = rules.Head
	}
	r.e.hits = append(r.e.hits, hit{rule: r.rule, at: at, sc: r.sc, dir: r.dir, h: h})
	if r.sc.node >= 0 {
		r.e.nodes[r.sc.node].hasHits = true
	}
}

// run calls check for each rule index in list that applies in dir.
func (e *engine) run(list []int, sc scope, at *path, dir rules.Direction, check func(r *rules.Rule, rep rules.Reporter)) {
	for _, i := range list {
		r := &e.rules[i]
		if !r.AppliesTo(dir) {
			continue
		}
		e.rep.rule, e.rep.at, e.rep.sc, e.rep.dir, e.rep.diff = i, at, sc, dir, nil
		check(r, &e.rep)
	}
}

// addOp registers an affected operation and returns its index.
func (e *engine) addOp(key, id string) int32 {
	e.ops = append(e.ops, Operation{Key: key, ID: id})
	e.opEntries = append(e.opEntries, nil)
	return int32(len(e.ops) - 1)
}

// maxDepth bounds inline nesting inside one component or operation: real
// documents stay far below it, and it keeps hostile ones from recursing
// without end.
const maxDepth = 64

// schemaOf returns a parameter or header's schema: `schema`, or the schema
// of its single (first) content entry.
func schemaOf(p *openapi3.Parameter) *openapi3.SchemaRef {
	if p == nil {
		return nil
	}
	if p.Schema != nil {
		return p.Schema
	}
	for _, mt := range sortedKeys(p.Content) {
		if c := p.Content[mt]; c != nil && c.Schema != nil {
			return c.Schema
		}
	}
	return nil
}

func valueOf(s *openapi3.SchemaRef) *openapi3.Schema {
	if s == nil {
		return nil
	}
	return s.Value
}
