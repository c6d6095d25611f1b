package mock

import (
	"regexp/syntax"
	"strings"
)

// maxRepeat caps open-ended repetitions (x*, x+, x{3,}) so generated
// strings stay short.
const maxRepeat = 3

// fromRegexp walks the parsed expression and emits one string it matches.
func (g *Generator) fromRegexp(expr string) (string, bool) {
	re, err := syntax.Parse(expr, syntax.Perl)
	if err != nil {
		return "", false
	}
	var b strings.Builder
	ok := g.emit(&b, re.Simplify(), 0)
	return b.String(), ok
}

func (g *Generator) emit(b *strings.Builder, re *syntax.Regexp, depth int) bool {
	if depth > 64 || b.Len() > 4096 {
		return false
	}
	switch re.Op {
	case syntax.OpEmptyMatch, syntax.OpBeginLine, syntax.OpEndLine, syntax.OpBeginText, syntax.OpEndText,
		syntax.OpWordBoundary, syntax.OpNoWordBoundary:
		return true
	case syntax.OpLiteral:
		for _, r := range re.Rune {
			b.WriteRune(r)
		}
		return true
	case syntax.OpCharClass:
		r, ok := g.classRune(re.Rune)
		if ok {
			b.WriteRune(r)
		}
		return ok
	case syntax.OpAnyChar, syntax.OpAnyCharNotNL:
		b.WriteByte(letters[g.rng.IntN(len(letters))])
		return true
	case syntax.OpCapture:
		return g.emit(b, re.Sub[0], depth+1)
	case syntax.OpStar, syntax.OpPlus, syntax.OpQuest, syntax.OpRepeat:
		lo, hi := 0, maxRepeat
		switch re.Op {
		case syntax.OpPlus:
			lo = 1
		case syntax.OpQuest:
			hi = 1
		case syntax.OpRepeat:
			lo, hi = re.Min, re.Max
			if hi < 0 || hi > lo+maxRepeat {
				hi = lo + maxRepeat
			}
		}
		n := lo + g.rng.IntN(hi-lo+1)
		for range n {
			if !g.emit(b, re.Sub[0], depth+1) {
				return false
			}
		}
		return true
	case syntax.OpConcat:
		for _, s := range re.Sub {
			if !g.emit(b, s, depth+1) {
				return false
			}
		}
		return true
	case syntax.OpAlternate:
		return g.emit(b, re.Sub[g.rng.IntN(len(re.Sub))], depth+1)
	}
	return false
}

// classRune picks a rune from a class's ranges, preferring printable ASCII
// so that negated classes ([^/]) do not produce exotic code points.
func (g *Generator) classRune(ranges []rune) (rune, bool) {
	var ascii [][2]rune
	for i := 0; i+1 < len(ranges); i += 2 {
		lo, hi := max(ranges[i], 0x21), min(ranges[i+1], 0x7e)
		if lo <= hi {
			ascii = append(ascii, [2]rune{lo, hi})
		}
	}
	if len(ascii) > 0 {
		r := ascii[g.rng.IntN(len(ascii))]
		return r[0] + rune(g.rng.IntN(int(r[1]-r[0]+1))), true
	}
	if len(ranges) >= 2 {
		return ranges[0], true
	}
	return 0, false
}
