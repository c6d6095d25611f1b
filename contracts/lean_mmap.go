package contracts

import (
	"runtime"
	"runtime/debug"
)

// loadMapped decodes a mapped file (see mapContract). A YAML file's
// mapping goes once converted; a JSON file's stays for positions, released
// from the process, until the document is unreachable. A file truncated
// under the mapping faults: while decoding that declines (and readSource
// reads what is there now); later it would end the process, not misplace
// a finding.
func loadMapped(src *sourceFile) (doc *Document, ok bool) {
	data := src.data
	defer func() {
		if r := recover(); r != nil {
			if _, fault := r.(interface{ Addr() uintptr }); !fault {
				panic(r)
			}
			doc, ok = nil, false
		}
		if !ok {
			unmapContract(data)
		}
	}()
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	doc, err := decodeLean(src, true)
	if err != nil {
		return nil, false
	}
	if doc.root.data == nil && doc.root.re == nil {
		unmapContract(data)
		return doc, true
	}
	releasePages(data)
	runtime.AddCleanup(doc.root, unmapContract, data)
	return doc, true
}

// faultFree runs f with faults on mappings turned into panics, and says
// false when f faulted (a mapped file shrank under it).
func faultFree(f func()) (ok bool) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if r := recover(); r != nil {
			if _, fault := r.(interface{ Addr() uintptr }); !fault {
				panic(r)
			}
			ok = false
		}
	}()
	f()
	return true
}

// releaseStep is how much of a mapped file the decoder keeps behind it;
// what it looks back at (a leaf schema's members) is far shorter, and
// reading a released page again only faults it back in.
const releaseStep = 1 << 20

// releaseTo releases the mapped pages before off.
func (d *leanDec) releaseTo(off int) {
	upTo := off &^ (pageSize - 1)
	if upTo > d.released {
		releasePages(d.data[d.released:upTo])
		d.released = upTo
	}
}

// pageSize aligns releases; a larger real page size only makes madvise
// refuse, which keeps the pages.
const pageSize = 4096

// mappedLineStarts is lineStarts over a mapping, releasing its pages behind.
func mappedLineStarts(data []byte) []int32 {
	lines := []int32{0}
	for start := 0; start < len(data); start += releaseStep {
		end := min(start+releaseStep, len(data))
		for i, b := range data[start:end] {
			if b == '\n' {
				lines = append(lines, int32(start+i+1))
			}
		}
		releasePages(data[start : end&^(pageSize-1)])
	}
	return lines
}
