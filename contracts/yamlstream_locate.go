package contracts

import (
	"hash/crc32"
	"strconv"
	"strings"
)

// streamLocator is what the streamer records positions into when it runs as
// a locator (streamOptions.loc): a trie of the pointers asked for, each node
// marked with where its element starts once the streamer passes it. The
// positions are the ones the locator would find walking the JSON conversion
// with its marks, because they are taken at the same mark calls: every
// object member's key, every sequence item and the root get a mark exactly
// where their JSON starts, and Pos reports an element by that mark.
type streamLocator struct {
	root *locNode
	// cur holds the nodes of the value being read: none when no pointer
	// asked for continues below it; several when tokens that differ as
	// keys name the same array index ("1" and "01").
	cur []*locNode
	// line and col are the last mark's.
	line, col int32
}

// locNode is one reference token of the pointers asked for.
type locNode struct {
	// children by unescaped token, as an object member is looked up;
	// items by index, as an array item is (strconv.Atoi of the token, as
	// locator.find reads it).
	children map[string]*locNode
	items    map[int][]*locNode
	// self is the node alone, what cur holds when only it continues.
	self  []*locNode
	found bool
	line  int32
	col   int32
}

func newLocNode() *locNode {
	n := &locNode{}
	n.self = []*locNode{n}
	return n
}

func newStreamLocator(pointers []string) *streamLocator {
	l := &streamLocator{root: newLocNode()}
	for _, p := range pointers {
		if p == "" {
			continue
		}
		n := l.root
		for _, tok := range strings.Split(strings.TrimPrefix(p, "/"), "/") {
			k := unescapePointerToken(tok)
			c := n.children[k]
			if c == nil {
				c = newLocNode()
				if n.children == nil {
					n.children = map[string]*locNode{}
				}
				n.children[k] = c
				if i, err := strconv.Atoi(tok); err == nil && i >= 0 {
					if n.items == nil {
						n.items = map[int][]*locNode{}
					}
					n.items[i] = append(n.items[i], c)
				}
			}
			n = c
		}
	}
	return l
}

// enterRoot records the root's position (the mark just made).
func (l *streamLocator) enterRoot() {
	l.reach(l.root)
	l.cur = l.root.self
}

func (l *streamLocator) reach(n *locNode) {
	if !n.found {
		n.found, n.line, n.col = true, l.line, l.col
	}
}

// key returns the nodes of the member whose JSON key is jsonKey in the
// object whose nodes are parent, recording their position.
func (l *streamLocator) key(parent []*locNode, jsonKey []byte) []*locNode {
	if len(parent) == 0 {
		return nil
	}
	k, _, ok := readString(jsonKey, 0)
	if !ok {
		return nil
	}
	var out []*locNode
	for _, p := range parent {
		if c := p.children[k]; c != nil {
			l.reach(c)
			out = appendNode(out, c)
		}
	}
	return out
}

// itemMark makes the item'th item of the sequence whose nodes are parent
// the current value, recording its position (the mark just made).
func (s *yamlStreamer) itemMark(parent []*locNode, item int) {
	if s.loc == nil {
		return
	}
	var out []*locNode
	for _, p := range parent {
		for _, c := range p.items[item] {
			s.loc.reach(c)
			out = appendNode(out, c)
		}
	}
	s.loc.cur = out
}

// appendNode appends c to out without allocating for the common single node.
func appendNode(out []*locNode, c *locNode) []*locNode {
	if out == nil {
		return c.self
	}
	return append(out[:len(out):len(out)], c)
}

// pos is Pos's answer for pointer: the position of the deepest element on
// its path the streamer passed.
func (l *streamLocator) pos(name, pointer string) Position {
	n := l.root
	if !n.found {
		return Position{File: name}
	}
	if pointer != "" {
		for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
			c := n.children[unescapePointerToken(tok)]
			if c == nil || !c.found {
				break
			}
			n = c
		}
	}
	return Position{File: name, Line: int(n.line), Col: int(n.col)}
}

// castagnoli is the checksum a mapped YAML file is recognised by when it is
// streamed again.
var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// streamReleaseStep is how much of a mapped file the streamer keeps behind
// it: it looks back a few lines at most (a plain scalar's continuation), and
// when positions are streamed at the end of a comparison, what is mapped
// then adds to the process's peak.
const streamReleaseStep = 256 << 10

// releaseTo checksums and releases the mapped pages before off.
func (s *yamlStreamer) releaseTo(off int) {
	upTo := off
	if off < len(s.data) {
		upTo = off &^ (pageSize - 1)
	}
	if upTo > s.released {
		b := s.data[s.released:upTo]
		s.sum = crc32.Update(s.sum, castagnoli, b)
		releasePages(b)
		s.released = upTo
	}
}
