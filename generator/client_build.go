package generator

import (
	"strconv"
	"strings"

	"github.com/oapi-codegen/oapi-codegen/v2/pkg/codegen"
)

// DirectRequest is how the client builds an operation's request itself
// from the base URL NewClient parsed once (accordrt.BaseURL), instead of
// through oapi-codegen's builder, which parses the server URL, the
// operation path against it and then the joined string on every attempt.
// Parameters are still styled by oapi-codegen's runtime, exactly as its
// builder styles them; only the URL assembly differs.
type DirectRequest struct {
	// Params are the path parameters to style, one per distinct name, in
	// the order the path names them.
	Params []DirectParam
	// Path is a Go expression of the escaped path below the base URL,
	// e.g. "/v1/payments/" + accPath0.
	Path string
}

// DirectParam is one path parameter's styling call.
type DirectParam struct {
	// Var is the local holding the styled value, Arg the method argument.
	Var, Arg string
	// Name is the contract's name; Style, Explode, Type and Format are what
	// oapi-codegen's builder passes to runtime.StyleParamWithOptions.
	Name, Style, Type, Format string
	Explode                   bool
	// Plain: a string of style simple, escaped without oapi-codegen's
	// reflection (accordrt.EscapePathParam), to the same result.
	Plain bool
}

// directRequest returns how op's request is built without oapi-codegen's
// builder, or nil where that builder stays: webhooks (their target URL is
// the caller's per call), operations with query, header or cookie
// parameters, bodies oapi-codegen encodes itself (form, text), path
// parameters given as content instead of a schema, and path templates
// whose literal parts would need escaping or resolving.
func directRequest(op *Operation, d *codegen.OperationDefinition) *DirectRequest {
	if d.IsWebhook || op.ParamsType != "" || (op.HasBody && op.DefaultBody != nil && !op.DefaultBody.JSON) {
		return nil
	}
	args := map[string]int{}
	for i := range d.PathParams {
		pd := &d.PathParams[i]
		if pd.Spec == nil || pd.Spec.Schema == nil || len(pd.Spec.Content) > 0 || i >= len(op.PathParams) {
			return nil
		}
		args[pd.ParamName] = i
	}
	dr := &DirectRequest{}
	vars := map[string]string{}
	var expr []string
	rest := d.Path
	if !strings.HasPrefix(rest, "/") {
		return nil
	}
	for rest != "" {
		open := strings.IndexByte(rest, '{')
		lit := rest
		if open >= 0 {
			lit = rest[:open]
		}
		if lit != "" {
			if !directLiteral(lit) {
				return nil
			}
			expr = append(expr, strconv.Quote(lit))
		}
		if open < 0 {
			break
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return nil
		}
		name := rest[open+1 : open+end]
		rest = rest[open+end+1:]
		i, ok := args[name]
		if !ok || name == "" || strings.ContainsAny(name, "{.;?*") {
			return nil
		}
		v, seen := vars[name]
		if !seen {
			pd := &d.PathParams[i]
			v = "accPath" + strconv.Itoa(len(dr.Params))
			vars[name] = v
			dr.Params = append(dr.Params, DirectParam{
				Var: v, Arg: op.PathParams[i].ArgName(), Name: pd.ParamName,
				Style: pd.Style(), Explode: pd.Explode(), Type: pd.SchemaType(), Format: pd.SchemaFormat(),
				// oapi-codegen gives a string schema's own type (a component's
				// alias or definition) no MarshalText or String method, the
				// only things that would make its runtime style it otherwise.
				Plain: directPlainString(pd),
			})
		}
		expr = append(expr, v)
	}
	if len(dr.Params) != len(d.PathParams) || directDotSegment(d.Path) {
		return nil
	}
	dr.Path = strings.Join(expr, " + ")
	return dr
}

// directLiteral: the literal part of a path template is sent as written,
// so it may hold only characters a path carries unescaped (RFC 3986 pchar
// and "/"), no percent escapes.
func directLiteral(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-._~!$&'()*+,;=:@/", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// directDotSegment: a "." or ".." segment in the template, which
// oapi-codegen's builder resolves away and the direct one would send.
func directDotSegment(path string) bool {
	for _, seg := range strings.Split(path, "/") {
		if seg == "." || seg == ".." {
			return true
		}
	}
	return false
}

// directPlainString: a path parameter of style simple whose schema is a
// string without format and without x-go-type, so its Go type is string
// or a type oapi-codegen declares over string.
func directPlainString(pd *codegen.ParameterDefinition) bool {
	if pd.Style() != "simple" || pd.SchemaType() != "string" || pd.SchemaFormat() != "" {
		return false
	}
	// GoType may name a component (the parameter's or its schema's): for
	// such a schema oapi-codegen declares it as string or over string.
	v := pd.Spec.Schema.Value
	_, mapped := v.Extensions["x-go-type"]
	return !mapped
}
