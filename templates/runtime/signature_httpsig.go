package runtime

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// RFC 9421 HTTP Message Signatures with hmac-sha256, as accord profiles
// them. The signer covers
//
//	("@method" "@path" "@query" "content-digest");created=<unix>;nonce="<hex>";keyid="<id>";alg="hmac-sha256"
//
// under the label sig1, with Content-Digest: sha-256=:<base64>: (RFC 9530).
// @path and @query rather than @target-uri: they are the request target
// exactly as sent, which both ends see alike, while @target-uri adds the
// scheme and authority, which a server behind a TLS-terminating proxy or a
// load balancer sees differently from the client (http, an internal host)
// and would reject honest requests for. Keys are per partner, so binding
// the host adds little.
//
// The verifier recomputes the signature base of any label whose covered
// components it can derive (a partner may also sign @target-uri,
// @authority, @request-target, @scheme or header fields), and accepts a
// signature only when it covers @method, the target (@target-uri,
// @request-target, or @path with @query), and content-digest whenever there
// is a body; when content-digest is covered it must match the body.
// created and nonce are required: created must be within the tolerance and
// keyid+nonce is the replay identity.
const (
	rtSignatureField      = "Signature"
	rtSignatureInputField = "Signature-Input"
	rtContentDigestField  = "Content-Digest"
	rtHTTPSigLabel        = "sig1"
	rtHTTPSigAlg          = "hmac-sha256"
	rtHTTPSigMaxLabels    = 8
	rtHTTPSigMaxCovered   = 32
)

// rtHTTPSigCovered is what accord's signer covers, in order.
var rtHTTPSigCovered = [...]string{"@method", "@path", "@query", "content-digest"}

// rtMessage is the part of a request the signature base is derived from,
// seen alike from the client (before sending) and the server (on arrival).
type rtMessage struct {
	method, scheme, authority, target string
	header                            http.Header
}

func rtClientMessage(req *http.Request) rtMessage {
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	return rtMessage{method: req.Method, scheme: req.URL.Scheme, authority: host, target: rtClientTarget(req), header: req.Header}
}

func rtServerMessage(r *http.Request) rtMessage {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return rtMessage{method: r.Method, scheme: scheme, authority: r.Host, target: rtServerTarget(r), header: r.Header}
}

// component derives one covered component's value (RFC 9421 §2.1, §2.2).
func (m rtMessage) component(name string) (string, error) {
	path, query, hasQuery := strings.Cut(m.target, "?")
	switch name {
	case "@method":
		return m.method, nil
	case "@target-uri":
		return strings.ToLower(m.scheme) + "://" + strings.ToLower(m.authority) + m.target, nil
	case "@authority":
		return rtAuthority(m.scheme, m.authority), nil
	case "@scheme":
		return strings.ToLower(m.scheme), nil
	case "@request-target":
		return m.target, nil
	case "@path":
		if path == "" {
			path = "/"
		}
		return path, nil
	case "@query":
		if !hasQuery {
			return "?", nil
		}
		return "?" + query, nil
	}
	if strings.HasPrefix(name, "@") {
		return "", fmt.Errorf("derived component %q is not supported", name)
	}
	if name == "" || strings.ToLower(name) != name {
		return "", fmt.Errorf("component name %q must be lowercase", name)
	}
	vals := m.header.Values(name)
	if len(vals) == 0 {
		return "", fmt.Errorf("covered field %q is not in the request", name)
	}
	for i, v := range vals {
		vals[i] = strings.Trim(v, " \t")
	}
	return strings.Join(vals, ", "), nil
}

// rtAuthority normalises a host for @authority: lowercase, default port
// dropped.
func rtAuthority(scheme, host string) string {
	host = strings.ToLower(host)
	switch strings.ToLower(scheme) {
	case "http":
		host = strings.TrimSuffix(host, ":80")
	case "https":
		host = strings.TrimSuffix(host, ":443")
	}
	return host
}

// rtHTTPSigBase builds the signature base of one signature (RFC 9421
// §2.5): one `"component": value` line per covered component, then the
// @signature-params line, joined by "\n" without a trailing newline.
func rtHTTPSigBase(m rtMessage, sig rtSFMember) ([]byte, error) {
	var b bytes.Buffer
	seen := make(map[string]bool, len(sig.items))
	for _, it := range sig.items {
		if it.bare.kind != 's' {
			return nil, fmt.Errorf("covered component %s is not a string", it.bare.serialize())
		}
		if len(it.params) > 0 {
			return nil, fmt.Errorf("component parameters on %q are not supported", it.bare.s)
		}
		name := it.bare.s
		if seen[name] || name == "@signature-params" {
			return nil, fmt.Errorf("component %q is covered twice or reserved", name)
		}
		seen[name] = true
		v, err := m.component(name)
		if err != nil {
			return nil, err
		}
		if strings.ContainsAny(v, "\r\n") {
			return nil, fmt.Errorf("component %q holds a line break", name)
		}
		b.WriteString(it.serialize())
		b.WriteString(": ")
		b.WriteString(v)
		b.WriteByte('\n')
	}
	b.WriteString(`"@signature-params": `)
	b.WriteString(sig.serializeInner())
	return b.Bytes(), nil
}

