package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/accord-dev/accord/compat"
)

// defaultAcceptFile is read from the working directory when --accept is not
// given; its absence is normal (no break accepted).
const defaultAcceptFile = ".accord-compat.yaml"

// The accepted-breaks file:
//
//	accepted:
//	  - fingerprint: 9c1f2e7a55d0b3c4     # from the report (text "id", JSON "fingerprint")
//	    reason: v1 refunds retired with partners' agreement (PAY-412)
//	    expires: 2025-09-30               # YYYY-MM-DD, the first day it no longer applies
//	    rule: operation-removed           # optional: must match the finding's rule too
//
// Every problem (syntax, unknown key, missing field, bad date, duplicate
// entry) is reported with file:line:col and ends the command with exit 3: the
// file is an input that could not be parsed, like a broken contract. It is
// not a usage error (exit 2), because the command line itself is fine, and
// silently ignoring a bad entry would turn accepted breaks into failures, or
// worse, a typo in "expires" into an acceptance that never ends.
var acceptKeys = []string{"fingerprint", "reason", "expires", "rule"}

// acceptError lists every problem found in the accepted-breaks file.
type acceptError struct {
	problems []string
}

func (e *acceptError) Error() string {
	return "invalid accepted-breaks file:\n  " + strings.Join(e.problems, "\n  ")
}

// loadAcceptances reads the accepted-breaks file. name is --accept's value,
// or "" for the default file, which may be absent.
func loadAcceptances(dir, name string) ([]compat.Acceptance, string, error) {
	explicit := name != ""
	if !explicit {
		name = defaultAcceptFile
	}
	full := name
	if !filepath.IsAbs(full) && dir != "" {
		full = filepath.Join(dir, name)
	}
	data, err := os.ReadFile(full)
	switch {
	case err == nil:
	case !explicit && errors.Is(err, fs.ErrNotExist):
		return nil, "", nil
	default:
		return nil, name, fmt.Errorf("reading the accepted-breaks file: %w", err)
	}
	entries, err := parseAcceptances(name, data)
	return entries, name, err
}

// parseAcceptances decodes the file through yaml.Node so that every problem
// carries its line and column.
func parseAcceptances(name string, data []byte) ([]compat.Acceptance, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &acceptError{[]string{fmt.Sprintf("%s: %s", name, strings.TrimPrefix(err.Error(), "yaml: "))}}
	}
	if len(doc.Content) == 0 {
		return nil, nil // an empty file accepts nothing
	}
	p := &acceptParser{name: name}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.errorf(root, "the file must be a mapping with an `accepted:` list")
		return nil, p.err()
	}
	var list *yaml.Node
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value != "accepted" {
			p.errorf(k, "unknown key %q (the file has one key: accepted)", k.Value)
			continue
		}
		list = v
	}
	var out []compat.Acceptance
	if list != nil && !(list.Kind == yaml.ScalarNode && list.Tag == "!!null") {
		if list.Kind != yaml.SequenceNode {
			p.errorf(list, "accepted must be a list of {fingerprint, reason, expires, rule?} entries")
		} else {
			seen := map[string]*yaml.Node{}
			for _, item := range list.Content {
				a, ok := p.entry(item)
				if !ok {
					continue
				}
				key := a.Fingerprint + "\x00" + a.Rule
				if prev, dup := seen[key]; dup {
					p.errorf(item, "fingerprint %s is already accepted at line %d", a.Fingerprint, prev.Line)
					continue
				}
				seen[key] = item
				out = append(out, a)
			}
		}
	}
	return out, p.err()
}

type acceptParser struct {
	name     string
	problems []string
}

func (p *acceptParser) errorf(n *yaml.Node, format string, args ...any) {
	p.problems = append(p.problems, fmt.Sprintf("%s:%d:%d: %s", p.name, n.Line, n.Column, fmt.Sprintf(format, args...)))
}

func (p *acceptParser) err() error {
	if len(p.problems) == 0 {
		return nil
	}
	return &acceptError{p.problems}
}

func (p *acceptParser) entry(item *yaml.Node) (compat.Acceptance, bool) {
	a := compat.Acceptance{Source: fmt.Sprintf("%s:%d", p.name, item.Line)}
	if item.Kind != yaml.MappingNode {
		p.errorf(item, "an accepted entry must be a mapping with fingerprint, reason and expires")
		return a, false
	}
	before := len(p.problems)
	has := map[string]bool{}
	for i := 0; i+1 < len(item.Content); i += 2 {
		k, v := item.Content[i], item.Content[i+1]
		if has[k.Value] {
			p.errorf(k, "%s is given twice", k.Value)
			continue
		}
		has[k.Value] = true
		var dst *string
		switch k.Value {
		case "fingerprint":
			dst = &a.Fingerprint
		case "reason":
			dst = &a.Reason
		case "expires":
			dst = &a.Expires
		case "rule":
			dst = &a.Rule
		default:
			p.errorf(k, "unknown key %q (known: %s)", k.Value, strings.Join(acceptKeys, ", "))
			continue
		}
		if v.Kind != yaml.ScalarNode || v.Tag == "!!null" || strings.TrimSpace(v.Value) == "" {
			p.errorf(v, "%s must be a non-empty string", k.Value)
			continue
		}
		*dst = strings.TrimSpace(v.Value)
	}
	for _, required := range []string{"fingerprint", "reason", "expires"} {
		if !has[required] {
			p.errorf(item, "missing %s (every accepted break needs a fingerprint, a reason and an expiry date)", required)
		}
	}
	if a.Expires != "" {
		if _, err := time.Parse("2006-01-02", a.Expires); err != nil {
			p.errorf(valueOf(item, "expires"), "expires %q is not a date: write YYYY-MM-DD, e.g. 2025-09-30", a.Expires)
		}
	}
	return a, len(p.problems) == before
}

// valueOf returns the value node of key in a mapping node.
func valueOf(m *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return m
}
