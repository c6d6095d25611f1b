// Package config reads accord.yaml, the file that lists a repository's
// integrations: which contract to generate from, into which directory and Go
// package, which parts, and policy overrides. Errors carry file:line:col.
package config

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/accord-dev/accord/contracts"
)

// DefaultFile is the config file `accord gen` reads without --config.
const DefaultFile = "accord.yaml"

// maxConfigBytes bounds the config file; a real one is a few kilobytes.
const maxConfigBytes = 4 << 20

// Config is a loaded accord.yaml.
type Config struct {
	// File is the path the config was read from, as given.
	File string
	// Dir is the directory relative paths in the file resolve against.
	Dir     string
	Version int
	// Runtime is the directory of the runtime package every integration
	// imports, resolved against Dir; "" gives each integration a runtime
	// subpackage of its own output.
	Runtime      string
	Integrations []Integration
}

// Integration is one generated package.
type Integration struct {
	Name string
	// Contract and Output are resolved against the config's directory.
	Contract string
	Output   string
	Package  string
	// Generate lists the parts (models, client, server) and the runtime
	// adapters (redis); empty means models, client and server.
	Generate []string
	// Enabled is false when the integration is switched off (default true).
	Enabled bool
	// Policy overrides every operation's policy; nil when absent.
	Policy *contracts.PolicySpec
	// Operations override one operation each, after Policy, in file order.
	Operations []OperationPolicy
	// Pos is where the integration starts in the file.
	Pos contracts.Position
}

// OperationPolicy is a policy override for one operation.
type OperationPolicy struct {
	// ID is the operationId (or "METHOD /path" when the contract gives none).
	ID   string
	Spec contracts.PolicySpec
	Pos  contracts.Position
}

// Keys accepted at each level. The JSON Schema in accord.schema.json lists
// the same ones; a test keeps the two in step.
func topKeys() []string { return []string{"version", "runtime", "integrations"} }

func integrationKeys() []string {
	return []string{"name", "contract", "output", "package", "generate", "enabled", "policy", "operations"}
}

// partNames are the parts and the runtime adapters (templates.Adapters)
// an integration may list.
func partNames() []string {
	return []string{"models", "client", "server", "redis", "kafka", "nats", "otel", "pact"}
}

// Load reads and parses a config file. The error is a *contracts.Error:
// ClassRead when the file cannot be read, ClassSyntax when it is not YAML,
// ClassInvalid when it breaks the format.
func Load(path string) (*Config, error) {
	data, err := readBounded(path)
	if err != nil {
		return nil, &contracts.Error{Class: contracts.ClassRead, Err: err, Problems: []contracts.Problem{{
			Pos: contracts.Position{File: path}, Severity: contracts.SeverityError, Code: "config-unreadable",
			Message: "cannot read the config: " + errText(err),
			Hint:    "create accord.yaml (see README.md) or name another file with --config",
		}}}
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		abs = path
	}
	return Parse(path, data, filepath.Dir(abs))
}

func readBounded(path string) ([]byte, error) {
	st, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file", path)
	}
	if st.Size() > maxConfigBytes {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, maxConfigBytes)
	}
	return os.ReadFile(path)
}

func errText(err error) string {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err.Error()
	}
	return err.Error()
}

// Parse reads a config held in memory; name is used in positions and
// relative paths resolve against dir.
func Parse(name string, data []byte, dir string) (*Config, error) {
	p := &parser{file: name}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, &contracts.Error{Class: contracts.ClassSyntax, Err: err, Problems: []contracts.Problem{{
			Pos: contracts.Position{File: name, Line: yamlErrLine(err)}, Severity: contracts.SeverityError,
			Code: "config-syntax", Message: "invalid YAML: " + strings.TrimPrefix(err.Error(), "yaml: "),
			Hint: "fix the indentation or quoting at this line",
		}}}
	}
	cfg := &Config{File: name, Dir: dir}
	if len(doc.Content) == 0 {
		p.errorf(&doc, "config-empty", "the config is empty", "start with `version: 1` and an `integrations:` list")
		return nil, p.result()
	}
	p.top(doc.Content[0], cfg)
	if len(p.problems) > 0 {
		return nil, p.result()
	}
	if cfg.Runtime != "" && !filepath.IsAbs(cfg.Runtime) {
		cfg.Runtime = filepath.Join(dir, cfg.Runtime)
	}
	for i := range cfg.Integrations {
		in := &cfg.Integrations[i]
		in.Contract = resolve(dir, in.Contract)
		in.Output = resolve(dir, in.Output)
	}
	return cfg, nil
}

// resolve makes a path relative to the config's directory absolute; a git
// revision (REV:path) and stdin are left for contracts.Load to read.
func resolve(dir, p string) string {
	if p == "" || p == "-" || filepath.IsAbs(p) || looksLikeRevision(p) {
		return p
	}
	return filepath.Join(dir, p)
}

func looksLikeRevision(p string) bool {
	rev, _, ok := strings.Cut(p, ":")
	return ok && rev != "" && !strings.ContainsAny(rev, `/\`) && len(rev) > 1
}

// Enabled returns the integrations that are switched on, in file order.
func (c *Config) Enabled() []Integration {
	var out []Integration
	for _, in := range c.Integrations {
		if in.Enabled {
			out = append(out, in)
		}
	}
	return out
}