// rtContentDigest is the RFC 9530 Content-Digest value accord sends.
func rtContentDigest(body []byte) string {
	sum := sha256.Sum256(body)
	return "sha-256=:" + base64.StdEncoding.EncodeToString(sum[:]) + ":"
}

// rtCheckContentDigest checks every sha-256 and sha-512 digest in the
// header against body; at least one must be present, others are ignored
// (RFC 9530 lets a recipient skip algorithms it does not support).
func rtCheckContentDigest(header string, body []byte) error {
	if header == "" {
		return fmt.Errorf("%w: no Content-Digest header", ErrSignatureMissing)
	}
	members, err := rtParseSFDictionary(header)
	if err != nil {
		return fmt.Errorf("%w: malformed Content-Digest: %v", ErrSignatureInvalid, err)
	}
	checked := 0
	for _, m := range members {
		var sum []byte
		switch m.key {
		case "sha-256":
			s := sha256.Sum256(body)
			sum = s[:]
		case "sha-512":
			s := sha512.Sum512(body)
			sum = s[:]
		default:
			continue
		}
		if m.inner || m.item.bare.kind != 'b' || !hmac.Equal(m.item.bare.b, sum) {
			return fmt.Errorf("%w: Content-Digest %s does not match the body", ErrSignatureInvalid, m.key)
		}
		checked++
	}
	if checked == 0 {
		return fmt.Errorf("%w: Content-Digest has no sha-256 or sha-512 digest", ErrSignatureInvalid)
	}
	return nil
}

// rtHTTPSigSign signs req the way accord's profile says (see top of file).
func rtHTTPSigSign(req *http.Request, body, key []byte, now time.Time) error {
	req.Header.Set(rtContentDigestField, rtContentDigest(body))
	sig := rtSFMember{key: rtHTTPSigLabel, inner: true, params: []rtSFParam{
		{key: "created", val: rtSFBare{kind: 'i', i: now.Unix()}},
		{key: "nonce", val: rtSFBare{kind: 's', s: rtNewNonce()}},
		{key: "keyid", val: rtSFBare{kind: 's', s: rtKeyID(key)}},
		{key: "alg", val: rtSFBare{kind: 's', s: rtHTTPSigAlg}},
	}}
	for _, c := range rtHTTPSigCovered {
		sig.items = append(sig.items, rtSFItem{bare: rtSFBare{kind: 's', s: c}})
	}
	input, value, err := rtHTTPSigHeaders(rtClientMessage(req), sig, key)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	req.Header.Set(rtSignatureInputField, input)
	req.Header.Set(rtSignatureField, value)
	return nil
}

// rtHTTPSigHeaders returns the Signature-Input and Signature member values
// for sig over m.
func rtHTTPSigHeaders(m rtMessage, sig rtSFMember, key []byte) (input, signature string, err error) {
	base, err := rtHTTPSigBase(m, sig)
	if err != nil {
		return "", "", err
	}
	mac := hmac.New(sha256.New, key)
	mac.Write(base)
	return sig.key + "=" + sig.serializeInner(), sig.key + "=:" + base64.StdEncoding.EncodeToString(mac.Sum(nil)) + ":", nil
}

// rtVerifyHTTPSig verifies the first acceptable RFC 9421 signature of r.
func (v Verifier) rtVerifyHTTPSig(ctx context.Context, sc SignatureScheme, r *http.Request, body []byte) (Verified, error) {
	inputs := strings.Join(r.Header.Values(rtSignatureInputField), ", ")
	sigs := strings.Join(r.Header.Values(rtSignatureField), ", ")
	if inputs == "" {
		return Verified{}, fmt.Errorf("%w: no %s header", ErrSignatureMissing, rtSignatureInputField)
	}
	if sigs == "" {
		return Verified{}, fmt.Errorf("%w: no %s header", ErrSignatureMissing, rtSignatureField)
	}
	in, err := rtParseSFDictionary(inputs)
	if err != nil {
		return Verified{}, fmt.Errorf("%w: malformed %s: %v", ErrSignatureInvalid, rtSignatureInputField, err)
	}
	sv, err := rtParseSFDictionary(sigs)
	if err != nil {
		return Verified{}, fmt.Errorf("%w: malformed %s: %v", ErrSignatureInvalid, rtSignatureField, err)
	}
	if len(in) > rtHTTPSigMaxLabels {
		return Verified{}, fmt.Errorf("%w: more than %d signatures", ErrSignatureInvalid, rtHTTPSigMaxLabels)
	}
	msg := rtServerMessage(r)
	var keys [][]byte
	var firstErr error
	fail := func(err error) {
		if firstErr == nil {
			firstErr = err
		}
	}
	for _, sig := range in {
		value, ok := rtSFLookup(sv, sig.key)
		if !ok || value.inner || value.item.bare.kind != 'b' {
			fail(fmt.Errorf("%w: no %s value for label %q", ErrSignatureMissing, rtSignatureField, sig.key))
			continue
		}
		p, err := rtHTTPSigProfile(sig, len(body) > 0)
		if err != nil {
			fail(err)
			continue
		}
		if err := v.rtFresh(sc, time.Unix(p.created, 0)); err != nil {
			fail(err)
			continue
		}
		if p.expires != nil && !time.Unix(*p.expires, 0).After(v.rtNow()) {
			fail(fmt.Errorf("%w: signature %q expired", ErrSignatureStale, sig.key))
			continue
		}
		if p.digest {
			if err := rtCheckContentDigest(r.Header.Get(rtContentDigestField), body); err != nil {
				fail(err)
				continue
			}
		}
		base, err := rtHTTPSigBase(msg, sig)
		if err != nil {
			fail(fmt.Errorf("%w: signature %q: %v", ErrSignatureInvalid, sig.key, err))
			continue
		}
		if keys == nil {
			if keys, err = v.rtKeys(ctx, sc); err != nil {
				return Verified{}, err
			}
		}
		for _, key := range keys {
			mac := hmac.New(sha256.New, key)
			mac.Write(base)
			if !hmac.Equal(mac.Sum(nil), value.item.bare.b) {
				continue
			}
			if err := v.rtReplayCheck(ctx, sc, sc.Name+"|h|"+p.keyID+"|"+p.nonce, time.Unix(p.created, 0)); err != nil {
				return Verified{}, err
			}
			return Verified{KeyID: rtKeyID(key)}, nil
		}
		fail(fmt.Errorf("%w: no signature matches any accepted key", ErrSignatureInvalid))
	}
	if firstErr == nil {
		firstErr = fmt.Errorf("%w: no signature in %s", ErrSignatureMissing, rtSignatureInputField)
	}
	return Verified{}, firstErr
}

