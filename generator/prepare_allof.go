package generator

import (
	"fmt"
	"maps"
	"reflect"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// mergeFlags are the keywords oapi-codegen's allOf merge requires every
// member to agree on although none of them shapes the merged Go type:
// readOnly, writeOnly, allowEmptyValue, uniqueItems and the exclusive
// bounds. A default is refused outright, even on one member ("merging two
// sets of defaults is undefined").
type mergeFlags struct {
	readOnly, writeOnly, allowEmpty, unique bool
	exclMin, exclMax                        openapi3.ExclusiveBound
	hasDefault                              bool
}

func flagsOf(s *openapi3.Schema) mergeFlags {
	return mergeFlags{s.ReadOnly, s.WriteOnly, s.AllowEmptyValue, s.UniqueItems, s.ExclusiveMin, s.ExclusiveMax, s.Default != nil}
}

// set gives s the flags of f and no default.
func (f mergeFlags) set(s *openapi3.Schema) {
	s.ReadOnly, s.WriteOnly, s.AllowEmptyValue, s.UniqueItems = f.readOnly, f.writeOnly, f.allowEmpty, f.unique
	s.ExclusiveMin, s.ExclusiveMax = f.exclMin, f.exclMax
	s.Default = nil
}

// effectiveFlags are the flags oapi-codegen's merge sees for a member: a
// member with an allOf of its own is merged first, from its first member on.
func effectiveFlags(s *openapi3.Schema, seen map[*openapi3.Schema]bool) mergeFlags {
	for s != nil && len(s.AllOf) > 0 && s.AllOf[0] != nil && s.AllOf[0].Value != nil && !seen[s] {
		seen[s] = true
		s = s.AllOf[0].Value
	}
	if s == nil {
		return mergeFlags{}
	}
	return flagsOf(s)
}

// allOfSiblings reports what makes oapi-codegen merge a schema's own
// keywords with its allOf members (its hasStructuralSiblings).
func allOfSiblings(s *openapi3.Schema) bool {
	return len(s.Properties) > 0 || len(s.Required) > 0 || s.AdditionalProperties.Has != nil || s.AdditionalProperties.Schema != nil
}

// alignAllOfFlags makes the schemas one allOf merges agree on mergeFlags.
// Azure writes allOf: [{$ref: Resource}] with properties and readOnly: true
// beside it; oapi-codegen merges the schema's own keywords as a last
// member and fails ("merging two schemas with different ReadOnly"), and
// fails the same way on a default or uniqueItems that only one member
// carries. The schema's own keywords move into a member of their own (what
// oapi-codegen merges anyway), so its flags stay where they count: a
// property referring to it is still read-only. Members whose flags differ
// from the first's get them aligned, a $ref'd member as a copy so the
// shared component is untouched. The Go type is the same one, and
// validation was built from the contract as written.
func alignAllOfFlags(t *openapi3.T) []string {
	var notes []string
	done := map[*openapi3.Schema]bool{}
	forEachSchemaRef(t, func(r *openapi3.SchemaRef, path []string) {
		s := r.Value
		if r.Ref != "" || s == nil || done[s] || len(s.AllOf) == 0 {
			return
		}
		done[s] = true
		for _, m := range s.AllOf {
			if m == nil || m.Value == nil {
				return
			}
		}
		siblings := allOfSiblings(s)
		if len(s.AllOf)+boolInt(siblings) < 2 {
			return // nothing is merged
		}
		// The target: the first member with an allOf of its own (its flags
		// cannot be aligned here), else the first member's, without default.
		target := effectiveFlags(s.AllOf[0].Value, map[*openapi3.Schema]bool{})
		for _, m := range s.AllOf {
			if len(m.Value.AllOf) > 0 {
				target = effectiveFlags(m.Value, map[*openapi3.Schema]bool{})
				break
			}
		}
		target.hasDefault = false
		changed := false
		if siblings && !reflect.DeepEqual(flagsOf(s), target) {
			own := *s
			own.AllOf, own.Extensions = nil, maps.Clone(s.Extensions)
			target.set(&own)
			s.Properties, s.Required = nil, nil
			s.AdditionalProperties = openapi3.AdditionalProperties{}
			s.AllOf = append(append(openapi3.SchemaRefs{}, s.AllOf...), &openapi3.SchemaRef{Value: &own})
			changed = true
		}
		for i, m := range s.AllOf {
			if len(m.Value.AllOf) > 0 || reflect.DeepEqual(flagsOf(m.Value), target) {
				continue
			}
			if m.Ref == "" {
				target.set(m.Value)
			} else {
				c := *m.Value
				target.set(&c)
				s.AllOf[i] = &openapi3.SchemaRef{Value: &c}
			}
			changed = true
		}
		if changed {
			where := "an inline schema"
			if path != nil {
				where = "components/schemas/" + strings.Join(path, "/")
			}
			notes = append(notes, fmt.Sprintf("%s: its allOf members disagree on readOnly, writeOnly, uniqueItems, exclusive bounds or defaults, which oapi-codegen cannot merge; aligned for the Go type (validation follows the contract)", where))
		}
	})
	return notes
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
