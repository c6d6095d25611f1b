package contracts

import (
	"strings"
	"sync/atomic"
)

// restreamSource is a mapped YAML contract whose positions are found by
// streaming the file again instead of keeping its JSON conversion and marks
// for the document's lifetime: on Stripe's 4 MB contracts those are 3.6 MB
// each, a tenth of compat's live heap, held through the whole comparison
// for the few thousand positions its findings print at the end. The
// mapping stays (its pages released, so it costs the process nothing until
// read) and is unmapped with the locator.
type restreamSource struct {
	data []byte
	// sum is the CRC-32C of data when it was first streamed: a file
	// rewritten in place since then gives positions without lines rather
	// than lines of another text.
	sum uint32
	// full says prepare converted the file for good (some caller asked for
	// positions one at a time); positions then reuse that.
	full atomic.Bool
}

// prepareRestream is prepare for a restreamSource: the conversion with its
// marks, exactly the one loading made, kept from now on.
func (l *locator) prepareRestream() {
	var text []byte
	var marks []posMark
	var sum uint32
	ok := false
	if !faultFree(func() { text, marks, sum, ok = yamlStreamWith(l.re.data, streamOptions{mapped: true}) }) ||
		!ok || sum != l.re.sum || len(text) > 1<<31-1 {
		return
	}
	l.text, l.marks = text, marks
	l.root = l.findRoot()
	l.re.full.Store(true)
}

// positions returns Pos of each pointer. For a restreamSource that is one
// pass of the streamer as a locator, holding nothing but the pointers'
// trie; otherwise one Pos each.
func (l *locator) positions(pointers []string) []Position {
	out := make([]Position, len(pointers))
	if l.re == nil || l.re.full.Load() {
		for i, p := range pointers {
			out[i] = l.Pos(p)
			if l.mapped && i%releaseEvery == releaseEvery-1 {
				releasePages(l.data)
			}
		}
		if l.mapped {
			releasePages(l.data)
		}
		return out
	}
	loc := newStreamLocator(pointers)
	var sum uint32
	ok := false
	if !faultFree(func() { _, _, sum, ok = yamlStreamWith(l.re.data, streamOptions{mapped: true, loc: loc}) }) ||
		!ok || sum != l.re.sum {
		for i := range out {
			out[i] = Position{File: l.name}
		}
		return out
	}
	for i, p := range pointers {
		out[i] = loc.pos(l.name, p)
	}
	return out
}

// releaseEvery is how many positions in a mapped JSON file are found
// between releases of its pages. Each lookup faults in the pages of the
// containers on its path and of its line, and the kernel maps 64 KB around
// each fault: GitHub's pair of contracts, a few hundred findings, added 4
// MB of file pages at the very end of a comparison, its peak.
const releaseEvery = 16

// RefPositions returns RefPos of each ref, found together: callers with
// many positions to print (compat's findings) ask once, so that a file
// positions are streamed from is streamed once.
func (d *Document) RefPositions(refs []string) []Position {
	out := make([]Position, len(refs))
	var local []string
	var at []int
	for i, r := range refs {
		file, frag, _ := strings.Cut(r, "#")
		if file != "" {
			out[i] = d.RefPos(r)
			continue
		}
		local = append(local, frag)
		at = append(at, i)
	}
	if len(local) > 0 {
		for j, p := range d.root.positions(local) {
			out[at[j]] = p
		}
	}
	return out
}
