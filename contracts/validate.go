package contracts

import (
	"context"
	"errors"
	"regexp"
	"sort"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// Validate checks a loaded document against its specification and against
// accord's own rules (x-accord, signature schemes). It returns problems
// sorted by position; errors make the contract unusable for gen.
func Validate(ctx context.Context, d *Document) []Problem {
	var ps []Problem
	switch d.Kind {
	case KindOpenAPI:
		ps = append(ps, validateOpenAPI(ctx, d)...)
		ps = append(ps, d.SchemaCycles()...)
	case KindAsyncAPI:
		ps = append(ps, validateAsyncAPI(d)...)
	}
	_, policyProblems := d.Policies()
	ps = append(ps, policyProblems...)
	return sortProblems(ps)
}

func sortProblems(ps []Problem) []Problem {
	sort.SliceStable(ps, func(i, j int) bool {
		a, b := ps[i].Pos, ps[j].Pos
		if a.File != b.File {
			return a.File < b.File
		}
		if a.Line != b.Line {
			return a.Line < b.Line
		}
		return a.Col < b.Col
	})
	// The same problem reached through several $refs is reported once.
	out := ps[:0]
	for i, p := range ps {
		if i > 0 && p == ps[i-1] {
			continue
		}
		out = append(out, p)
	}
	return out
}

// validateOpenAPI runs kin-openapi's validation. Examples, defaults and
// patterns are not judged: the specification only says examples SHOULD match,
// and patterns are ECMA-262 regular expressions that Go's RE2 cannot always
// compile, so rejecting a contract over them would reject valid contracts.
func validateOpenAPI(ctx context.Context, d *Document) []Problem {
	opts := []openapi3.ValidationOption{
		openapi3.EnableMultiError(),
		openapi3.DisableExamplesValidation(),
		openapi3.DisableSchemaDefaultsValidation(),
		openapi3.DisableSchemaPatternValidation(),
		openapi3.AllowExtensionsWithRef(),
	}
	if d.OpenAPI.IsOpenAPI31OrLater() {
		opts = append(opts, openapi3.IsOpenAPI31OrLater())
	}
	err := d.OpenAPI.Validate(ctx, opts...)
	if err == nil {
		return nil
	}
	var leaves []error
	var me openapi3.MultiError
	if errors.As(err, &me) {
		leaves = me
	} else {
		leaves = []error{err}
	}
	ps := make([]Problem, 0, len(leaves))
	for _, leaf := range leaves {
		pointer, msg := explainValidation(leaf)
		p := Problem{Pos: d.Pos(pointer), Severity: SeverityError, Code: "openapi-invalid", Message: msg, Hint: validationHint(msg)}
		if pointer == "/paths" && d.OpenAPI.Paths == nil {
			// kin-openapi says only "must be an object", of a field that is not there.
			p.Code = "openapi-missing-paths"
			p.Message = "the document has no paths: OpenAPI " + d.Version + " requires a top-level paths object"
			p.Hint = "add `paths:` with the API's operations, or `paths: {}` while there are none yet"
		}
		lenient(d, &p)
		ps = append(ps, p)
	}
	return ps
}

var conflictingPaths = regexp.MustCompile(`conflicting paths "([^"]+)" and "([^"]+)"`)

// lenient downgrades to warnings the violations that real, widely used
// contracts commit and that no consumer is hurt by: rejecting GitHub's or
// Vercel's published contract would make accord useless on them.
func lenient(d *Document, p *Problem) {
	switch {
	case strings.Contains(p.Message, "extra sibling fields"):
		p.Severity, p.Code = SeverityWarning, "openapi-unknown-field"
		p.Hint = "fields that are not in the specification are ignored; prefix your own with x-"
	case strings.Contains(p.Message, "value of title must be a non-empty string"):
		p.Severity, p.Code = SeverityWarning, "openapi-empty-title"
		p.Hint = "give info.title a name: generated documentation and clients use it"
	case conflictingPaths.MatchString(p.Message):
		m := conflictingPaths.FindStringSubmatch(p.Message)
		p.Code = "openapi-conflicting-paths"
		p.Pos = d.Pos(Pointer("paths", m[2]))
		if shared := sharedMethods(d.OpenAPI, m[1], m[2]); len(shared) == 0 {
			p.Severity = SeverityWarning
			p.Hint = "the paths differ only in parameter names; requests still route by method, but give the parameters one name"
		} else {
			p.Message += ": both define " + strings.Join(shared, ", ")
			p.Hint = "a request matches both paths; merge them into one path with one parameter name"
			if d.forGen {
				// The user of a vendor's contract cannot merge them; gen
				// generates both and its notes say which handler serves.
				p.Severity = SeverityWarning
				p.Hint = "the client calls both operations; the generated server routes the requests of both paths to one handler (gen's notes say which)"
			}
		}
	}
}

func sharedMethods(t *openapi3.T, a, b string) []string {
	pa, pb := t.Paths.Value(a), t.Paths.Value(b)
	if pa == nil || pb == nil {
		return nil
	}
	var out []string
	for _, m := range httpMethods {
		if pa.GetOperation(m) != nil && pb.GetOperation(m) != nil {
			out = append(out, m)
		}
	}
	return out
}

// explainValidation follows kin-openapi's context wrappers to the element the
// error is about, and returns its JSON pointer and a message naming it.
func explainValidation(err error) (pointer, msg string) {
	var where []string
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch w := e.(type) {
		case *openapi3.SectionValidationError:
			pointer += Pointer(w.Section)
			if w.Section != "paths" && w.Section != "components" {
				where = append(where, w.Section)
			}
		case *openapi3.PathValidationError:
			pointer += Pointer(w.Path)
			where = append(where, "path "+w.Path)
		case *openapi3.OperationValidationError:
			pointer += Pointer(strings.ToLower(w.Method))
			where = append(where, "operation "+w.Method)
		case *openapi3.WebhookValidationError:
			pointer += Pointer(w.Name)
			where = append(where, "webhook "+w.Name)
		case *openapi3.ComponentValidationError:
			pointer += Pointer(componentSection(w.Section), w.Name)
			where = append(where, w.Section+" "+w.Name)
		case *openapi3.ParameterFieldValidationError:
			where = append(where, "parameter "+w.ParameterName)
		}
		msg = e.Error()
	}
	// Some checks report the operation only in their text.
	if m := opInMessage.FindStringSubmatch(msg); m != nil && pointer == "/paths" {
		pointer = Pointer("paths", m[2], strings.ToLower(m[1]))
	}
	if len(where) > 0 {
		msg = strings.Join(where, ", ") + ": " + msg
	}
	return pointer, msg
}

// componentSection maps kin-openapi's singular section names to the
// components keys they live under.
func componentSection(s string) string {
	switch s {
	case "schema", "parameter", "header", "response", "example", "link", "callback":
		return s + "s"
	case "request body":
		return "requestBodies"
	case "security scheme":
		return "securitySchemes"
	}
	return s
}

var opInMessage = regexp.MustCompile(`operation (GET|PUT|POST|DELETE|OPTIONS|HEAD|PATCH|TRACE) (/\S*)`)

var missingField = regexp.MustCompile(`value of (\w+) must be|(\w+) must be (?:a |an )?non-empty|must have (\w+)`)

func validationHint(msg string) string {
	if m := missingField.FindStringSubmatch(msg); m != nil {
		return "add the missing or empty field named in the message"
	}
	return "see the OpenAPI specification for this object"
}
