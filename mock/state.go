package mock

import (
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
)

// store holds the resources of a stateful mock, by collection path (the
// concrete request path, so nested collections stay apart).
type store struct {
	mu    sync.Mutex
	colls map[string]*collection
	n     uint64
}

type collection struct {
	ids   []string // creation order, for lists
	items map[string]map[string]any
}

func newStore() *store { return &store{colls: map[string]*collection{}} }

func (st *store) coll(path string) *collection {
	c := st.colls[path]
	if c == nil {
		c = &collection{items: map[string]map[string]any{}}
		st.colls[path] = c
	}
	return c
}

// stateful answers resource operations from the store; ok is false for
// operations that are not one (the static answer is used).
func (s *Server) stateful(op *operation, params map[string]string, r *http.Request, body []byte) (reply, bool) {
	last := op.segs[len(op.segs)-1]
	item := last.param != ""
	path := strings.TrimSuffix(r.URL.Path, "/")
	status, resp := op.chooseStatus(0)
	schema := responseSchema(resp)
	switch {
	case op.method == http.MethodPost && !item:
		if schema == nil || typeOf(schema) != "object" {
			return reply{}, false
		}
		return s.create(op, path, status, schema, body)
	case item && (op.method == http.MethodGet || op.method == http.MethodPut || op.method == http.MethodPatch || op.method == http.MethodDelete):
		parent := path[:strings.LastIndexByte(path, '/')]
		return s.itemOp(op, parent, params[last.param], status, resp, body), true
	case op.method == http.MethodGet && !item && schema != nil:
		return s.list(op, path, status, schema, r.URL.Query())
	}
	return reply{}, false
}

func responseSchema(resp *openapi3.Response) *openapi3.Schema {
	if resp == nil {
		return nil
	}
	_, mt := mediaType(resp.Content)
	if mt == nil || mt.Schema == nil || mt.Schema.Value == nil {
		return nil
	}
	return mt.Schema.Value
}

func (s *Server) create(op *operation, path string, status int, schema *openapi3.Schema, body []byte) (reply, bool) {
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	s.state.n++
	g := NewGenerator(s.seed, op.id+"#"+strconv.FormatUint(s.state.n, 10), Response)
	res, _ := g.Value(&openapi3.SchemaRef{Value: schema}).(map[string]any)
	if res == nil {
		res = map[string]any{}
	}
	props, _ := properties(schema)
	var in map[string]any
	if json.Unmarshal(body, &in) == nil {
		for k, v := range in {
			if _, known := props[k]; known || len(props) == 0 {
				res[k] = v
			}
		}
	}
	c := s.state.coll(path)
	idProp := idProperty(schema)
	id := ""
	for range 8 { // ids are random; a clash is unlikely, a second draw settles it
		id = s.newID(op, g, schema, idProp)
		if _, taken := c.items[id]; !taken {
			break
		}
	}
	if idProp != "" {
		if p := props[idProp].Value; p != nil && typeOf(p) == "integer" {
			n, _ := strconv.ParseInt(id, 10, 64)
			res[idProp] = n
		} else {
			res[idProp] = id
		}
	}
	c.ids = append(c.ids, id)
	c.items[id] = res
	return jsonReply(status, res), true
}

// idProperty names the resource's identifier: "id", else a required
// property ending in "id".
func idProperty(schema *openapi3.Schema) string {
	props, required := properties(schema)
	if _, ok := props["id"]; ok {
		return "id"
	}
	for _, name := range required {
		if l := strings.ToLower(name); strings.HasSuffix(l, "id") {
			return name
		}
	}
	return ""
}

