package rules

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
	return !d.Partial && d.Base.Types == d.Head.Types
}

// Both reports whether both sides allow type t: property checks only make
// sense between two objects, length checks between two strings, ...
func (d *SchemaDiff) Both(t TypeSet) bool {
	return !d.Partial && d.Base.Allows(t) && d.Head.Allows(t)
}

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
