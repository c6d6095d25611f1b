package compat

import (
	"strings"
	"time"

	"github.com/accord-dev/accord/compat/rules"
	"github.com/accord-dev/accord/contracts"
)

// lifecycle turns the options into what the deprecation rules read. The
// clock is read here, once, so every rule of a comparison agrees on "today".
func lifecycle(o Options) rules.Lifecycle {
	today := o.Today
	if today.IsZero() {
		today = time.Now()
	}
	return rules.Lifecycle{Today: today.Format(dateLayout), DeprecationDays: max(o.DeprecationDays, 0)}
}

// StabilityLevels maps each operation of d that declares an x-stability-level
// to the level, keyed as Policy.Stability expects (see stabilityKey).
func StabilityLevels(d *contracts.Document) map[string]string {
	out := map[string]string{}
	add := func(key string, ext map[string]any) {
		if _, level, ok := rules.StabilityRank(ext); ok {
			out[stabilityKey(key)] = level
		}
	}
	switch {
	case d == nil:
	case d.OpenAPI != nil && d.OpenAPI.Paths != nil:
		for path, item := range d.OpenAPI.Paths.Map() {
			for method, op := range item.Operations() {
				add(strings.ToUpper(method)+" "+path, op.Extensions)
			}
		}
	case d.AsyncAPI != nil:
		for _, op := range d.AsyncAPI.Operations {
			if op.Channel != nil {
				add(string(op.Action)+" "+address(op.Channel), op.Extensions)
			}
		}
	}
	return out
}

// stabilityKey matches an operation whatever its path parameters are named:
// findings name operations with head's template.
func stabilityKey(op string) string { return normalizeKey(op) }

// unstableReason returns why a finding does not fail when every operation
// it affects is draft or alpha in base (what clients built against), or "".
func unstableReason(levels map[string]string, ops []Operation) string {
	if len(levels) == 0 || len(ops) == 0 {
		return ""
	}
	seen := map[string]bool{}
	for _, op := range ops {
		l := levels[stabilityKey(op.Key)]
		if !rules.Unstable(l) {
			return ""
		}
		seen[l] = true
	}
	var ls []string
	for _, l := range []string{"draft", "alpha"} {
		if seen[l] {
			ls = append(ls, l)
		}
	}
	return "only affects operations at x-stability-level " + strings.Join(ls, "/") + ", which promise no compatibility: reported, not failing"
}
