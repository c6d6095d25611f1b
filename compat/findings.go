package compat

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"sort"
	"sync"

	"github.com/accord-dev/accord/compat/rules"
	"github.com/accord-dev/accord/contracts"
)

// reach gives every node with hits the operations that reach it: one
// breadth-first walk per operation over the node graph, with a stamp per
// node instead of a fresh visited set.
func (e *engine) reach() {
	if len(e.nodes) == 0 || e.reached {
		return
	}
	e.reached = true
	stamp := make([]int32, len(e.nodes))
	for i := range stamp {
		stamp[i] = -1
	}
	var queue []int32
	for op, entries := range e.opEntries {
		queue = append(queue[:0], entries...)
		for len(queue) > 0 {
			n := queue[len(queue)-1]
			queue = queue[:len(queue)-1]
			if stamp[n] == int32(op) {
				continue
			}
			stamp[n] = int32(op)
			nd := e.nodes[n]
			if nd.hasHits {
				nd.ops = append(nd.ops, int32(op))
			}
			queue = append(queue, nd.edges...)
		}
	}
}

// group gathers the hits that are one finding: same rule, subject and change.
type group struct {
	rule    int
	subject string
	first   hit
	message string
	ops     []int32 // with repeats until finding() sorts them
	dirs    map[rules.Direction]bool
}

// findings turns hits into findings: one per rule + subject + change, with
// every affected operation, sorted most severe first.
func (e *engine) findings() []Finding {
	e.reach()
	groups := map[string]*group{}
	var order []*group
	for _, h := range e.hits {
		subject := h.at.subject()
		key := e.rules[h.rule].ID + "\x00" + subject + "\x00" + h.h.Before + "\x00" + h.h.After
		g := groups[key]
		if g == nil {
			g = &group{rule: h.rule, subject: subject, first: h, message: h.h.Message,
				dirs: map[rules.Direction]bool{}}
			groups[key] = g
			order = append(order, g)
		} else if h.h.Message < g.message {
			g.message = h.h.Message // deterministic whatever the walk order
		}
		if h.h.Sunset != "" && g.first.h.Sunset == "" {
			g.first = h
		}
		g.dirs[h.dir] = true
		switch {
		case h.sc.node >= 0:
			g.ops = append(g.ops, e.nodes[h.sc.node].ops...)
		case h.sc.ops != nil:
			g.ops = append(g.ops, h.sc.ops...)
		default:
			g.ops = append(g.ops, h.sc.op)
		}
	}
	out := make([]Finding, 0, len(order))
	var at []posAt
	for _, g := range order {
		if len(g.ops) == 0 {
			continue
		}
		f, a := e.finding(g)
		out = append(out, f)
		at = append(at, a)
	}
	e.findingPositions(out, at)
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Severity.Rank() != b.Severity.Rank() {
			return a.Severity.Rank() > b.Severity.Rank()
		}
		if a.Subject != b.Subject {
			return a.Subject < b.Subject
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		if a.Before != b.Before {
			return a.Before < b.Before
		}
		return a.After < b.After
	})
	return out
}

// posAt is where a finding's positions are: its pointer in the document
// of its side, and for base-side findings its pointer in head.
type posAt struct {
	base         bool
	ptr, headPtr string
}

// finding builds g's finding but for its positions, which
// findingPositions finds for all findings together.
func (e *engine) finding(g *group) (Finding, posAt) {
	r := e.rules[g.rule]
	h := g.first
	f := Finding{
		Rule:     r.ID,
		Severity: Severity(r.Severity),
		Category: r.Category,
		Message:  g.message,
		Subject:  g.subject,
		Before:   h.h.Before,
		After:    h.h.After,
		Side:     string(h.h.Side),
		Sunset:   h.h.Sunset,
	}
	if len(g.dirs) == 1 {
		for d := range g.dirs {
			if d == rules.Request || d == rules.Response {
				f.Dir = Direction(d)
			}
		}
	}
	a := posAt{ptr: h.at.pointer(true)}
	if h.h.Side == rules.Base {
		a = posAt{base: true, ptr: h.at.pointer(false), headPtr: a.ptr}
	}
	f.Pointer = docPointer(a.ptr)
	f.Affected = make([]Operation, 0, len(g.ops))
	for _, op := range g.ops {
		f.Affected = append(f.Affected, e.ops[op])
	}
	sort.Slice(f.Affected, func(i, j int) bool { return f.Affected[i].Key < f.Affected[j].Key })
	f.Affected = slices.CompactFunc(f.Affected, func(a, b Operation) bool { return a.Key == b.Key })
	f.Fingerprint = fingerprint(f.Rule, f.Subject, f.Before, f.After)
	return f, a
}

// findingPositions sets each finding's position in the document of its side
// and, for a base-side finding, where its element used to be in the file
// under review (HeadPos: the nearest ancestor of its head-side location
// that exists). Each document is asked once for all of them, the two at
// once: a contract streamed again for its positions (see
// contracts.Document.RefPositions) is then streamed once, and a large
// contract's position index, the costliest part of a comparison that finds
// anything, is built while the other's is.
func (e *engine) findingPositions(out []Finding, at []posAt) {
	var baseRefs, headRefs []string
	for _, a := range at {
		if a.base {
			baseRefs = append(baseRefs, a.ptr)
			headRefs = append(headRefs, a.headPtr)
		} else {
			headRefs = append(headRefs, a.ptr)
		}
	}
	var basePos, headPos []contracts.Position
	var wg sync.WaitGroup
	if len(baseRefs) > 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			basePos = e.base.RefPositions(baseRefs)
		}()
	}
	if len(headRefs) > 0 {
		headPos = e.head.RefPositions(headRefs)
	}
	wg.Wait()
	for i, a := range at {
		f := &out[i]
		if a.base {
			f.Pos, basePos = basePos[0], basePos[1:]
			hp := headPos[0]
			f.HeadPos = &hp
		} else {
			f.Pos = headPos[0]
		}
		headPos = headPos[1:]
	}
}

// fingerprint identifies a finding across runs: rule, subject and change,
// never positions, so that editing unrelated lines keeps accepted breaks.
func fingerprint(parts ...string) string {
	h := sha256.New()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:16]
}