// newID draws an id valid for the resource's id property and, when the
// property says less, for the item path's parameter (its pattern, say).
func (s *Server) newID(create *operation, g *Generator, schema *openapi3.Schema, idProp string) string {
	var idSchema *openapi3.Schema
	if idProp != "" {
		props, _ := properties(schema)
		idSchema = props[idProp].Value
	}
	if idSchema == nil || (idSchema.Pattern == "" && idSchema.Format == "" && typeOf(idSchema) == "string") {
		if p := s.itemParamSchema(create); p != nil {
			idSchema = p
		}
	}
	if idSchema != nil {
		switch typeOf(idSchema) {
		case "integer":
			return strconv.FormatUint(s.state.n, 10)
		case "string":
			if idSchema.Pattern != "" || idSchema.Format != "" {
				v := g.str(&openapi3.Schema{Pattern: idSchema.Pattern, Format: idSchema.Format, MinLength: idSchema.MinLength, MaxLength: idSchema.MaxLength})
				if v != "" {
					return v
				}
			}
		}
	}
	return fmt.Sprintf("%s%d", g.word(6), s.state.n)
}

// itemParamSchema finds the schema of the parameter that addresses one
// resource of create's collection (GET /things/{thing_id}).
func (s *Server) itemParamSchema(create *operation) *openapi3.Schema {
	for _, o := range s.ops {
		if o.doc != create.doc || len(o.segs) != len(create.segs)+1 || !strings.HasPrefix(o.path, strings.TrimSuffix(create.path, "/")+"/") {
			continue
		}
		name := o.segs[len(o.segs)-1].param
		if name == "" {
			continue
		}
		for _, ps := range []openapi3.Parameters{o.route.PathItem.Parameters, o.op.Parameters} {
			for _, p := range ps {
				if p.Value != nil && p.Value.In == openapi3.ParameterInPath && p.Value.Name == name && p.Value.Schema != nil {
					return p.Value.Schema.Value
				}
			}
		}
	}
	return nil
}

func (s *Server) itemOp(op *operation, parent, id string, status int, resp *openapi3.Response, body []byte) reply {
	s.state.mu.Lock()
	defer s.state.mu.Unlock()
	c := s.state.coll(parent)
	res, ok := c.items[id]
	if !ok {
		return problem(http.StatusNotFound, "no resource "+id+" in "+parent, nil)
	}
	switch op.method {
	case http.MethodPut, http.MethodPatch:
		var in map[string]any
		if err := json.Unmarshal(body, &in); err != nil {
			return problem(http.StatusBadRequest, "the body is not a JSON object: "+err.Error(), nil)
		}
		next := in
		if op.method == http.MethodPatch {
			next = maps.Clone(res)
			for k, v := range in {
				if v == nil {
					delete(next, k) // JSON merge patch: null removes
				} else {
					next[k] = v
				}
			}
		}
		if idProp := idProperty(responseSchemaOr(resp)); idProp != "" {
			next[idProp] = res[idProp]
		}
		c.items[id] = next
		res = next
	case http.MethodDelete:
		delete(c.items, id)
		c.ids = slices.DeleteFunc(c.ids, func(x string) bool { return x == id })
	}
	if responseSchema(resp) == nil {
		return reply{status: status, header: http.Header{}}
	}
	return jsonReply(status, res)
}

func responseSchemaOr(resp *openapi3.Response) *openapi3.Schema {
	if s := responseSchema(resp); s != nil {
		return s
	}
	return &openapi3.Schema{}
}

// pagination is how a list operation pages: from x-accord or the query
// parameters it declares.
type pagination struct {
	style       string // cursor | offset | page | "" (none)
	cursorParam string
	limitParam  string
	items       string // the envelope's array property
	next        string // the envelope's has-more or next-cursor property
}

var (
	cursorNames = []string{"cursor", "starting_after", "after", "page_token", "pageToken", "next_token"}
	offsetNames = []string{"offset", "skip"}
	pageNames   = []string{"page"}
	limitNames  = []string{"limit", "page_size", "pageSize", "per_page", "size", "max_results"}
)

