package generator

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"go/parser"
	"go/token"
	"io/fs"
	"regexp"
	"strconv"
	"strings"
	"unicode"
)

// The credentials the generated pact test configures; the pact holds them
// as examples of matchers, so any provider credential replays in their place.
const (
	pactToken      = "pact-token"
	pactUser       = "pact"
	pactPassword   = "pact-password"
	pactAPIKey     = "pact-api-key"
	pactSigningKey = "accord-pact-signing-key-0123456789"
)

// pactData is what templates/pact.tmpl renders.
type pactData struct {
	Header, Package, Runtime string
	Title                    string
	Consumer, Provider       string
	// Options are the client options, as Go expressions.
	Options []string
	Cases   []pactCase
	// Skipped are the client operations without an interaction, and why.
	Skipped []pactSkipped
}

type pactSkipped struct{ ID, Reason string }

// pactCase is one interaction and the client call that drives it; every
// string holding code is a Go expression or statement list.
type pactCase struct {
	ID          string
	Synthesised bool
	Given       string
	Description string
	Method      string
	Path        string
	// Setup declares and decodes the call's arguments.
	Setup    []string
	Request  []string
	Status   int
	Response []string
	Call     string
	// StatusOf is how the call's result gives its status code.
	StatusOf string
}

// renderPact writes the pact test of m's client operations. The pact's
// provider is the integration (or the contract's title), its consumer the
// package calling it.
func renderPact(fsys fs.FS, m *Model, plan pactPlan, integration string) (File, error) {
	d := pactData{Header: Header(), Package: m.Package, Runtime: m.Runtime, Title: m.Title,
		Consumer: m.Package, Provider: integration}
	if d.Provider == "" {
		d.Provider = pactSlug(m.Title, m.Package)
	}
	signed := map[string]bool{}
	for _, op := range m.Operations {
		if op.GoName == "" || op.RawBuilder == "" {
			continue // no client method
		}
		po := plan[op.ID]
		if po == nil {
			continue
		}
		if po.Skip != "" {
			d.Skipped = append(d.Skipped, pactSkipped{op.ID, po.Skip})
			continue
		}
		c, reason := pactCaseOf(m, op, po)
		if reason != "" {
			d.Skipped = append(d.Skipped, pactSkipped{op.ID, reason})
			continue
		}
		if op.Signature != nil {
			signed[op.Signature.Name] = true
		}
		d.Cases = append(d.Cases, c)
	}
	for _, s := range m.Auth.Schemes {
		switch {
		case s.Bearer():
			d.Options = append(d.Options, fmt.Sprintf("%s(accordrt.StaticToken(%q))", s.Option("Bearer"), pactToken))
		case s.Kind == "basic":
			d.Options = append(d.Options, fmt.Sprintf("%s(accordrt.StaticBasicAuth{Username: %q, Password: %q})", s.Option("Basic"), pactUser, pactPassword))
		case s.Kind == "apiKey":
			d.Options = append(d.Options, fmt.Sprintf("%s(accordrt.StaticToken(%q))", s.Option("APIKey"), pactAPIKey))
		}
	}
	for _, sig := range m.Signatures {
		if signed[sig.Name] {
			d.Options = append(d.Options, fmt.Sprintf("WithSigningSecrets(%q, accordrt.StaticSecrets{[]byte(%q)})", sig.Name, pactSigningKey))
		}
	}
	t, err := parseTemplates(fsys)
	if err != nil {
		return File{}, err
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "pact.tmpl", d); err != nil {
		return File{}, fmt.Errorf("rendering pact.tmpl: %w", err)
	}
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, PactFile, buf.Bytes(), parser.ParseComments)
	if err != nil {
		return File{}, fmt.Errorf("template pact.tmpl produced invalid Go: %w%s", err, offendingLine(buf.Bytes(), err))
	}
	pruneImports(f)
	src, err := printFile(fset, f)
	if err != nil {
		return File{}, fmt.Errorf("formatting %s: %w", PactFile, err)
	}
	return File{Name: PactFile, Content: pactBuildTag(src)}, nil
}

