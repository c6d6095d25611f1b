package config

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/accord-dev/accord/contracts"
)

// parser walks the YAML nodes, collecting every problem rather than
// stopping at the first, so one run shows everything to fix.
type parser struct {
	file     string
	problems []contracts.Problem
}

func (p *parser) result() error {
	return &contracts.Error{Class: contracts.ClassInvalid, Problems: p.problems}
}

func (p *parser) pos(n *yaml.Node) contracts.Position {
	return contracts.Position{File: p.file, Line: n.Line, Col: n.Column}
}

func (p *parser) errorf(n *yaml.Node, code, msg, hint string) {
	p.problems = append(p.problems, contracts.Problem{Pos: p.pos(n), Severity: contracts.SeverityError, Code: code, Message: msg, Hint: hint})
}

// mapping checks n is a mapping with known keys and returns its values by
// key (key node first, so positions can point at either).
func (p *parser) mapping(n *yaml.Node, what string, known []string) map[string][2]*yaml.Node {
	if n.Kind != yaml.MappingNode {
		p.errorf(n, "config-bad-value", what+" must be a mapping", "")
		return nil
	}
	out := map[string][2]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if known != nil && !slices.Contains(known, k.Value) {
			hint := "known keys: " + strings.Join(known, ", ")
			if near := closest(k.Value, known); near != "" {
				hint = "did you mean " + near + "? " + hint
			}
			p.errorf(k, "config-unknown-key", fmt.Sprintf("%s: unknown key %q", what, k.Value), hint)
			continue
		}
		if _, dup := out[k.Value]; dup {
			p.errorf(k, "config-duplicate-key", fmt.Sprintf("%s: %q is given twice", what, k.Value), "")
			continue
		}
		out[k.Value] = [2]*yaml.Node{k, v}
	}
	return out
}

func (p *parser) top(n *yaml.Node, cfg *Config) {
	m := p.mapping(n, "the config", topKeys())
	if m == nil {
		return
	}
	if kv, ok := m["version"]; !ok {
		p.errorf(n, "config-no-version", "the config has no version", "add `version: 1` at the top")
	} else if v, err := strconv.Atoi(kv[1].Value); err != nil || kv[1].Kind != yaml.ScalarNode || v != 1 {
		p.errorf(kv[1], "config-bad-version", fmt.Sprintf("version %q is not supported", kv[1].Value), "this accord reads `version: 1`")
	} else {
		cfg.Version = v
	}
	if kv, ok := m["runtime"]; ok {
		if kv[1].Kind != yaml.ScalarNode || kv[1].Tag != "!!str" || strings.TrimSpace(kv[1].Value) == "" {
			p.errorf(kv[1], "config-bad-value", "runtime must name a directory", "e.g. `runtime: internal/accordrt`: the package every integration imports")
		} else {
			cfg.Runtime = kv[1].Value
		}
	}
	kv, ok := m["integrations"]
	if !ok {
		p.errorf(n, "config-no-integrations", "the config lists no integrations", "add an `integrations:` list")
		return
	}
	list := kv[1]
	if list.Kind != yaml.SequenceNode {
		p.errorf(list, "config-bad-value", "integrations must be a list", "")
		return
	}
	names := map[string]bool{}
	for _, item := range list.Content {
		in, ok := p.integration(item)
		if !ok {
			continue
		}
		if names[in.Name] {
			p.errorf(item, "config-duplicate-name", fmt.Sprintf("integration %q is listed twice", in.Name), "give each integration its own name")
		}
		names[in.Name] = true
		cfg.Integrations = append(cfg.Integrations, in)
	}
}

var packageName = regexp.MustCompile(`^[a-z_][a-z0-9_]*$`)

