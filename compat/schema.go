package compat

import (
	"github.com/accord-dev/accord/compat/rules"
	"github.com/accord-dev/accord/contracts"
	"github.com/getkin/kin-openapi/openapi3"
)

// nodeKey identifies a pair of components compared in one direction. The
// pointers are kin-openapi's resolved schemas: every $ref to a component
// shares its *Schema, so the key is the component pair itself.
type nodeKey struct {
	b, h *openapi3.Schema
	f    flow
}

// flow is how the values of a pair travel: the direction, whether as text
// (parameters and headers: types compare by the strings they accept), and
// at the top of a parameter, each side's serialisation.
type flow struct {
	dir          rules.Direction
	text         bool
	bWire, hWire rules.ParamWire
}

// below is the flow of the values inside a pair's values: the same
// direction and medium, no parameter serialisation of their own.
func (f flow) below() flow { return flow{dir: f.dir, text: f.text} }

// node is a pair of $ref'd schemas, compared once.
type node struct {
	b, h    *openapi3.SchemaRef
	f       flow
	root    *path
	edges   []int32 // nodes reached from this one
	hasHits bool
	ops     []int32 // operations that reach it, filled after the walk
}

// schema compares two schemas found at the same place in dir. When both are
// $refs the pair becomes a node (compared later, once); otherwise it is
// compared here, in the current scope.
func (e *engine) schema(sc scope, dir rules.Direction, b, h *openapi3.SchemaRef, at *path, depth int) {
	e.schemaIn(sc, flow{dir: dir}, b, h, at, depth)
}

// textSchema compares the schemas of values that travel as text: a
// parameter (with each side's serialisation) or a header.
func (e *engine) textSchema(sc scope, dir rules.Direction, bWire, hWire rules.ParamWire, b, h *openapi3.SchemaRef, at *path) {
	e.schemaIn(sc, flow{dir: dir, text: true, bWire: bWire, hWire: hWire}, b, h, at, 0)
}

func (e *engine) schemaIn(sc scope, f flow, b, h *openapi3.SchemaRef, at *path, depth int) {
	if b == nil || h == nil || b.Value == nil || h.Value == nil {
		return
	}
	if b.Ref != "" && h.Ref != "" {
		e.edge(sc, e.nodeFor(sc, f, b, h))
		return
	}
	e.inline(sc, f, b, h, at, depth)
}

// edge records that scope reaches node n.
func (e *engine) edge(sc scope, n int32) {
	if sc.node >= 0 {
		from := e.nodes[sc.node]
		if k := len(from.edges); k > 0 && from.edges[k-1] == n {
			return // the common case of consecutive properties with the same $ref
		}
		from.edges = append(from.edges, n)
		return
	}
	if sc.ops != nil {
		for _, op := range sc.ops {
			e.opEntries[op] = append(e.opEntries[op], n)
		}
		return
	}
	e.opEntries[sc.op] = append(e.opEntries[sc.op], n)
}

// nodeFor returns the node of a pair of $refs, creating it (to be walked by
// walkNodes) on first sight.
func (e *engine) nodeFor(sc scope, f flow, b, h *openapi3.SchemaRef) int32 {
	dir := f.dir
	key := nodeKey{b.Value, h.Value, f}
	if n, ok := e.nodeIdx[key]; ok {
		return n
	}
	n := int32(len(e.nodes))
	e.nodeIdx[key] = n
	// A pair of different components (a site now $refs another schema) is
	// named after both: the difference is the swap, not an edit of either.
	label := refLabel(h.Ref)
	if rules.RefName(b.Ref) != rules.RefName(h.Ref) {
		label += " (replacing " + rules.RefName(b.Ref) + ")"
	}
	e.nodes = append(e.nodes, &node{b: b, h: h, f: f, root: rootPath(label, ".", h.Ref, b.Ref)})
	if len(e.checks.ref) > 0 && rules.RefName(b.Ref) != rules.RefName(h.Ref) {
		d := &rules.RefDiff{
			BaseRef: b.Ref, HeadRef: h.Ref,
			BaseNameInHead: hasSchema(e.head, rules.RefName(b.Ref)),
			HeadNameInBase: hasSchema(e.base, rules.RefName(h.Ref)),
		}
		at := rootPath(refLabel(b.Ref), ".", h.Ref, b.Ref)
		e.run(e.checks.ref, scope{node: n}, at, dir, func(r *rules.Rule, rep rules.Reporter) { r.Ref(d, rep) })
	}
	return n
}

