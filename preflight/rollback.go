package preflight

// killSwitches: an operation that misbehaves in production must be
// switchable off without a deploy.
func (s *state) killSwitches() Check {
	return s.generatedHas("kill-switches", "kill switches for risky operations", []string{"ErrDisabled", "KillSwitch"},
		"generated clients and servers can switch each operation off at run time",
		"accord does not generate kill switches yet: a failing path cannot be switched off without a deploy")
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