func (p *parser) integration(n *yaml.Node) (Integration, bool) {
	in := Integration{Enabled: true, Pos: p.pos(n)}
	before := len(p.problems)
	m := p.mapping(n, "integration", integrationKeys())
	if m == nil {
		return in, false
	}
	in.Name = p.requiredString(n, m, "name")
	where := "integration"
	if in.Name != "" {
		where = fmt.Sprintf("integration %q", in.Name)
	}
	in.Contract = p.requiredString(n, m, "contract")
	in.Output = p.requiredString(n, m, "output")
	in.Package = p.requiredString(n, m, "package")
	if kv, ok := m["package"]; ok && in.Package != "" && !packageName.MatchString(in.Package) {
		p.errorf(kv[1], "config-bad-package", fmt.Sprintf("%s: %q is not a Go package name", where, in.Package),
			"use lower-case letters, digits and underscores, e.g. payments")
	}
	if kv, ok := m["generate"]; ok {
		in.Generate = p.parts(kv[1], where)
	}
	if kv, ok := m["enabled"]; ok {
		if kv[1].Kind != yaml.ScalarNode || kv[1].Tag != "!!bool" {
			p.errorf(kv[1], "config-bad-value", where+": enabled must be true or false", "")
		} else {
			in.Enabled = kv[1].Value == "true"
		}
	}
	if kv, ok := m["policy"]; ok {
		if spec, ok := p.policy(kv[1]); ok {
			in.Policy = &spec
		}
	}
	if kv, ok := m["operations"]; ok {
		ops := p.mapping(kv[1], where+": operations", nil)
		for i := 0; ops != nil && i+1 < len(kv[1].Content); i += 2 {
			k, v := kv[1].Content[i], kv[1].Content[i+1]
			if first, ok := ops[k.Value]; !ok || first[0] != k {
				continue // a duplicate, already reported
			}
			if spec, ok := p.policy(v); ok {
				in.Operations = append(in.Operations, OperationPolicy{ID: k.Value, Spec: spec, Pos: p.pos(k)})
			}
		}
	}
	return in, len(p.problems) == before
}

func (p *parser) requiredString(parent *yaml.Node, m map[string][2]*yaml.Node, key string) string {
	kv, ok := m[key]
	if !ok {
		p.errorf(parent, "config-missing-key", fmt.Sprintf("integration: %s is missing", key), "every integration needs name, contract, output and package")
		return ""
	}
	if kv[1].Kind != yaml.ScalarNode || kv[1].Tag != "!!str" || kv[1].Value == "" {
		p.errorf(kv[1], "config-bad-value", fmt.Sprintf("integration: %s must be a non-empty string", key), "")
		return ""
	}
	return kv[1].Value
}

func (p *parser) parts(n *yaml.Node, where string) []string {
	if n.Kind != yaml.SequenceNode || len(n.Content) == 0 {
		p.errorf(n, "config-bad-value", where+": generate must be a list of models, client and server", "for example generate: [models, client]")
		return nil
	}
	var out []string
	for _, item := range n.Content {
		if item.Kind != yaml.ScalarNode || !slices.Contains(partNames(), item.Value) {
			p.errorf(item, "config-bad-value", fmt.Sprintf("%s: generate: unknown part %q", where, item.Value), "use models, client or server, and redis, kafka or nats for a runtime adapter")
			continue
		}
		out = append(out, item.Value)
	}
	return out
}

// policy parses an x-accord mapping with the parser contracts uses for the
// extension itself, so the config accepts exactly what contracts do.
func (p *parser) policy(n *yaml.Node) (contracts.PolicySpec, bool) {
	var v any
	if err := n.Decode(&v); err != nil {
		p.errorf(n, "config-bad-value", "policy: "+err.Error(), "")
		return contracts.PolicySpec{}, false
	}
	spec, problems := contracts.ParsePolicySpec(v, "", func(pointer string) contracts.Position {
		return p.pos(nodeAt(n, pointer))
	})
	for _, pr := range problems {
		pr.Message = strings.Replace(pr.Message, "x-accord: ", "policy: ", 1)
		p.problems = append(p.problems, pr)
	}
	return spec, !contracts.HasErrors(problems)
}

// nodeAt follows a JSON pointer from n, stopping at the deepest node that
// exists: problems point at the offending value, or its nearest ancestor.
func nodeAt(n *yaml.Node, pointer string) *yaml.Node {
	if pointer == "" {
		return n
	}
	for _, tok := range strings.Split(strings.TrimPrefix(pointer, "/"), "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		next := (*yaml.Node)(nil)
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == tok {
					next = n.Content[i+1]
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(tok); err == nil && i >= 0 && i < len(n.Content) {
				next = n.Content[i]
			}
		}
		if next == nil {
			return n
		}
		n = next
	}
	return n
}

var yamlLine = regexp.MustCompile(`line (\d+)`)

func yamlErrLine(err error) int {
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		n, _ := strconv.Atoi(m[1])
		return n
	}
	return 0
}

// closest suggests the known word within edit distance 2 of s, if any.
func closest(s string, known []string) string {
	best, bestD := "", 3
	for _, k := range known {
		if d := editDistance(strings.ToLower(s), strings.ToLower(k)); d < bestD {
			best, bestD = k, d
		}
	}
	return best
}

func editDistance(a, b string) int {
	prev := make([]int, len(b)+1)
	cur := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(b)]
}
