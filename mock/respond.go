package mock

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// reply is an answer before it is written, so that idempotent replays and
// response validation see exactly what the client gets.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (rep reply) write(w http.ResponseWriter) {
	h := w.Header()
	for k, vs := range rep.header {
		h[k] = vs
	}
	if rep.body != nil {
		h.Set("Content-Length", strconv.Itoa(len(rep.body)))
	}
	w.WriteHeader(rep.status)
	if len(rep.body) > 0 {
		_, _ = w.Write(rep.body)
	}
}

// prefer is what a request's Prefer header asks of the mock.
type prefer struct {
	code    int
	example string
}

func parsePrefer(h http.Header) prefer {
	var p prefer
	for _, v := range h.Values("Prefer") {
		for _, part := range strings.Split(v, ",") {
			for _, kv := range strings.Split(part, ";") {
				k, val, _ := strings.Cut(strings.TrimSpace(kv), "=")
				val = strings.Trim(val, `"`)
				switch strings.ToLower(k) {
				case "code":
					p.code, _ = strconv.Atoi(val)
				case "example":
					p.example = val
				}
			}
		}
	}
	return p
}

// chooseStatus picks the declared response: the one asked for, else the
// lowest 2xx, else default (as 200), else the lowest declared.
func (o *operation) chooseStatus(want int) (int, *openapi3.Response) {
	rs := o.op.Responses
	if rs == nil {
		return http.StatusOK, nil
	}
	if want != 0 {
		if r := rs.Status(want); r != nil && r.Value != nil {
			return want, r.Value
		}
		if r := rs.Value(strconv.Itoa(want/100) + "XX"); r != nil && r.Value != nil {
			return want, r.Value
		}
		if r := rs.Default(); r != nil && r.Value != nil {
			return want, r.Value
		}
	}
	codes := o.statuses
	for _, c := range codes {
		if c >= 200 && c < 300 {
			return c, rs.Status(c).Value
		}
	}
	if r := rs.Default(); r != nil && r.Value != nil {
		return http.StatusOK, r.Value
	}
	if len(codes) > 0 {
		return codes[0], rs.Status(codes[0]).Value
	}
	return http.StatusOK, nil
}

// declaredStatuses lists the explicit status codes, ascending.
func (o *operation) declaredStatuses() []int {
	var out []int
	if o.op.Responses == nil {
		return nil
	}
	for k, r := range o.op.Responses.Map() {
		if c, err := strconv.Atoi(k); err == nil && r.Value != nil {
			out = append(out, c)
		}
	}
	slices.Sort(out)
	return out
}

// mediaType picks the response content: JSON first, then a +json type,
// then the first by name.
func mediaType(content openapi3.Content) (string, *openapi3.MediaType) {
	if len(content) == 0 {
		return "", nil
	}
	if mt := content.Get("application/json"); mt != nil {
		return "application/json", mt
	}
	names := make([]string, 0, len(content))
	for k := range content {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.HasSuffix(n, "+json") || strings.HasSuffix(n, "/json") {
			return n, content[n]
		}
	}
	return names[0], content[names[0]]
}

// exampleValue is the media type's example named name (any when ""), or
// ok=false when the contract gives none.
func exampleValue(mt *openapi3.MediaType, name string) (any, bool) {
	if name != "" {
		if ex := mt.Examples[name]; ex != nil && ex.Value != nil {
			return ex.Value.Value, true
		}
		return nil, false
	}
	if mt.Example != nil {
		return mt.Example, true
	}
	names := make([]string, 0, len(mt.Examples))
	for k := range mt.Examples {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, n := range names {
		if ex := mt.Examples[n]; ex != nil && ex.Value != nil && ex.Value.Value != nil {
			return ex.Value.Value, true
		}
	}
	return nil, false
}

// staticReply builds the stateless answer for a status and example name.
// It depends only on the seed and its inputs, so the server caches it.
func (s *Server) staticReply(o *operation, status int, resp *openapi3.Response, example string) (reply, error) {
	rep := reply{status: status, header: http.Header{}}
	if resp == nil {
		return rep, nil
	}
	g := NewGenerator(s.seed, o.id+"#"+strconv.Itoa(status), Response)
	addHeaders(g, resp, rep.header)
	ct, mt := mediaType(resp.Content)
	if mt == nil {
		return rep, nil
	}
	v, ok := exampleValue(mt, example)
	if !ok && example != "" {
		return reply{}, fmt.Errorf("no example %q for %s %d", example, o.id, status)
	}
	if !ok {
		v = g.Value(mt.Schema)
	}
	rep.header.Set("Content-Type", ct)
	if str, isStr := v.(string); isStr && !isJSON(ct) {
		rep.body = []byte(str)
		return rep, nil
	}
	body, err := json.Marshal(v)
	if err != nil {
		return reply{}, fmt.Errorf("%s %d: encoding the example: %w", o.id, status, err)
	}
	rep.body = body
	return rep, nil
}

// addHeaders sets the response's required headers h lacks, synthesised.
func addHeaders(g *Generator, resp *openapi3.Response, h http.Header) {
	for _, name := range sortedKeys(resp.Headers) {
		hd := resp.Headers[name]
		if hd == nil || hd.Value == nil || !hd.Value.Required || hd.Value.Schema == nil || h.Get(name) != "" {
			continue
		}
		h.Set(name, fmt.Sprint(g.Value(hd.Value.Schema)))
	}
}

func isJSON(ct string) bool {
	return ct == "application/json" || strings.HasSuffix(ct, "+json") || strings.HasSuffix(ct, "/json")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
