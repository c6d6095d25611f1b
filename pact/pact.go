// Package pact checks consumer pacts against a provider's OpenAPI contract
// without running either side: every HTTP interaction's request must be one
// the provider accepts and its response one the provider may give. This is
// bi-directional contract testing done locally, in pure Go.
package pact

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Pact is a consumer pact, normalised across specification versions 2, 3
// and 4: only the HTTP interactions, with query strings, headers and
// bodies in one form.
type Pact struct {
	Consumer string
	Provider string
	// Spec is the pact specification version the file declares ("2.0.0"
	// when it declares none, as pact files written before v3 often do).
	Spec         string
	Interactions []Interaction
	// Skipped says what of the file is not an HTTP interaction (messages,
	// v4 asynchronous or synchronous message interactions).
	Skipped []string
}

// Interaction is one request the consumer sends and the response it expects.
type Interaction struct {
	// Index is the position in the file's interactions array.
	Index       int
	Description string
	States      []string
	Request     Request
	Response    Response
}

// Request is what the consumer sends.
type Request struct {
	Method string
	Path   string
	Query  url.Values
	Header http.Header
	Body   Body
}

// Response is what the consumer expects back; the consumer may leave out
// headers and fields it does not use.
type Response struct {
	Status int
	Header http.Header
	Body   Body
}

// Body is a message body. JSON bodies keep their JSON text; others their
// bytes. ContentType comes from the v4 body or the Content-Type header.
type Body struct {
	Present     bool
	JSON        bool
	Raw         []byte
	ContentType string
}

type rawPact struct {
	Consumer     struct{ Name string }      `json:"consumer"`
	Provider     struct{ Name string }      `json:"provider"`
	Interactions []json.RawMessage          `json:"interactions"`
	Messages     []json.RawMessage          `json:"messages"`
	Metadata     map[string]json.RawMessage `json:"metadata"`
}

type rawInteraction struct {
	Type           string `json:"type"`
	Description    string `json:"description"`
	ProviderState  string `json:"providerState"`
	ProviderStates []struct {
		Name string `json:"name"`
	} `json:"providerStates"`
	Request  *rawMessage `json:"request"`
	Response *rawMessage `json:"response"`
}

type rawMessage struct {
	Method  string          `json:"method"`
	Path    string          `json:"path"`
	Query   json.RawMessage `json:"query"`
	Headers json.RawMessage `json:"headers"`
	Body    json.RawMessage `json:"body"`
	Status  int             `json:"status"`
}

// Parse reads a pact file of specification v2, v3 or v4.
func Parse(data []byte) (*Pact, error) {
	var raw rawPact
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&raw); err != nil {
		return nil, fmt.Errorf("not a pact file: %w", err)
	}
	if raw.Interactions == nil && raw.Messages == nil {
		return nil, fmt.Errorf("not a pact file: no interactions")
	}
	p := &Pact{Consumer: raw.Consumer.Name, Provider: raw.Provider.Name, Spec: specVersion(raw.Metadata)}
	v4 := strings.HasPrefix(p.Spec, "4")
	if len(raw.Messages) > 0 {
		p.Skipped = append(p.Skipped, fmt.Sprintf("%d message interactions (asynchronous messages are not checked against OpenAPI)", len(raw.Messages)))
	}
	for i, ri := range raw.Interactions {
		var in rawInteraction
		if err := json.Unmarshal(ri, &in); err != nil {
			return nil, fmt.Errorf("interaction %d: %w", i, err)
		}
		if in.Type != "" && in.Type != "Synchronous/HTTP" {
			p.Skipped = append(p.Skipped, fmt.Sprintf("interaction %d %q: %s interactions are not HTTP", i, in.Description, in.Type))
			continue
		}
		if in.Request == nil || in.Response == nil {
			return nil, fmt.Errorf("interaction %d %q: a request and a response are required", i, in.Description)
		}
		it := Interaction{Index: i, Description: in.Description}
		if in.ProviderState != "" {
			it.States = append(it.States, in.ProviderState)
		}
		for _, s := range in.ProviderStates {
			it.States = append(it.States, s.Name)
		}
		var err error
		if it.Request, err = request(in.Request, v4 || in.Type != ""); err != nil {
			return nil, fmt.Errorf("interaction %d %q: request: %w", i, in.Description, err)
		}
		hdr, err := headers(in.Response.Headers)
		if err != nil {
			return nil, fmt.Errorf("interaction %d %q: response headers: %w", i, in.Description, err)
		}
		it.Response = Response{Status: in.Response.Status, Header: hdr}
		if it.Response.Body, err = body(in.Response.Body, hdr, v4 || in.Type != ""); err != nil {
			return nil, fmt.Errorf("interaction %d %q: response body: %w", i, in.Description, err)
		}
		if it.Response.Status == 0 {
			return nil, fmt.Errorf("interaction %d %q: the response has no status", i, in.Description)
		}
		p.Interactions = append(p.Interactions, it)
	}
	return p, nil
}

