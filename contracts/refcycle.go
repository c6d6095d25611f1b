package contracts

import (
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// openAPIRefCycles finds $refs that only lead to other $refs and back, such as
// schemas A: {$ref: B} and B: {$ref: A}. kin-openapi loads these without
// complaint but leaves their values empty, which would hand nil definitions
// to every consumer of the model; accord rejects them at load time instead.
func openAPIRefCycles(src *sourceFile, t *openapi3.T) []Problem {
	var problems []Problem
	report := func(pointer string, chain []string) {
		problems = append(problems, Problem{
			Pos:      newLocator(src.name, src.data).Pos(pointer + "/$ref"),
			Severity: SeverityError,
			Code:     "cyclic-ref",
			Message:  "cyclic $ref: " + strings.Join(chain, " → ") + " never reaches a definition",
			Hint:     "make one of these a real definition instead of a $ref",
		})
	}
	// refOf returns what a component named by a local ref is itself a $ref to.
	type lookup func(name string) (ref string, ok bool)
	check := func(section string, names []string, get lookup) {
		reported := map[string]bool{}
		for _, name := range names {
			chain := []string{name}
			seen := map[string]bool{name: true}
			for cur := name; ; {
				ref, ok := get(cur)
				if !ok {
					break
				}
				next, local := strings.CutPrefix(ref, "#/components/"+section+"/")
				if !local {
					break
				}
				next = unescapePointerToken(next)
				chain = append(chain, next)
				if seen[next] {
					if !reported[next] {
						for _, c := range chain {
							reported[c] = true
						}
						report(Pointer("components", section, name), chain)
					}
					break
				}
				seen[next] = true
				cur = next
			}
		}
	}
	if c := t.Components; c != nil {
		// A component whose value kin-openapi left nil is still only a $ref.
		check("schemas", sortedKeys(c.Schemas), func(n string) (string, bool) {
			r := c.Schemas[n]
			return refIfEmpty(r != nil, r != nil && r.Value == nil, r)
		})
		check("parameters", sortedKeys(c.Parameters), func(n string) (string, bool) {
			r := c.Parameters[n]
			return refIfEmpty(r != nil, r != nil && r.Value == nil, r)
		})
		check("responses", sortedKeys(c.Responses), func(n string) (string, bool) {
			r := c.Responses[n]
			return refIfEmpty(r != nil, r != nil && r.Value == nil, r)
		})
		check("requestBodies", sortedKeys(c.RequestBodies), func(n string) (string, bool) {
			r := c.RequestBodies[n]
			return refIfEmpty(r != nil, r != nil && r.Value == nil, r)
		})
		check("headers", sortedKeys(c.Headers), func(n string) (string, bool) {
			r := c.Headers[n]
			return refIfEmpty(r != nil, r != nil && r.Value == nil, r)
		})
	}
	if t.Paths != nil {
		reported := map[string]bool{}
		keys := t.Paths.Keys()
		sort.Strings(keys)
		for _, p := range keys {
			if reported[p] {
				continue
			}
			item := t.Paths.Value(p)
			chain := []string{p}
			seen := map[string]bool{p: true}
			for item != nil && strings.HasPrefix(item.Ref, "#/paths/") {
				next := unescapePointerToken(strings.TrimPrefix(item.Ref, "#/paths/"))
				chain = append(chain, next)
				if seen[next] {
					for _, c := range chain {
						reported[c] = true
					}
					report(Pointer("paths", p), chain)
					break
				}
				seen[next] = true
				item = t.Paths.Value(next)
			}
		}
	}
	return problems
}

// refHolder is what every kin-openapi *XRef has.
type refHolder interface{ RefString() string }

func refIfEmpty(present, empty bool, r refHolder) (string, bool) {
	if !present || !empty {
		return "", false
	}
	return r.RefString(), true
}