func (v Verifier) rtNow() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

// rtHTTPSigParams are the signature parameters accord's verifier requires.
type rtHTTPSigParams struct {
	created      int64
	expires      *int64
	nonce, keyID string
	digest       bool // content-digest is covered
}

// rtHTTPSigProfile checks that sig binds what accord requires (see top of
// file) and returns its parameters.
func rtHTTPSigProfile(sig rtSFMember, hasBody bool) (rtHTTPSigParams, error) {
	var p rtHTTPSigParams
	if !sig.inner {
		return p, fmt.Errorf("%w: signature %q is not an inner list", ErrSignatureInvalid, sig.key)
	}
	if len(sig.items) > rtHTTPSigMaxCovered {
		return p, fmt.Errorf("%w: signature %q covers more than %d components", ErrSignatureInvalid, sig.key, rtHTTPSigMaxCovered)
	}
	hasCreated := false
	for _, pr := range sig.params {
		switch pr.key {
		case "created":
			if pr.val.kind != 'i' {
				return p, fmt.Errorf("%w: created is not an integer", ErrSignatureInvalid)
			}
			p.created, hasCreated = pr.val.i, true
		case "expires":
			if pr.val.kind != 'i' {
				return p, fmt.Errorf("%w: expires is not an integer", ErrSignatureInvalid)
			}
			e := pr.val.i
			p.expires = &e
		case "nonce":
			if pr.val.kind != 's' {
				return p, fmt.Errorf("%w: nonce is not a string", ErrSignatureInvalid)
			}
			p.nonce = pr.val.s
		case "keyid":
			if pr.val.kind != 's' {
				return p, fmt.Errorf("%w: keyid is not a string", ErrSignatureInvalid)
			}
			p.keyID = pr.val.s
		case "alg":
			if pr.val.kind != 's' || pr.val.s != rtHTTPSigAlg {
				return p, fmt.Errorf("%w: alg %s is not %q", ErrSignatureInvalid, pr.val.serialize(), rtHTTPSigAlg)
			}
		}
	}
	if !hasCreated {
		return p, fmt.Errorf("%w: signature %q has no created parameter", ErrSignatureMissing, sig.key)
	}
	if p.nonce == "" {
		return p, fmt.Errorf("%w: signature %q has no nonce parameter", ErrSignatureMissing, sig.key)
	}
	covered := map[string]bool{}
	for _, it := range sig.items {
		if it.bare.kind == 's' {
			covered[it.bare.s] = true
		}
	}
	p.digest = covered["content-digest"]
	target := covered["@target-uri"] || covered["@request-target"] || (covered["@path"] && covered["@query"])
	switch {
	case !covered["@method"]:
		return p, fmt.Errorf("%w: signature %q does not cover @method", ErrSignatureInvalid, sig.key)
	case !target:
		return p, fmt.Errorf("%w: signature %q does not cover the request target (@target-uri, or @path and @query)", ErrSignatureInvalid, sig.key)
	case hasBody && !p.digest:
		return p, fmt.Errorf("%w: signature %q does not cover content-digest", ErrSignatureInvalid, sig.key)
	}
	return p, nil
}

func rtSFLookup(ms []rtSFMember, key string) (rtSFMember, bool) {
	for _, m := range ms {
		if m.key == key {
			return m, true
		}
	}
	return rtSFMember{}, false
}
