package runtime

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strconv"
)

const rtProblemContentType = "application/problem+json"

// ProblemDetails is an RFC 9457 problem. Extensions are flattened into the
// JSON object next to the standard members.
type ProblemDetails struct {
	Type       string         `json:"type,omitempty"`
	Title      string         `json:"title,omitempty"`
	Status     int            `json:"status,omitempty"`
	Detail     string         `json:"detail,omitempty"`
	Instance   string         `json:"instance,omitempty"`
	TraceID    string         `json:"traceId,omitempty"`
	Extensions map[string]any `json:"-"`
}

func rtProblemReserved(k string) bool {
	switch k {
	case "type", "title", "status", "detail", "instance", "traceId":
		return true
	}
	return false
}

// MarshalJSON writes the standard members in a stable order, then the
// extensions sorted by name; an extension may not shadow a standard member.
func (p ProblemDetails) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	first := true
	str := func(k, v string) {
		if v == "" {
			return
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(strconv.Quote(k))
		b.WriteByte(':')
		enc, _ := json.Marshal(v) // a string always marshals
		b.Write(enc)
	}
	str("type", p.Type)
	str("title", p.Title)
	if p.Status != 0 {
		if !first {
			b.WriteByte(',')
		}
		first = false
		b.WriteString(`"status":`)
		b.WriteString(strconv.Itoa(p.Status))
	}
	str("detail", p.Detail)
	str("instance", p.Instance)
	str("traceId", p.TraceID)
	keys := make([]string, 0, len(p.Extensions))
	for k := range p.Extensions {
		if !rtProblemReserved(k) {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, err := json.Marshal(p.Extensions[k])
		if err != nil {
			return nil, fmt.Errorf("problem extension %q: %w", k, err)
		}
		if !first {
			b.WriteByte(',')
		}
		first = false
		kb, _ := json.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

// UnmarshalJSON ignores standard members of the wrong type, as RFC 9457
// asks consumers to, instead of failing the whole problem.
func (p *ProblemDetails) UnmarshalJSON(data []byte) error {
	var m map[string]json.RawMessage
	if err := json.Unmarshal(data, &m); err != nil {
		return err
	}
	*p = ProblemDetails{}
	for k, raw := range m {
		switch k {
		case "type":
			_ = json.Unmarshal(raw, &p.Type)
		case "title":
			_ = json.Unmarshal(raw, &p.Title)
		case "status":
			_ = json.Unmarshal(raw, &p.Status)
		case "detail":
			_ = json.Unmarshal(raw, &p.Detail)
		case "instance":
			_ = json.Unmarshal(raw, &p.Instance)
		case "traceId":
			_ = json.Unmarshal(raw, &p.TraceID)
		default:
			var v any
			if json.Unmarshal(raw, &v) == nil {
				if p.Extensions == nil {
					p.Extensions = make(map[string]any)
				}
				p.Extensions[k] = v
			}
		}
	}
	return nil
}

// WriteProblem writes p as application/problem+json. Status defaults to 500,
// Title to the status text and TraceID to the request's trace id.
func WriteProblem(w http.ResponseWriter, r *http.Request, p ProblemDetails) {
	if p.Status == 0 {
		p.Status = http.StatusInternalServerError
	}
	if p.Title == "" {
		p.Title = http.StatusText(p.Status)
	}
	if p.TraceID == "" && r != nil {
		p.TraceID = TraceIDFromContext(r.Context())
	}
	body, err := p.MarshalJSON()
	if err != nil {
		// Only an unmarshalable extension gets here; the problem without
		// extensions still tells the client what happened.
		p.Extensions = nil
		body, _ = p.MarshalJSON()
	}
	h := w.Header()
	h.Set("Content-Type", rtProblemContentType)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(p.Status)
	_, _ = w.Write(body)
}

// rtParseProblem decodes a problem from an error response body. It accepts
// application/problem+json, and plain JSON that carries problem members,
// because many servers send problems with the wrong media type.
func rtParseProblem(contentType string, body []byte) *ProblemDetails {
	if len(body) == 0 {
		return nil
	}
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		return nil
	}
	isProblem := mt == rtProblemContentType
	if !isProblem && mt != "application/json" && !(len(mt) > 5 && mt[len(mt)-5:] == "+json") {
		return nil
	}
	var p ProblemDetails
	if err := json.Unmarshal(body, &p); err != nil {
		return nil
	}
	if !isProblem && p.Title == "" && p.Detail == "" && p.Type == "" {
		return nil
	}
	return &p
}
