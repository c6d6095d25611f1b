package contracts

import (
	"gopkg.in/yaml.v3"
)

// Traits are applied with JSON Merge Patch (RFC 7386), but the two
// versions disagree on who wins:
//
//   - 2.x: "Traits MUST be merged into the message object using the JSON
//     Merge Patch algorithm": the trait is the patch, so a trait's field
//     overrides the object's (asyncapi/spec#505 discusses this surprise).
//   - 3.0: "A property on a trait MUST NOT override the same property on the
//     target object": the object is the patch applied over the trait.
//
// accord follows each version's text. Merging happens on YAML nodes, so the
// merged object keeps the positions and files of the fields it took from
// each side; both sides are dereferenced where they are merged, because a
// merge patch is defined on the documents $refs stand for.

// maxMergeDepth bounds recursive merging (recursive schemas merged with
// recursive schemas would otherwise never end).
const maxMergeDepth = 32

// applyTraits merges obj's traits into it and returns the merged object;
// obj itself when it has none.
func (p *asyncParser) applyTraits(obj cursor, what string) cursor {
	traits := obj.get("traits")
	if !p.sequence(traits, what+" traits") {
		return obj
	}
	merged := obj
	for _, tc := range traits.items() {
		t, _, ok := p.deref(tc)
		if !ok {
			continue
		}
		if t.isSeq() && !p.v3 && len(t.n.Content) > 0 {
			// AsyncAPI 2.0-2.2 also allowed a trait as [trait, bindings];
			// its first item is the trait.
			if t, _, ok = p.deref(t.index(0)); !ok {
				continue
			}
		}
		if !p.mapping(t, what+" trait") {
			continue
		}
		if p.v3 {
			merged = p.mergePatch(t, merged, 0)
		} else {
			merged = p.mergePatch(merged, t, 0)
		}
	}
	// The merged object stands where the object is written, whichever side
	// the merge started from.
	if merged.n != obj.n {
		p.places[merged.n] = place{f: obj.f, ptr: obj.ptr, key: obj.key}
		merged.f, merged.ptr, merged.key = obj.f, obj.ptr, obj.key
	}
	return merged
}

// mergePatch applies patch to target per RFC 7386 and returns the result as
// a new mapping whose entries are the original nodes (registered with their
// true places, so positions and relative $refs stay right).
func (p *asyncParser) mergePatch(target, patch cursor, depth int) cursor {
	if t, _, ok := p.deref(target); ok {
		target = t
	}
	if pt, _, ok := p.deref(patch); ok {
		patch = pt
	}
	if !patch.isMap() {
		return patch
	}
	if depth > maxMergeDepth || !p.charge(1, patch.f, patch.n) {
		return patch
	}
	out := &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
	base := patch
	if target.isMap() {
		base = target
	}
	result := cursor{p: p, f: base.f, n: out, ptr: base.ptr, key: base.key}
	p.places[out] = place{f: base.f, ptr: base.ptr, key: base.key}

	// Entries keep the key they are written under in the merged object;
	// their values may be dereferenced definitions with keys of their own.
	type entry struct {
		name string
		val  cursor
	}
	var kept []entry
	if target.isMap() {
		for _, te := range target.entries() {
			kept = append(kept, entry{te.name(), te})
		}
	}
	for _, pe := range patch.entries() {
		if !p.charge(1, pe.f, pe.n) {
			break
		}
		k := pe.name()
		idx := -1
		for i, te := range kept {
			if te.name == k {
				idx = i
				break
			}
		}
		switch {
		case pe.isNull():
			if idx >= 0 {
				kept = append(kept[:idx], kept[idx+1:]...)
			}
		case idx >= 0:
			kept[idx].val = p.mergePatch(kept[idx].val, pe, depth+1)
		default:
			kept = append(kept, entry{k, pe})
		}
	}
	for _, e := range kept {
		if e.val.n == nil {
			continue
		}
		if _, ok := p.places[e.val.n]; !ok {
			p.places[e.val.n] = place{f: e.val.f, ptr: e.val.ptr, key: e.val.key}
		}
		out.Content = append(out.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: e.name}, e.val.n)
	}
	return result
}