// pactBuildTag puts the pact constraint under the header line: the file
// needs pact-go, CGO and libpact_ffi, which a plain `go test` must not.
func pactBuildTag(src []byte) []byte {
	head, rest, _ := bytes.Cut(src, []byte("\n"))
	var out bytes.Buffer
	out.Write(head)
	out.WriteString("\n\n//go:build pact\n")
	out.Write(rest)
	return out.Bytes()
}

func pactCaseOf(m *Model, op Operation, po *pactOp) (pactCase, string) {
	c := pactCase{ID: op.ID, Synthesised: po.Synthesised, Method: op.Method, Path: po.Path, Status: po.Status}
	c.Description = op.ID
	if op.Summary != "" {
		c.Description += ": " + op.Summary
	}
	c.Given = pactGiven(po)
	args := []string{"ctx"}
	for i, pp := range op.PathParams {
		js, ok := po.PathValues[pp.Name]
		if !ok {
			return c, "no example value for the path parameter " + pp.Name
		}
		v := "path" + strconv.Itoa(i)
		c.Setup = append(c.Setup, fmt.Sprintf("var %s %s", v, pp.GoType), fmt.Sprintf("accPactDecode(t, %s, &%s)", pactLiteral(js), v))
		args = append(args, v)
	}
	if op.ParamsType != "" {
		js := po.Params
		if js == "" {
			js = "{}"
		}
		c.Setup = append(c.Setup, "var params "+op.ParamsType, fmt.Sprintf("accPactDecode(t, %s, &params)", pactLiteral(js)))
		args = append(args, "&params")
	}
	for _, name := range po.Auth {
		c.Request = append(c.Request, pactAuthMatchers(m, name)...)
	}
	for _, h := range po.Headers {
		c.Request = append(c.Request, fmt.Sprintf("b.Header(%q%s)", h.Name, pactLikes(h.Values)))
	}
	for _, q := range po.Query {
		c.Request = append(c.Request, fmt.Sprintf("b.Query(%q%s)", q.Name, pactLikes(q.Values)))
	}
	switch {
	case po.Body == "" && op.HasBody && op.BodyRequired:
		return c, "the contract's request body has no JSON media type"
	case po.Body == "" && op.DefaultBody != nil:
		return c, "the request body is " + op.DefaultBody.ContentType + "; the pact test sends JSON bodies only"
	case po.Body == "" && op.HasBody:
		args = append(args, `""`, "nil")
	case op.DefaultBody != nil && op.DefaultBody.ContentType != po.BodyType:
		return c, "the client's default request body is " + op.DefaultBody.ContentType + ", not " + po.BodyType
	case op.DefaultBody != nil && !op.DefaultBody.JSON:
		// The request builder encodes the body as the client's call will.
		built := append([]string{`"http://pact.invalid/"`}, args[1:]...)
		c.Setup = append(c.Setup, "var body "+op.DefaultBody.Type, fmt.Sprintf("accPactDecode(t, %s, &body)", pactLiteral(po.Body)),
			fmt.Sprintf("built, berr := %s(%s, body)", op.DefaultBody.Builder, strings.Join(built, ", ")),
			"sent := accPactBuilt(t, built, berr)")
		c.Request = append(c.Request, fmt.Sprintf("b.Body(%q, sent)", po.BodyType))
		args = append(args, "body")
	case op.DefaultBody != nil:
		c.Setup = append(c.Setup, "var body "+op.DefaultBody.Type, fmt.Sprintf("accPactDecode(t, %s, &body)", pactLiteral(po.Body)))
		c.Request = append(c.Request, pactBody(po.BodyType, "accPactSent(t, body)", po.BodyRules))
		args = append(args, "body")
	case op.HasBody && !pactIsJSON(po.BodyType):
		c.Setup = append(c.Setup, fmt.Sprintf("body := []byte(%s)", pactLiteral(po.BodyRaw)))
		c.Request = append(c.Request, fmt.Sprintf("b.Body(%q, body)", po.BodyType))
		args = append(args, strconv.Quote(po.BodyType), "body")
	case op.HasBody:
		c.Setup = append(c.Setup, fmt.Sprintf("body := []byte(%s)", pactLiteral(po.Body)))
		c.Request = append(c.Request, pactBody(po.BodyType, "accPactValue(t, body)", po.BodyRules))
		args = append(args, strconv.Quote(po.BodyType), "body")
	}
	for _, h := range po.ResponseHeaders {
		c.Response = append(c.Response, fmt.Sprintf("b.Header(%q%s)", h.Name, pactLikes(h.Values)))
	}
	if po.ResponseBody != "" {
		c.Response = append(c.Response, pactBody(po.ResponseType, fmt.Sprintf("accPactValue(t, []byte(%s))", pactLiteral(po.ResponseBody)), po.ResponseRules))
	}
	c.Call = fmt.Sprintf("c.%s(%s)", op.Raw(), strings.Join(args, ", "))
	c.StatusOf = "res.StatusCode()"
	if op.ResponseType == "" {
		c.StatusOf = "res.StatusCode"
	}
	return c, ""
}

