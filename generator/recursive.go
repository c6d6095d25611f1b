package generator

import (
	"fmt"
	"go/ast"
	"go/token"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// Recursive schemas. A schema that contains itself is an ordinary tree
// (Root: {properties: {child: {$ref: Root}}}); oapi-codegen names it and
// the Go type refers to itself through a pointer, a slice or a map. Two
// shapes still need help, both repaired here; schemas that contain
// themselves with no way out (allOf: [{$ref: A}]) are refused before, by
// contracts.Document.SchemaCycles.

// defineRecursiveAliases turns type aliases that refer to themselves
// (`type Tree = []Tree`, or A = []B with B = map[string]A) into defined
// types: oapi-codegen declares arrays and maps as aliases, and Go rejects an
// alias cycle ("invalid recursive type") while `type Tree []Tree` is fine.
// Values of the defined type convert to and from the element type freely.
func defineRecursiveAliases(f *ast.File) []string {
	aliases := map[string]*ast.TypeSpec{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.TYPE {
			continue
		}
		for _, s := range gd.Specs {
			if ts, ok := s.(*ast.TypeSpec); ok && ts.Assign.IsValid() {
				aliases[ts.Name.Name] = ts
			}
		}
	}
	edges := map[string][]string{}
	for name, ts := range aliases {
		seen := map[string]bool{}
		ast.Inspect(ts.Type, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				return false // another package's name
			case *ast.Ident:
				if aliases[n.Name] != nil && !seen[n.Name] {
					seen[n.Name] = true
					edges[name] = append(edges[name], n.Name)
				}
			}
			return true
		})
		sort.Strings(edges[name])
	}
	var notes []string
	for _, scc := range stronglyConnected(sortedKeys(aliases), edges) {
		if len(scc) == 1 && !contains(edges[scc[0]], scc[0]) {
			continue
		}
		for _, name := range scc {
			aliases[name].Assign = token.NoPos
		}
		if len(scc) == 1 {
			notes = append(notes, fmt.Sprintf("type %s refers to itself and is declared as a defined type, not an alias", scc[0]))
		} else {
			notes = append(notes, fmt.Sprintf("types %s refer to each other and are declared as defined types, not aliases", strings.Join(scc, ", ")))
		}
	}
	return notes
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// stronglyConnected is Tarjan's algorithm over names; each component's
// names and the components are sorted, for deterministic notes. The
// recursion is as deep as the longest chain of edges, which the number of
// declarations bounds.
func stronglyConnected(nodes []string, edges map[string][]string) [][]string {
	index := map[string]int{}
	low := map[string]int{}
	onStack := map[string]bool{}
	var stack []string
	var out [][]string
	var visit func(v string)
	visit = func(v string) {
		index[v] = len(index)
		low[v] = index[v]
		stack = append(stack, v)
		onStack[v] = true
		for _, w := range edges[v] {
			if _, ok := index[w]; !ok {
				visit(w)
				low[v] = min(low[v], low[w])
			} else if onStack[w] {
				low[v] = min(low[v], index[w])
			}
		}
		if low[v] != index[v] {
			return
		}
		var scc []string
		for {
			w := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			onStack[w] = false
			scc = append(scc, w)
			if w == v {
				break
			}
		}
		sort.Strings(scc)
		out = append(out, scc)
	}
	for _, v := range nodes {
		if _, ok := index[v]; !ok {
			visit(v)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// breakInlineCycles gives a name to inline schemas that contain themselves.
// oapi-codegen descends inline schemas without bound, and it descends into
// the $ref'd members of an allOf too (it merges them into one struct). Such
// a cycle appears when inlineDeepRefs inlines a $ref into a schema's own
// inside (#/components/schemas/A/properties/x, inlined where x holds it), or
// when an inline property's allOf refers back to the component that holds
// it. The cycle is cut at its last inline schema: that schema moves into
// components/schemas and its place refers to it, so oapi-codegen names a
// type there and stops.
func breakInlineCycles(t *openapi3.T) []string {
	const (
		open = 1
		done = 2
	)
	type frame struct {
		site *openapi3.SchemaRef
		hint string
	}
	var stack []frame
	state := map[*openapi3.Schema]int{}
	openAt := map[*openapi3.Schema]int{} // index in stack
	hoisted := map[*openapi3.Schema]string{}
	var notes []string
	hoist := func(r *openapi3.SchemaRef, hint string) {
		if name, ok := hoisted[r.Value]; ok {
			r.Ref = "#/components/schemas/" + name
			return
		}
		if t.Components == nil {
			t.Components = &openapi3.Components{}
		}
		if t.Components.Schemas == nil {
			t.Components.Schemas = openapi3.Schemas{}
		}
		taken := componentNames(t)
		base := hint + "-recursive"
		name := base
		for i := 2; t.Components.Schemas[name] != nil || taken[codegen.SchemaNameToTypeName(name)]; i++ {
			name = fmt.Sprintf("%s%d", base, i)
		}
		t.Components.Schemas[name] = &openapi3.SchemaRef{Value: r.Value}
		hoisted[r.Value] = name
		r.Ref = "#/components/schemas/" + name
		notes = append(notes, fmt.Sprintf("an inline schema contains itself; it is generated as components/schemas/%s", name))
	}
	var visit func(r *openapi3.SchemaRef, hint string, merged bool)
	visit = func(r *openapi3.SchemaRef, hint string, merged bool) {
		if r == nil || r.Value == nil || (r.Ref != "" && !merged) {
			return
		}
		switch state[r.Value] {
		case open:
			if r.Ref == "" {
				hoist(r, stack[openAt[r.Value]].hint)
				return
			}
			for i := len(stack) - 1; i > openAt[r.Value]; i-- {
				if f := stack[i]; f.site.Ref == "" {
					hoist(f.site, f.hint)
					return
				}
			}
			return // allOf and $refs only: SchemaCycles refused it before
		case done:
			return
		}
		state[r.Value] = open
		openAt[r.Value] = len(stack)
		stack = append(stack, frame{r, hint})
		s := r.Value
		for _, n := range sortedKeys(s.Properties) {
			visit(s.Properties[n], hint+"-"+n, false)
		}
		visit(s.Items, hint+"-item", false)
		visit(s.AdditionalProperties.Schema, hint+"-value", false)
		visit(s.Not, hint, false)
		for _, m := range s.AllOf {
			visit(m, hint, true)
		}
		for _, list := range []openapi3.SchemaRefs{s.AnyOf, s.OneOf} {
			for _, m := range list {
				visit(m, hint, false)
			}
		}
		stack = stack[:len(stack)-1]
		state[r.Value] = done
	}
	// Every schema site is a root: forEachSchemaRef reaches each once.
	forEachSchemaRef(t, func(r *openapi3.SchemaRef, path []string) {
		hint := "schema"
		if len(path) > 0 {
			hint = path[0]
		}
		visit(r, hint, false)
	})
	return notes
}
