package mock

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"regexp"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// Violation is one way a message breaks the contract. Pointer is a JSON
// pointer into the body as an RFC 6901 fragment ("#/amount_minor"), the form
// RFC 9457's example uses; parameters are named instead.
type Violation struct {
	Pointer   string `json:"pointer,omitempty"`
	Parameter string `json:"parameter,omitempty"`
	In        string `json:"in,omitempty"`
	Detail    string `json:"detail"`
}

// validateRequest checks r (whose body has been read into body) against
// the operation. Security is checked separately (authenticate).
func (o *operation) validateRequest(ctx context.Context, r *http.Request, body []byte, pathParams map[string]string) (*openapi3filter.RequestValidationInput, []Violation) {
	setBody(r, body)
	in := &openapi3filter.RequestValidationInput{
		Request:    r,
		PathParams: pathParams,
		Route:      o.route,
		Options: &openapi3filter.Options{
			MultiError:              true,
			AuthenticationFunc:      openapi3filter.NoopAuthenticationFunc,
			SchemaValidationOptions: formatValidators,
		},
	}
	err := openapi3filter.ValidateRequest(ctx, in)
	setBody(r, body)
	if err == nil {
		return in, nil
	}
	return in, violations(err)
}

// formatValidators checks the formats kin-openapi leaves unchecked by
// default, per validation: registering them process-wide would change every
// other user of the library in the process.
var formatValidators = []openapi3.SchemaValidationOption{
	openapi3.WithStringFormatValidator("email", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForEmail)),
	openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
}

// setBody gives r a fresh reader of body (bodies are read once, up front).
func setBody(r *http.Request, body []byte) {
	if len(body) == 0 {
		r.Body = http.NoBody
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
}

// validateResponse checks one of the mock's own answers.
func validateResponse(ctx context.Context, in *openapi3filter.RequestValidationInput, rep reply) []Violation {
	if in == nil {
		return nil
	}
	rin := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in,
		Status:                 rep.status,
		Header:                 rep.header,
		Options:                &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true, SchemaValidationOptions: formatValidators},
	}
	rin.SetBodyBytes(rep.body)
	if err := openapi3filter.ValidateResponse(ctx, rin); err != nil {
		return violations(err)
	}
	return nil
}

// violations flattens kin-openapi's nested errors into one entry per
// failing value.
func violations(err error) []Violation {
	var out []Violation
	var walk func(err error, base Violation)
	walk = func(err error, base Violation) {
		// Type switches, not errors.As: As would see through a
		// RequestError to its inner errors and lose the parameter.
		switch e := err.(type) {
		case openapi3.MultiError:
			for _, x := range e {
				walk(x, base)
			}
			return
		case *openapi3filter.RequestError:
			b := base
			if e.Parameter != nil {
				b.Parameter, b.In = e.Parameter.Name, e.Parameter.In
			} else if e.RequestBody != nil {
				b.Pointer = "#"
			}
			if e.Err != nil {
				walk(e.Err, b)
				return
			}
			b.Detail = e.Reason
			out = append(out, b)
			return
		case *openapi3filter.ResponseError:
			b := base
			b.Pointer = "#"
			if e.Err != nil {
				walk(e.Err, b)
				return
			}
			b.Detail = e.Reason
			out = append(out, b)
			return
		case *openapi3.SchemaError:
			if len(e.JSONPointer()) == 0 && splitLines(e, base, &out) {
				return
			}
			v := base
			if v.Parameter == "" {
				v.Pointer = "#" + pointer(e.JSONPointer())
			}
			v.Detail = e.Reason
			if v.Detail == "" {
				v.Detail = e.Error()
			}
			out = append(out, v)
			return
		}
		var se *openapi3.SchemaError
		if errors.As(err, &se) {
			walk(se, base)
			return
		}
		if splitLines(err, base, &out) {
			return
		}
		v := base
		v.Detail = err.Error()
		out = append(out, v)
	}
	walk(err, Violation{})
	return out
}

// jsonschemaAt is one line of the JSON Schema 2020-12 validator's combined
// message: "- at '/d': 'x' is not valid date-time: ...".
var jsonschemaAt = regexp.MustCompile(`(?m)^\s*- at '([^']*)': (.*)$`)

// splitLines turns the one error kin-openapi returns for several
// violations of a 3.1 schema into one violation per line; false when err
// is not such a message.
func splitLines(err error, base Violation, out *[]Violation) bool {
	text := err.Error()
	if se, ok := err.(*openapi3.SchemaError); ok && se.Reason != "" {
		text = se.Reason
	}
	ms := jsonschemaAt.FindAllStringSubmatch(text, -1)
	for _, m := range ms {
		v := base
		if v.Parameter == "" {
			v.Pointer = "#" + m[1]
		}
		v.Detail = m[2]
		*out = append(*out, v)
	}
	return len(ms) > 0
}

// pointer joins tokens into an RFC 6901 pointer.
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return b.String()
}