func pactIsJSON(ct string) bool {
	base, _, _ := strings.Cut(ct, ";")
	return strings.HasSuffix(base, "/json") || strings.HasSuffix(base, "+json")
}

// pactGiven is the interaction's provider state, with the path
// parameters' values as its parameters.
func pactGiven(po *pactOp) string {
	if len(po.StateParams) == 0 {
		return fmt.Sprintf("Given(%q)", po.State)
	}
	var kv []string
	for _, k := range sortedKeys(po.StateParams) {
		kv = append(kv, fmt.Sprintf("%q: %#v", k, po.StateParams[k]))
	}
	return fmt.Sprintf("GivenWithParameter(models.ProviderState{Name: %q, Parameters: map[string]any{%s}})", po.State, strings.Join(kv, ", "))
}

// pactBody sets a JSON body: the Content-Type held by a regular expression
// (a provider may add a charset), the value through accPactMatch.
func pactBody(contentType, value string, rules map[string]pactRule) string {
	ct := fmt.Sprintf("b.Header(\"Content-Type\", matchers.Term(%q, %s))", contentType, pactLiteral("^"+regexp.QuoteMeta(contentType)))
	return ct + "\n" + fmt.Sprintf("b.JSONBody(accPactMatch(%s, \"\", %s))", value, pactRulesLiteral(rules))
}

func pactLikes(values []string) string {
	var b strings.Builder
	for _, v := range values {
		fmt.Fprintf(&b, ", matchers.Like(%q)", v)
	}
	return b.String()
}

// pactAuthMatchers are the request's credentials for one scheme, matched
// by shape so that the provider's verification may send its own.
func pactAuthMatchers(m *Model, name string) []string {
	for _, s := range m.Auth.Schemes {
		if s.Name != name {
			continue
		}
		switch {
		case s.Bearer():
			return []string{fmt.Sprintf("b.Header(\"Authorization\", matchers.Term(%q, %s))", "Bearer "+pactToken, pactLiteral(`^Bearer \S+$`))}
		case s.Kind == "basic":
			cred := base64.StdEncoding.EncodeToString([]byte(pactUser + ":" + pactPassword))
			return []string{fmt.Sprintf("b.Header(\"Authorization\", matchers.Term(%q, %s))", "Basic "+cred, pactLiteral(`^Basic \S+$`))}
		case s.Kind == "apiKey" && s.In == "header":
			return []string{fmt.Sprintf("b.Header(%q, matchers.Like(%q))", s.ParamName, pactAPIKey)}
		case s.Kind == "apiKey" && s.In == "query":
			return []string{fmt.Sprintf("b.Query(%q, matchers.Like(%q))", s.ParamName, pactAPIKey)}
		case s.Kind == "apiKey" && s.In == "cookie":
			return []string{fmt.Sprintf("b.Header(\"Cookie\", matchers.Term(%q, %s))", s.ParamName+"="+pactAPIKey, pactLiteral(`(^|;\s*)`+regexp.QuoteMeta(s.ParamName)+`=`))}
		}
	}
	return nil
}

// pactSlug names the provider after the contract's title ("Payments
// Provider API" → "payments-provider-api").
func pactSlug(title, fallback string) string {
	var b strings.Builder
	dash := false
	for _, r := range strings.ToLower(title) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			dash = false
			continue
		}
		dash = true
	}
	if b.Len() == 0 {
		return fallback
	}
	return b.String()
}
