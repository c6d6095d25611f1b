package generator

import (
	"bytes"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// What the pact test expects of a value, read from its schema: the fields
// a provider must send, and how each value is matched.

// pactRequired keeps what the schema requires of an object, at every
// level; values of schemas it cannot tell apart (oneOf, anyOf) stay whole.
func pactRequired(v any, s *openapi3.Schema) any {
	if s == nil {
		return v
	}
	switch x := v.(type) {
	case map[string]any:
		if len(s.OneOf) > 0 || len(s.AnyOf) > 0 || !pactHasProperties(s) {
			return x
		}
		req := map[string]bool{}
		pactCollectRequired(s, req, 0)
		out := map[string]any{}
		for k, e := range x {
			if req[k] {
				out[k] = pactRequired(e, pactProperty(s, k, 0))
			}
		}
		return out
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = pactRequired(e, pactItems(s))
		}
		return out
	}
	return v
}

func pactHasProperties(s *openapi3.Schema) bool {
	if len(s.Properties) > 0 {
		return true
	}
	for _, m := range s.AllOf {
		if m.Value != nil && pactHasProperties(m.Value) {
			return true
		}
	}
	return false
}

func pactCollectRequired(s *openapi3.Schema, into map[string]bool, depth int) {
	if s == nil || depth > 16 {
		return
	}
	for _, r := range s.Required {
		into[r] = true
	}
	for _, m := range s.AllOf {
		pactCollectRequired(m.Value, into, depth+1)
	}
}

// pactProperty is the schema of key k of an object of schema s.
func pactProperty(s *openapi3.Schema, k string, depth int) *openapi3.Schema {
	if s == nil || depth > 16 {
		return nil
	}
	if p := s.Properties[k]; p != nil {
		return p.Value
	}
	for _, list := range []openapi3.SchemaRefs{s.AllOf, s.OneOf, s.AnyOf} {
		for _, m := range list {
			if p := pactProperty(m.Value, k, depth+1); p != nil {
				return p
			}
		}
	}
	if ap := s.AdditionalProperties.Schema; ap != nil {
		return ap.Value
	}
	return nil
}

func pactItems(s *openapi3.Schema) *openapi3.Schema {
	if s == nil {
		return nil
	}
	if s.Items != nil {
		return s.Items.Value
	}
	for _, m := range s.AllOf {
		if it := pactItems(m.Value); it != nil {
			return it
		}
	}
	return nil
}

// pactRules are the matching rules of example v: regular expressions for
// strings the schema constrains (enum, const, a pattern RE2 compiles, the
// date and time formats), integers, and arrays' minimum lengths. The rest
// matches by type, so the pact holds the contract's shape, not its example.
func pactRules(v any, s *openapi3.Schema) map[string]pactRule {
	rules := map[string]pactRule{}
	pactWalk(v, s, "", rules)
	return rules
}

func pactWalk(v any, s *openapi3.Schema, ptr string, rules map[string]pactRule) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			pactWalk(e, pactProperty(s, k, 0), ptr+"/"+pactEscape(k), rules)
		}
	case []any:
		if s != nil && s.MinItems > 0 {
			rules[ptr] = pactRule{Min: int(s.MinItems)}
		}
		for _, e := range x {
			pactWalk(e, pactItems(s), ptr+"/*", rules)
		}
	case string:
		if re := pactRegex(s, x); re != "" {
			rules[ptr] = pactRule{Regex: re}
		}
	case float64, int, int64, json.Number:
		if pactIsType(s, "integer", 0) {
			rules[ptr] = pactRule{Integer: true}
		}
	}
}

// pactEscape escapes a key for a JSON pointer ("*" stands for any array
// element in the rules).
func pactEscape(k string) string { return strings.NewReplacer("~", "~0", "/", "~1").Replace(k) }

func pactIsType(s *openapi3.Schema, typ string, depth int) bool {
	if s == nil || depth > 16 {
		return false
	}
	if s.Type != nil && s.Type.Is(typ) {
		return true
	}
	for _, m := range s.AllOf {
		if pactIsType(m.Value, typ, depth+1) {
			return true
		}
	}
	return false
}

// Formats whose values have a shape worth holding a provider to.
var pactFormats = map[string]string{
	"date-time": `^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$`,
	"date":      `^\d{4}-\d{2}-\d{2}$`,
	"uuid":      `^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`,
}

// pactRegex is the expression a string of schema s matches, "" to match by
// type; an expression the example itself does not match is not used.
func pactRegex(s *openapi3.Schema, example string) string {
	for depth := 0; s != nil && depth < 16; depth++ {
		re := ""
		switch {
		case s.Const != nil:
			if c, ok := s.Const.(string); ok {
				re = "^" + regexp.QuoteMeta(c) + "$"
			}
		case len(s.Enum) > 0:
			var alts []string
			for _, e := range s.Enum {
				if es, ok := e.(string); ok {
					alts = append(alts, regexp.QuoteMeta(es))
				}
			}
			if len(alts) == len(s.Enum) {
				re = "^(" + strings.Join(alts, "|") + ")$"
			}
		case s.Pattern != "":
			re = s.Pattern
		case pactFormats[s.Format] != "":
			re = pactFormats[s.Format]
		}
		if re != "" {
			if c, err := regexp.Compile(re); err == nil && c.MatchString(example) {
				return re
			}
			return ""
		}
		if len(s.AllOf) == 0 {
			return ""
		}
		s = s.AllOf[0].Value // a $ref wrapped to carry a description
	}
	return ""
}

// pactLiteral quotes s as a Go string, raw where it reads better.
func pactLiteral(s string) string {
	if !strings.ContainsAny(s, "`\r") && strconv.CanBackquote(s) && strings.ContainsAny(s, `"\`) {
		return "`" + s + "`"
	}
	return strconv.Quote(s)
}

// pactRulesLiteral is rules as a Go map literal, keys sorted.
func pactRulesLiteral(rules map[string]pactRule) string {
	if len(rules) == 0 {
		return "nil"
	}
	var b bytes.Buffer
	b.WriteString("map[string]accPactRule{")
	for i, k := range sortedKeys(rules) {
		if i > 0 {
			b.WriteString(", ")
		}
		r := rules[k]
		var fields []string
		if r.Regex != "" {
			fields = append(fields, "Regex: "+pactLiteral(r.Regex))
		}
		if r.Integer {
			fields = append(fields, "Integer: true")
		}
		if r.Min > 0 {
			fields = append(fields, "Min: "+strconv.Itoa(r.Min))
		}
		fmt.Fprintf(&b, "%s: {%s}", strconv.Quote(k), strings.Join(fields, ", "))
	}
	b.WriteString("}")
	return b.String()
}
