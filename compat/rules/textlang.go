package rules

import (
	"math"
	"regexp"
	"strconv"

	"github.com/getkin/kin-openapi/openapi3"
)

// Parameters (path, query, header, cookie) and headers travel as text: a
// server parses "42" whether the contract says integer, number or string.
// Their compatibility is the inclusion of the sets of strings each side
// accepts, not the JSON type lattice: integer ⊂ number ⊂ string, boolean ⊂
// string, an enum is its values' text, and an array serialised with
// `style: form, explode: true` is the repetition of its items (a single
// occurrence is what a scalar parameter sends).

// ParamWire is how a parameter's value is serialised: the effective style
// and explode, and where the parameter goes. The zero value (no style) is a
// text value without a parameter of its own: a header, or an item.
type ParamWire struct {
	In, Style string
	Explode   bool
}

// repeats: each array item is sent as its own name=value pair, so one
// occurrence is exactly what a scalar parameter of the same name sends.
func (w ParamWire) repeats() bool {
	return w.Explode && (w.Style == "form" || w.Style == "")
}

// textLang is the set of strings a scalar schema accepts as text.
type textLang struct {
	any     bool    // every string
	kinds   TypeSet // otherwise: the lexical spaces of these types
	hasEnum bool    // further restricted to enum
	enum    []string
}

func scalarLang(v *View, withEnum bool) textLang {
	var l textLang
	t := v.Types &^ (TArray | TObject)
	if v.Types == 0 || t&TString != 0 {
		l.any = true
	}
	l.kinds = t
	if withEnum {
		if vals, ok := v.Enum(); ok {
			l.hasEnum = true
			for _, x := range vals {
				l.enum = append(l.enum, TextKey(x))
			}
		}
	}
	return l
}

// accepts reports whether the text s is in the language.
func (l textLang) accepts(s string) bool {
	if l.hasEnum {
		found := false
		for _, e := range l.enum {
			found = found || e == s
		}
		if !found {
			return false
		}
	}
	if l.any {
		return true
	}
	if l.kinds&TBoolean != 0 && (s == "true" || s == "false") {
		return true
	}
	if l.kinds&(TInteger|TNumber) != 0 {
		if _, err := strconv.ParseInt(s, 10, 64); err == nil {
			return true
		}
	}
	if l.kinds&TNumber != 0 {
		if f, err := strconv.ParseFloat(s, 64); err == nil && !math.IsInf(f, 0) && !math.IsNaN(f) {
			return true
		}
	}
	return false
}

// contains reports, conservatively, whether every string of m is in l.
func (l textLang) contains(m textLang) bool {
	if m.hasEnum {
		for _, s := range m.enum {
			if !l.accepts(s) {
				return false
			}
		}
		return true
	}
	switch {
	case l.hasEnum:
		return false
	case l.any:
		return true
	case m.any:
		return false
	}
	return l.kinds.Covers(m.kinds)
}

// noDelimiter reports whether no string of the language contains a comma,
// a space or a pipe (the delimiters of non-exploded arrays).
func (l textLang) noDelimiter() bool {
	if l.hasEnum {
		for _, s := range l.enum {
			for _, r := range s {
				if r == ',' || r == ' ' || r == '|' {
					return false
				}
			}
		}
		return true
	}
	return !l.any
}

// TextKey renders a JSON value as the text a parameter carries.
func TextKey(x any) string {
	switch v := x.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	}
	return ValueKey(x)
}

// TextCovers reports whether every text value of inner (serialised as
// innerWire) is accepted by outer (serialised as outerWire): the parameter
// analogue of TypeSet.Covers, enums of inner included. Bounds, lengths and
// patterns are left to their own rules.
func TextCovers(outer, inner *View, outerWire, innerWire ParamWire) bool {
	oArr, iArr := outer.Types == TArray, inner.Types == TArray
	if outer.Types&(TArray|TObject) != 0 && !oArr || inner.Types&(TArray|TObject) != 0 && !iArr {
		// Objects (and mixed scalar/array sets) serialise per style in ways
		// this model does not follow: the JSON types decide.
		return outer.Types.Covers(inner.Types)
	}
	switch {
	case oArr && iArr:
		return true // items are compared as their own pair
	case oArr:
		// One value where a list is now read: a single occurrence, or a
		// single item when no value can contain the delimiter.
		items := itemsView(outer)
		il := scalarLang(inner, true)
		if !outerWire.repeats() && !il.noDelimiter() {
			return false
		}
		if l := outer.Limits(); l.MinItems > 1 || l.MaxItems != nil && *l.MaxItems < 1 {
			return false
		}
		return scalarLang(items, false).contains(il)
	case iArr:
		// A list where one value is now read: only a comma-joined list read
		// as any string survives.
		ol := scalarLang(outer, false)
		return !innerWire.repeats() && ol.any && !ol.hasEnum
	}
	return scalarLang(outer, false).contains(scalarLang(inner, true))
}

func itemsView(v *View) *View {
	if it := v.Items(); it != nil && it.Value != nil {
		return NewView(it, nil)
	}
	return &View{}
}

// digitPatterns are patterns that accept exactly the non-negative integers
// written in decimal (and, for the signed ones, negative ones too).
var digitPatterns = map[string]bool{
	`^[0-9]+$`: false, `^\d+$`: false, `^[0-9]*$`: false, `^\d*$`: false,
	`^-?[0-9]+$`: true, `^-?\d+$`: true,
}

// textPatternCovers reports whether every text value of inner matches
// pattern, when that can be shown: its enum values all match, or it is an
// integer that digit-only patterns accept.
func textPatternCovers(pattern string, inner *View) bool {
	l := scalarLang(inner, true)
	if l.hasEnum {
		re, err := regexp.Compile(pattern)
		if err != nil {
			return false
		}
		for _, s := range l.enum {
			if !re.MatchString(s) {
				return false
			}
		}
		return true
	}
	signed, ok := digitPatterns[pattern]
	if !ok || l.any || l.kinds != TInteger {
		return false
	}
	if signed {
		return true
	}
	lo := inner.Lower()
	return lo.Set && (lo.Value >= 0 || lo.Exclusive && lo.Value >= -1)
}

// WireOf is a parameter's serialisation, OpenAPI's defaults applied; ok is
// false when the value is not text (a `content` parameter carries JSON or
// another media type).
func WireOf(p *openapi3.Parameter) (w ParamWire, ok bool) {
	if p == nil || p.Schema == nil {
		return ParamWire{}, false
	}
	style, explode := effectiveStyle(p.In, p.Style, p.Explode)
	return ParamWire{In: p.In, Style: style, Explode: explode}, true
}
