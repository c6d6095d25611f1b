package rules

import "sort"

// Helpers for schema checks.

// Allows reports whether values of type t may match the view (an untyped
// view allows every type).
func (v *View) Allows(t TypeSet) bool {
	return v.Types == 0 || v.Types&t != 0
}

// Full reports whether structural checks apply: the pair is not a Partial
// (variant-only) pair and its types did not change outright (a type change
// is reported once by type-changed, not again as every keyword it affects).
func (d *SchemaDiff) Full() bool {
	return !d.Partial && (d.Base.Types == d.Head.Types || !d.TypeBreaks())
}

// TypeBreaks reports whether the change of types alone breaks the side
// that reads: in a request, head must accept every type base did; in a
// response, base must accept every type head produces. Text values compare
// by the strings they accept (see TextCovers).
func (d *SchemaDiff) TypeBreaks() bool {
	b, h := d.Base, d.Head
	if d.Partial || len(b.Variants) > 0 || len(h.Variants) > 0 || b.Types == h.Types {
		return false
	}
	if d.Text {
		var w Wires
		if d.Wire != nil {
			w = *d.Wire
		}
		if d.Dir == Request {
			return !TextCovers(h, b, w.Head, w.Base)
		}
		return !TextCovers(b, h, w.Base, w.Head)
	}
	return (d.Dir == Request && !h.Types.Covers(b.Types)) || (d.Dir == Response && !b.Types.Covers(h.Types))
}

// Both reports whether both sides allow type t: property checks only make
// sense between two objects, length checks between two strings, ... A text
// value is a string whatever its scalar type says.
func (d *SchemaDiff) Both(t TypeSet) bool {
	if d.Partial {
		return false
	}
	if d.Text && t == TString && scalar(d.Base) && scalar(d.Head) {
		return true
	}
	return d.Base.Allows(t) && d.Head.Allows(t)
}

func scalar(v *View) bool { return v.Types&(TArray|TObject) == 0 }

// variantKind is the keyword the variants of a pair are written under.
func (d *SchemaDiff) variantKind() string {
	if d.Head.VariantKind != "" {
		return d.Head.VariantKind
	}
	if d.Base.VariantKind != "" {
		return d.Base.VariantKind
	}
	return "oneOf"
}

// Missing returns the values of from (rendered by ValueKey) that to lacks;
// text values compare as text, so 1 and "1" are the same parameter value.
func (d *SchemaDiff) Missing(from, to []any) []string {
	if !d.Text {
		return Missing(from, to)
	}
	in := make(map[string]bool, len(to))
	for _, x := range to {
		in[TextKey(x)] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, x := range from {
		if k := TextKey(x); !in[k] && !seen[k] {
			seen[k] = true
			out = append(out, ValueKey(x))
		}
	}
	sort.Strings(out)
	return out
}
