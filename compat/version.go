package compat

import (
	"github.com/accord-dev/accord/compat/rules"
)

// versionCheck runs the rules that judge info.version, once every other
// check has reported: whether the version bump is right depends on what the
// comparison found. The version finding affects the operations the breaking
// findings affect (or, for a missing minor bump, the changed and added
// ones), so a reviewer sees why the number matters. A removal past its
// x-sunset date is not counted as breaking: it was announced with a date and
// the policy pass accepts it, so it does not call for a major version.
func (e *engine) versionCheck() {
	if len(e.checks.version) == 0 {
		return
	}
	bv, hv := docInfo(e.base).Version, docInfo(e.head).Version
	if bv == hv {
		return
	}
	e.reach()
	d := &rules.VersionDiff{Base: bv, Head: hv}
	var breaking, other []int32
	for _, h := range e.hits {
		var ops []int32
		switch {
		case h.sc.node >= 0:
			ops = e.nodes[h.sc.node].ops
		case h.sc.ops != nil:
			ops = h.sc.ops
		default:
			ops = []int32{h.sc.op}
		}
		if len(ops) == 0 {
			continue // unreached: no finding will come of it
		}
		if e.rules[h.rule].Severity == rules.Error && !pastSunset(h.h.Sunset, e.life.Today) {
			d.Breaking = true
			breaking = append(breaking, ops...)
		} else {
			d.Additive = true
			other = append(other, ops...)
		}
	}
	inBase := map[string]bool{}
	for _, k := range OperationKeys(e.base) {
		inBase[k] = true
	}
	for _, k := range OperationKeys(e.head) {
		if !inBase[k] {
			d.Additive = true
			other = append(other, e.addOp(k, ""))
		}
	}
	ops := breaking
	if !d.Breaking {
		ops = other
	}
	at := rootPath("info.version", "", "#/info/version", "#/info/version")
	e.run(e.checks.version, scope{node: -1, ops: ops}, at, rules.None, func(r *rules.Rule, rep rules.Reporter) { r.Version(d, rep) })
}

func pastSunset(sunset, today string) bool {
	d, ok := rules.ParseDate(sunset)
	return ok && d < today
}
