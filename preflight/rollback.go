package preflight

import (
	"fmt"
	"regexp"
)

var switchesRe = regexp.MustCompile(`\bWith(Server)?Switches\(`)

// killSwitches: an operation that misbehaves in production must be
// switchable off without a deploy. The contract marks the risky ones
// (x-accord kill-switch: true) so operators know which switch to reach
// for; the generated code must accept switches and the application must
// pass them (WithServerSwitches on servers, WithSwitches on clients), or
// the switches exist but nothing reads them.
func (s *state) killSwitches() Check {
	c := Check{ID: "kill-switches", Title: "kill switches for risky operations"}
	var marked []Item
	for _, t := range s.targets {
		for _, o := range t.ops {
			if o.Policy.KillSwitch {
				marked = append(marked, yes(o.label()+" is marked kill-switch", o.where()))
			}
		}
	}
	var gaps []Item
	for _, t := range s.generatedTargets() {
		if _, ok := t.generated("WithServerSwitches", "WithSwitches"); !ok {
			gaps = append(gaps, no(t.Name+": the generated code takes no switches (regenerate with this accord)", t.Doc.Name))
		}
	}
	wiredAt, wired := s.findGo(switchesRe)
	switch {
	case len(gaps) > 0:
		c.Status, c.Why, c.Items = No, "the generated code of "+plural(len(gaps), "integration")+" cannot be switched off", gaps
	case len(marked) == 0 && !wired:
		c.Status, c.Why = No, "no operation is marked kill-switch: true, and the application wires no kill switches yet (WithServerSwitches / WithSwitches)"
	case len(marked) == 0:
		c.Status, c.Why = No, "switches are wired, but no operation is marked kill-switch: true: mark the risky ones so operators know which to switch off"
		c.Items = []Item{no("switches wired here, no operation marked", wiredAt)}
	case !wired:
		c.Status, c.Why = No, fmt.Sprintf("%s marked kill-switch, but the application wires no kill switches yet: pass WithServerSwitches / WithSwitches", plural(len(marked), "operation"))
		for _, it := range marked {
			c.Items = append(c.Items, no(it.Text+", but nothing switches it", it.Where))
		}
	default:
		c.Status, c.Why = Yes, fmt.Sprintf("%s marked kill-switch, and the application passes switches to the generated code", plural(len(marked), "operation"))
		c.Items = append(marked, yes("switches wired", wiredAt))
	}
	return c
}

// sandboxServer: partners and the launch rehearsal need somewhere to call
// that is not production.
func (s *state) sandboxServer() Check {
	var items []Item
	for _, t := range s.targets {
		found := false
		for _, sv := range servers(t) {
			if sv.sandbox() {
				items = append(items, yes(t.Name+": "+sv.url, sv.where))
				found = true
				break
			}
		}
		if !found {
			items = append(items, no(t.Name+": no server whose URL or description says sandbox, test or staging", t.Doc.Name))
		}
	}
	return verdict("sandbox-server", "a sandbox server declared", items,
		"every contract declares a sandbox or test server", "a contract declares no sandbox server", "")
}