// specVersion reads the version under the keys pact writers have used.
func specVersion(meta map[string]json.RawMessage) string {
	for _, k := range []string{"pactSpecification", "pact-specification"} {
		var v struct {
			Version string `json:"version"`
		}
		if raw, ok := meta[k]; ok && json.Unmarshal(raw, &v) == nil && v.Version != "" {
			return v.Version
		}
	}
	var v string
	if raw, ok := meta["pactSpecificationVersion"]; ok && json.Unmarshal(raw, &v) == nil && v != "" {
		return v
	}
	return "2.0.0"
}

func request(m *rawMessage, v4 bool) (Request, error) {
	r := Request{Method: strings.ToUpper(m.Method), Path: m.Path}
	if r.Method == "" || r.Path == "" {
		return r, fmt.Errorf("method and path are required")
	}
	var err error
	if r.Query, err = query(m.Query); err != nil {
		return r, fmt.Errorf("query: %w", err)
	}
	if r.Header, err = headers(m.Headers); err != nil {
		return r, fmt.Errorf("headers: %w", err)
	}
	if r.Body, err = body(m.Body, r.Header, v4); err != nil {
		return r, fmt.Errorf("body: %w", err)
	}
	return r, nil
}

// query takes v2's query string or v3/v4's map of value lists (a single
// string per key is accepted too).
func query(raw json.RawMessage) (url.Values, error) {
	if isNull(raw) {
		return url.Values{}, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return url.ParseQuery(s)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("want a string or an object: %w", err)
	}
	out := url.Values{}
	for k, v := range m {
		vs, err := stringOrList(v)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		out[k] = vs
	}
	return out, nil
}

func headers(raw json.RawMessage) (http.Header, error) {
	out := http.Header{}
	if isNull(raw) {
		return out, nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("want an object: %w", err)
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		vs, err := stringOrList(m[k])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", k, err)
		}
		for _, v := range vs {
			out.Add(k, v)
		}
	}
	return out, nil
}

func stringOrList(raw json.RawMessage) ([]string, error) {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return []string{s}, nil
	}
	var l []string
	if err := json.Unmarshal(raw, &l); err != nil {
		return nil, fmt.Errorf("want a string or a list of strings")
	}
	return l, nil
}

// body reads a v2/v3 body (the JSON value itself, or a string for a
// non-JSON content type) or a v4 body ({content, contentType, encoded}).
func body(raw json.RawMessage, h http.Header, v4 bool) (Body, error) {
	b := Body{ContentType: h.Get("Content-Type")}
	if isNull(raw) {
		return b, nil
	}
	b.Present = true
	if v4 {
		var vb struct {
			Content     json.RawMessage `json:"content"`
			ContentType string          `json:"contentType"`
			Encoded     json.RawMessage `json:"encoded"`
		}
		if err := json.Unmarshal(raw, &vb); err != nil {
			return b, fmt.Errorf("want {content, contentType, encoded}: %w", err)
		}
		if isNull(vb.Content) {
			return Body{ContentType: b.ContentType}, nil
		}
		if vb.ContentType != "" {
			b.ContentType = vb.ContentType
		}
		var enc string
		_ = json.Unmarshal(vb.Encoded, &enc)
		var s string
		isString := json.Unmarshal(vb.Content, &s) == nil
		switch {
		case strings.EqualFold(enc, "base64") && isString:
			dec, err := base64.StdEncoding.DecodeString(s)
			if err != nil {
				return b, fmt.Errorf("content is not base64: %w", err)
			}
			b.Raw = dec
			b.JSON = isJSONType(b.ContentType) && json.Valid(dec)
		case strings.EqualFold(enc, "json") && isString:
			b.Raw, b.JSON = []byte(s), true
		case isString && !isJSONType(b.ContentType):
			b.Raw = []byte(s)
		default:
			b.Raw, b.JSON = vb.Content, true
		}
		return b, nil
	}
	var s string
	if json.Unmarshal(raw, &s) == nil && b.ContentType != "" && !isJSONType(b.ContentType) {
		b.Raw = []byte(s)
		return b, nil
	}
	b.Raw, b.JSON = raw, true
	return b, nil
}

func isNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || bytes.Equal(t, []byte("null"))
}

func isJSONType(ct string) bool {
	ct, _, _ = strings.Cut(ct, ";")
	ct = strings.ToLower(strings.TrimSpace(ct))
	return ct == "application/json" || strings.HasSuffix(ct, "+json") || strings.HasSuffix(ct, "/json")
}