func (o *operation) pagination() pagination {
	var p pagination
	declared := map[string]bool{}
	for _, ps := range []openapi3.Parameters{o.route.PathItem.Parameters, o.op.Parameters} {
		for _, prm := range ps {
			if prm.Value != nil && prm.Value.In == openapi3.ParameterInQuery {
				declared[prm.Value.Name] = true
			}
		}
	}
	pick := func(names []string) string {
		for _, n := range names {
			if declared[n] {
				return n
			}
		}
		return ""
	}
	p.limitParam = pick(limitNames)
	switch {
	case pick(cursorNames) != "":
		p.style, p.cursorParam = "cursor", pick(cursorNames)
	case pick(offsetNames) != "":
		p.style, p.cursorParam = "offset", pick(offsetNames)
	case pick(pageNames) != "":
		p.style, p.cursorParam = "page", pick(pageNames)
	}
	for _, ext := range []map[string]any{o.route.Spec.Extensions, o.op.Extensions} {
		pol, _ := ext["x-accord"].(map[string]any)
		pg, _ := pol["pagination"].(map[string]any)
		for k, v := range pg {
			sv, _ := v.(string)
			switch k {
			case "style":
				p.style = sv
			case "cursorParam":
				p.cursorParam = sv
			case "limitParam":
				p.limitParam = sv
			case "items":
				p.items = sv
			case "next":
				p.next = sv
			}
		}
	}
	return p
}

func (s *Server) list(op *operation, path string, status int, schema *openapi3.Schema, q url.Values) (reply, bool) {
	pg := op.pagination()
	itemsProp := pg.items
	if typeOf(schema) == "object" && itemsProp == "" {
		for _, name := range append([]string{"data", "items", "results"}, sortedKeys(schema.Properties)...) {
			if p := schema.Properties[name]; p != nil && p.Value != nil && typeOf(p.Value) == "array" {
				itemsProp = name
				break
			}
		}
		if itemsProp == "" {
			return reply{}, false
		}
	} else if typeOf(schema) != "array" {
		return reply{}, false
	}

	s.state.mu.Lock()
	c := s.state.coll(path)
	ids := slices.Clone(c.ids)
	all := make([]any, len(ids))
	for i, id := range ids {
		all[i] = c.items[id]
	}
	s.state.mu.Unlock()

	limit := len(all)
	if pg.limitParam != "" {
		limit = 10
		if n, err := strconv.Atoi(q.Get(pg.limitParam)); err == nil && n > 0 {
			limit = n
		}
	}
	from := 0
	switch v := q.Get(pg.cursorParam); pg.style {
	case "cursor":
		if i := slices.Index(ids, v); v != "" && i >= 0 {
			from = i + 1
		}
	case "offset":
		from, _ = strconv.Atoi(v)
	case "page":
		if n, err := strconv.Atoi(v); err == nil && n > 1 {
			from = (n - 1) * limit
		}
	}
	from = min(max(from, 0), len(all))
	to := min(from+limit, len(all))
	page := all[from:to]
	more := to < len(all)
	if typeOf(schema) == "array" {
		return jsonReply(status, page), true
	}
	env, _ := NewGenerator(s.seed, op.id, Response).Value(&openapi3.SchemaRef{Value: schema}).(map[string]any)
	if env == nil {
		env = map[string]any{}
	}
	env[itemsProp] = page
	for name, p := range schema.Properties {
		if p.Value == nil || name == itemsProp {
			continue
		}
		isNext := name == pg.next || slices.Contains([]string{"has_more", "hasMore", "next_cursor", "nextCursor", "next_page_token", "nextPageToken", "next"}, name)
		switch {
		case isNext && typeOf(p.Value) == "boolean":
			env[name] = more
		case isNext && typeOf(p.Value) == "string":
			if more && len(page) > 0 {
				env[name] = ids[to-1]
			} else {
				delete(env, name)
			}
		case slices.Contains([]string{"total", "total_count", "totalCount", "count"}, name) && typeOf(p.Value) == "integer":
			env[name] = len(all)
		}
	}
	return jsonReply(status, env), true
}

func jsonReply(status int, v any) reply {
	body, err := json.Marshal(v)
	if err != nil {
		return problem(http.StatusInternalServerError, "encoding the resource: "+err.Error(), nil)
	}
	return reply{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: body}
}
