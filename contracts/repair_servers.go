package contracts

import (
	"strconv"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
)

// servers drops Server Objects whose url is empty (amentum.space's
// aviation_radiation writes `servers: [{url: ""}]`). An empty url names no
// server; without one the specification's default applies (the document's
// own origin), and a generated client takes its base URL from the caller
// anyway. Path items' and operations' servers are repaired the same way.
func (r *repairer) servers() {
	r.dropEmptyServers(&r.t.Servers, "/servers")
	if r.t.Paths == nil {
		return
	}
	for _, path := range sortedKeys(r.t.Paths.Map()) {
		item := r.t.Paths.Value(path)
		if item == nil {
			continue
		}
		r.dropEmptyServers(&item.Servers, Pointer("paths", path, "servers"))
		for _, m := range sortedKeys(item.Operations()) {
			if op := item.Operations()[m]; op.Servers != nil {
				r.dropEmptyServers(op.Servers, Pointer("paths", path, strings.ToLower(m), "servers"))
			}
		}
	}
}

func (r *repairer) dropEmptyServers(list *openapi3.Servers, at string) {
	kept := (*list)[:0]
	for i, s := range *list {
		if s != nil && strings.TrimSpace(s.URL) == "" {
			r.note(at+Pointer(strconv.Itoa(i)), "repair-empty-server-url", "a server has an empty url, which the specification forbids; left out (the client takes its base URL from the caller)")
			continue
		}
		kept = append(kept, s)
	}
	if len(kept) == 0 {
		kept = nil
	}
	*list = kept
}