// hasSchema reports whether d defines a schema component with this name.
func hasSchema(d *contracts.Document, name string) bool {
	switch {
	case d.OpenAPI != nil:
		return d.OpenAPI.Components != nil && d.OpenAPI.Components.Schemas[name] != nil
	case d.AsyncAPI != nil:
		return d.AsyncAPI.Components.Schemas[name] != nil
	}
	return false
}

// walkNodes compares every node; comparing one may create more, which the
// loop then reaches too. No recursion across components, so cycles need no
// special care: a pair already seen is just an edge.
func (e *engine) walkNodes() {
	for i := 0; i < len(e.nodes); i++ {
		n := e.nodes[i]
		e.inline(scope{node: int32(i)}, n.f, n.b, n.h, n.root, 0)
	}
}

// inline compares two schemas in place: runs the schema checks on the pair,
// then descends into properties, items, additionalProperties, variants and
// shared allOf members.
func (e *engine) inline(sc scope, f flow, b, h *openapi3.SchemaRef, at *path, depth int) {
	if depth > maxDepth {
		return
	}
	dir, sub := f.dir, f.below()
	var shared func(string) bool
	if len(b.Value.AllOf) > 0 && len(h.Value.AllOf) > 0 {
		shared = sharedMembers(b.Value.AllOf, h.Value.AllOf)
	}
	d := &rules.SchemaDiff{Dir: dir, Base: rules.NewView(b, shared), Head: rules.NewView(h, shared), Text: f.text}
	if f.bWire != (rules.ParamWire{}) || f.hWire != (rules.ParamWire{}) {
		d.Wire = &rules.Wires{Base: f.bWire, Head: f.hWire}
	}
	bv, hv := d.Base, d.Head
	switch {
	case len(bv.Variants) > 0 && len(hv.Variants) > 0:
		d.Variants = rules.MatchVariants(bv.Variants, hv.Variants, dir)
	case len(bv.Variants) > 0:
		d.Partial = true
		d.Variants = rules.MatchVariants(bv.Variants, rules.SelfVariant(h), dir)
	case len(hv.Variants) > 0:
		d.Partial = true
		d.Variants = rules.MatchVariants(rules.SelfVariant(b), hv.Variants, dir)
	}

	// Nothing was valid: no reader of a request can be broken by it; the
	// same for a response that now sends nothing.
	if (dir == rules.Request && bv.Never()) || (dir == rules.Response && hv.Never()) {
		return
	}
	for _, i := range e.checks.schema {
		r := &e.rules[i]
		if !r.AppliesTo(dir) {
			continue
		}
		e.rep.rule, e.rep.at, e.rep.sc, e.rep.dir, e.rep.diff = i, at, sc, dir, d
		r.Schema(d, &e.rep)
	}

	for _, p := range d.Variants {
		if p.Base == nil || p.Head == nil {
			continue
		}
		e.schemaIn(sc, sub, p.Base.Ref, p.Head.Ref, variantPath(at, d, p), depth+1)
	}
	if d.Partial || bv.Never() || hv.Never() {
		return
	}

	// Properties: those written in place on either side; a property both
	// sides take from the same shared allOf member is compared there.
	bv.OwnProps(func(bp rules.Prop) {
		if !bp.In(dir) {
			return
		}
		hp, ok := hv.Prop(bp.Name)
		if !ok || !hp.In(dir) || (hp.Member != "" && hp.Member == bp.Member) {
			return
		}
		e.schemaIn(sc, sub, bp.Ref, hp.Ref, propPath(at, d, bp.Name, false), depth+1)
	})
	hv.OwnProps(func(hp rules.Prop) {
		if bp, ok := bv.Prop(hp.Name); ok && bp.Member != "" && bp.In(dir) && hp.In(dir) {
			e.schemaIn(sc, sub, bp.Ref, hp.Ref, propPath(at, d, hp.Name, false), depth+1)
		}
	})

	// A missing items or additionalProperties schema allows anything: it is
	// compared as {}, so dropping one from a response (or adding one to a
	// request) is judged like any other loosening or narrowing.
	if bi, hi := bv.Items(), hv.Items(); bi != nil || hi != nil {
		if bv.Allows(rules.TArray) && hv.Allows(rules.TArray) {
			e.schemaIn(sc, sub, orAny(bi), orAny(hi), at.child("items"), depth+1)
		}
	}
	bk, bap := bv.AdditionalProperties()
	hk, hap := hv.AdditionalProperties()
	// An open object with declared properties is not a map: what it does
	// with extra properties is beside its point, so only pure maps (no
	// properties on the open side) are compared with a map of schemas.
	noProps := func(v *rules.View) bool {
		n := 0
		v.OwnProps(func(rules.Prop) { n++ })
		return n == 0
	}
	if (bk == rules.APSchema && hk == rules.APSchema) ||
		(bk == rules.APSchema && hk == rules.APOpen && noProps(hv)) ||
		(hk == rules.APSchema && bk == rules.APOpen && noProps(bv)) {
		e.schemaIn(sc, sub, orAny(bap), orAny(hap), at.child("additionalProperties"), depth+1)
	}
	for _, bm := range bv.Members {
		for _, hm := range hv.Members {
			if bm.Name == hm.Name {
				e.schemaIn(sc, sub, bm.Ref, hm.Ref, at, depth+1)
				break
			}
		}
	}
	e.keywords2020(sc, sub, bv, hv, at, depth)
}

