package mock

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/accord-dev/accord/contracts"
	rt "github.com/accord-dev/accord/templates/runtime"
)

// authenticate checks the operation's security requirements: any one
// requirement (alternatives) with all its schemes satisfied. Signature
// schemes are left to verifySignature.
func (s *Server) authenticate(op *operation, r *http.Request) (string, bool) {
	reqs := op.route.Spec.Security
	if op.op.Security != nil {
		reqs = *op.op.Security
	}
	if len(reqs) == 0 {
		return "", true
	}
	var why []string
	for _, req := range reqs {
		ok := true
		for name := range req {
			if msg := s.checkScheme(op, name, r); msg != "" {
				why = append(why, msg)
				ok = false
			}
		}
		if ok {
			return "", true
		}
	}
	return "authentication failed: " + strings.Join(why, "; "), false
}

// checkScheme returns why the request does not satisfy one scheme ("" when
// it does).
func (s *Server) checkScheme(op *operation, name string, r *http.Request) string {
	comps := op.route.Spec.Components
	if comps == nil || comps.SecuritySchemes[name] == nil || comps.SecuritySchemes[name].Value == nil {
		return "" // a dangling name: the contract's problem, not the caller's
	}
	sc := comps.SecuritySchemes[name].Value
	if _, signed := sc.Extensions[contracts.SignatureKey]; signed {
		return ""
	}
	want, configured := s.opts.Credentials[name]
	var got string
	switch sc.Type {
	case "http":
		scheme, value, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, sc.Scheme) {
			return fmt.Sprintf("%s: no Authorization: %s credential", name, sc.Scheme)
		}
		got = strings.TrimSpace(value)
		if strings.EqualFold(sc.Scheme, "basic") {
			raw, err := base64.StdEncoding.DecodeString(got)
			if err != nil {
				return name + ": malformed basic credential"
			}
			got = string(raw)
		}
	case "apiKey":
		got = apiKey(sc, r)
		if got == "" {
			return fmt.Sprintf("%s: no %s %q", name, sc.In, sc.Name)
		}
	case "oauth2", "openIdConnect":
		scheme, value, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "bearer") {
			return name + ": no bearer token"
		}
		got = strings.TrimSpace(value)
	default:
		return "" // mutualTLS and unknown types are not the mock's to check
	}
	if got == "" {
		return name + ": empty credential"
	}
	if configured && subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		return name + ": credential not accepted"
	}
	return ""
}

func apiKey(sc *openapi3.SecurityScheme, r *http.Request) string {
	switch sc.In {
	case "header":
		return r.Header.Get(sc.Name)
	case "query":
		return r.URL.Query().Get(sc.Name)
	case "cookie":
		if c, err := r.Cookie(sc.Name); err == nil {
			return c.Value
		}
	}
	return ""
}

// verifySignature checks a signed request with the runtime's own verifier,
// so the mock refuses exactly what a generated server refuses.
func (s *Server) verifySignature(ctx context.Context, name string, r *http.Request, body []byte) (string, error) {
	v := rt.Verifier{
		Scheme:  runtimeScheme(s.schemes[name]),
		Secrets: rt.StaticSecrets{s.secrets[name]},
		Replay:  s.replay,
	}
	got, err := v.Verify(ctx, r, body)
	return got.KeyID, err
}

// runtimeScheme converts the contract's scheme to the runtime's.
func runtimeScheme(sc contracts.SignatureScheme) rt.SignatureScheme {
	return rt.SignatureScheme{
		Name: sc.Name, Format: rt.SignatureFormat(sc.Format), SignatureHeader: sc.SignatureHeader,
		TimestampHeader: sc.TimestampHeader, NonceHeader: sc.NonceHeader, Tolerance: sc.Tolerance,
	}
}
