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
	e.warmPositions(order)
	out := make([]Finding, 0, len(order))
	for _, g := range order {
		if len(g.ops) == 0 {
			continue
		}
		out = append(out, e.finding(g))
	}
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

func (e *engine) finding(g *group) Finding {
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
	doc := e.head
	ptr := h.at.pointer(true)
	if h.h.Side == rules.Base {
		doc = e.base
		ptr = h.at.pointer(false)
		// Where the element used to be, in the file under review: the
		// nearest ancestor of its head-side location that exists.
		hp := e.head.RefPos(h.at.pointer(true))
		f.HeadPos = &hp
	}
	f.Pointer = docPointer(ptr)
	f.Pos = refPos(doc, ptr)
	f.Affected = make([]Operation, 0, len(g.ops))
	for _, op := range g.ops {
		f.Affected = append(f.Affected, e.ops[op])
	}
	sort.Slice(f.Affected, func(i, j int) bool { return f.Affected[i].Key < f.Affected[j].Key })
	f.Affected = slices.CompactFunc(f.Affected, func(a, b Operation) bool { return a.Key == b.Key })
	f.Fingerprint = fingerprint(f.Rule, f.Subject, f.Before, f.After)
	return f
}

// warmPositions builds the position indexes the findings need, both
// documents at once: indexing a multi-megabyte contract is the costliest
// part of a comparison that finds anything, and the two are independent.
func (e *engine) warmPositions(groups []*group) {
	needBase := false
	for _, g := range groups {
		needBase = needBase || g.first.h.Side == rules.Base
	}
	if len(groups) == 0 {
		return
	}
	if !needBase {
		e.head.Pos("")
		return
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		e.base.Pos("")
	}()
	e.head.Pos("")
	wg.Wait()
}

func refPos(d *contracts.Document, ref string) contracts.Position {
	return d.RefPos(ref)
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
