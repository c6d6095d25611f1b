package generator

import (
	"fmt"
	"net/http"
	"regexp"
)

// wildcardName matches a mux wildcard's name ({id}, {rest...}), not the
// {$} anchor, so two patterns can be compared with the names left out.
var wildcardName = regexp.MustCompile(`\{[^}$.]+(\.\.\.)?\}`)

// routeShape is a mux pattern with its wildcard names blanked: two
// patterns with the same shape match exactly the same requests.
func routeShape(method, route string) string {
	return method + " " + wildcardName.ReplaceAllString(route, "{$1}")
}

// planRoutes decides, before the server is generated, how each path
// operation reaches its handler. http.ServeMux refuses (panics on) a
// pattern that conflicts with one registered before it, so every pattern
// is tried on a throwaway mux in the order the server registers them:
//
//   - paths that differ only in parameter names (Xero's
//     /Contacts/{ContactNumber} and /Contacts/{ContactID}) match the same
//     requests; the first registered serves them all (ServedBy names it),
//     the client still calls both operations;
//   - paths that overlap with neither more specific (/a/{x}/c, /a/b/{y})
//     cannot both be routed by the standard mux, nor can a parameter that
//     is part of a segment (/addresses.{format}); such an operation is left
//     out of the server (Unrouted) instead of a server that panics on start.
//
// The notes say which handler serves what, so the user is never surprised.
func planRoutes(ops []Operation) []string {
	mux := http.NewServeMux()
	first := map[string]int{} // route shape → index of its first operation
	var notes []string
	for i := range ops {
		op := &ops[i]
		if op.GoName == "" {
			continue
		}
		shape := routeShape(op.Method, op.Route())
		if j, ok := first[shape]; ok {
			op.ServedBy = ops[j].GoName
			notes = append(notes, fmt.Sprintf("%s %s (%s) differs from %s only in parameter names: the client calls both; the server routes both through %s, served by %s", op.Method, op.Path, op.ID, ops[j].Path, ops[j].Path, ops[j].GoName))
			continue
		}
		if !tryRoute(mux, op.Method+" "+op.Route()) {
			op.Unrouted = true
			why := "a request can match both it and " + overlapping(ops[:i], op) + ", and neither path is more specific"
			if !tryRoute(http.NewServeMux(), op.Method+" "+op.Route()) {
				// /addresses.{format}: ServeMux wildcards are whole segments.
				why = "a parameter that is only part of a path segment cannot be routed by http.ServeMux"
			}
			notes = append(notes, fmt.Sprintf("%s %s (%s) is not routed by the generated server: %s; the client calls it, a server of your own must serve it", op.Method, op.Path, op.ID, why))
			continue
		}
		first[shape] = i
	}
	return notes
}

// overlapping names the routed operation that op conflicts with.
func overlapping(before []Operation, op *Operation) string {
	for _, o := range before {
		if o.GoName == "" || o.ServedBy != "" || o.Unrouted {
			continue
		}
		mux := http.NewServeMux()
		tryRoute(mux, o.Method+" "+o.Route())
		if !tryRoute(mux, op.Method+" "+op.Route()) {
			return o.Path + " (" + o.ID + ")"
		}
	}
	return "an earlier path"
}

// tryRoute registers pattern on mux and reports whether the mux took it:
// it panics on a pattern that conflicts with one it holds.
func tryRoute(mux *http.ServeMux, pattern string) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	mux.HandleFunc(pattern, func(http.ResponseWriter, *http.Request) {})
	return true
}

// Routed reports whether the server routes any operation (the template
// leaves its handler wrapper unused otherwise).
func (m *Model) Routed() bool {
	for _, op := range m.Operations {
		if op.GoName != "" && op.ServedBy == "" && !op.Unrouted {
			return true
		}
	}
	return false
}