// sharedMembers returns a test for the allOf members both sides include as
// the same component.
func sharedMembers(b, h openapi3.SchemaRefs) func(string) bool {
	names := map[string]bool{}
	for _, m := range h {
		if m != nil && m.Ref != "" {
			names[rules.RefName(m.Ref)] = false
		}
	}
	for _, m := range b {
		if m != nil && m.Ref != "" {
			if _, ok := names[rules.RefName(m.Ref)]; ok {
				names[rules.RefName(m.Ref)] = true
			}
		}
	}
	return func(name string) bool { return names[name] }
}

// propPath places a property of a pair: the subject says
// "...properties.name"; each side's pointer goes where that side writes it
// (in place, in an allOf member, in another component). base selects the
// side whose location matters most when the property only exists there.
func propPath(at *path, d *rules.SchemaDiff, name string, base bool) *path {
	hp, hok := d.Head.Prop(name)
	bp, bok := d.Base.Prop(name)
	inPlace := func(ok bool, p rules.Prop, v *rules.View) bool {
		if !ok {
			return true
		}
		abs, toks := v.PropLocation(p)
		return abs == "" && p.Member == "" && len(toks) == 2
	}
	if inPlace(hok, hp, d.Head) && inPlace(bok, bp, d.Base) {
		return at.prop(name)
	}
	loc := func(ok bool, p rules.Prop, v *rules.View) (string, []string) {
		if !ok {
			return "", []string{"properties", name}
		}
		if p.Member != "" {
			for _, m := range v.Members {
				if m.Name == p.Member {
					return m.Ref.Ref, []string{"properties", name}
				}
			}
		}
		return v.PropLocation(p)
	}
	hAbs, hToks := loc(hok, hp, d.Head)
	bAbs, bToks := loc(bok, bp, d.Base)
	return at.jump("properties."+name, hAbs, hToks, bAbs, bToks)
}

// variantPath places a oneOf/anyOf alternative: "oneOf.Card" in the
// subject, each side's index in its pointer.
func variantPath(at *path, d *rules.SchemaDiff, p rules.VariantPair) *path {
	kind := d.Head.VariantKind
	if kind == "" {
		kind = d.Base.VariantKind
	}
	tokens := func(v *rules.Variant, k string) []string {
		if v.Index < 0 {
			return nil
		}
		return []string{k, itoa(v.Index)}
	}
	return at.sides(kind+"."+p.Head.Label(), tokens(p.Head, d.Head.VariantKind), tokens(p.Base, d.Base.VariantKind))
}

// orAny stands in an empty schema (anything is valid) for a missing one.
func orAny(r *openapi3.SchemaRef) *openapi3.SchemaRef {
	if r == nil {
		return &openapi3.SchemaRef{Value: &openapi3.Schema{}}
	}
	return r
}
