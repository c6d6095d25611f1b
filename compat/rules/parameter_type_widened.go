package rules

import "github.com/getkin/kin-openapi/openapi3"

func parameterTypeWidened() Rule {
	return Rule{
		ID:        "parameter-type-widened",
		Category:  CatSDK,
		Severity:  Error,
		Profile:   SDK,
		Direction: Request,
		Summary:   "A parameter's type or format changed in a way the wire accepts but generated signatures do not (sdk profile).",
		Impact: "`limit` went from integer/int32 to integer/int64 (or from integer to string): every old request is " +
			"still valid, but a regenerated Go client's ListOrders(ctx, limit int32) became int64 and calling code " +
			"no longer compiles.",
		Mitigation: "Keep parameter types stable in SDK-facing contracts; widen them in a major SDK release.",
		Parameter: func(d *ParameterDiff, r Reporter) {
			if d.BaseSchema == nil || d.HeadSchema == nil {
				return
			}
			b := NewView(&openapi3.SchemaRef{Value: d.BaseSchema}, nil)
			h := NewView(&openapi3.SchemaRef{Value: d.HeadSchema}, nil)
			bf, hf := b.Format(), h.Format()
			if b.Types == h.Types && normalFormat(bf) == normalFormat(hf) {
				return
			}
			// Only widenings: a narrowing is already a wire break (type-changed, format-changed).
			// Parameters sent as text widen by the strings they accept
			// (integer to string, a scalar to an exploded array).
			wide := h.Types.Covers(b.Types)
			if bw, ok := WireOf(d.Base); ok {
				if hw, ok := WireOf(d.Head); ok {
					wide = TextCovers(h, b, hw, bw)
				}
			}
			if !wide || !FormatAccepts(hf, bf) {
				return
			}
			before, after := typeAndFormat(b.Types, bf), typeAndFormat(h.Types, hf)
			r.Report(Hit{
				At:      []string{"schema"},
				Before:  before,
				After:   after,
				Message: d.Head.In + " parameter " + d.Head.Name + " type changed from " + before + " to " + after,
			})
		},
	}
}

func typeAndFormat(t TypeSet, f string) string {
	if f == "" {
		return t.String()
	}
	return t.String() + "/" + f
}
