// Package ogenbench measures accord's generated server against ogen's
// (v1.24.0) on the same contract (openapi.yaml here): one bearer-protected
// JSON operation with a validated body, path parameter and header, served
// in process (httptest.NewRecorder + ServeHTTP, no network).
//
// It is its own module so that ogen never enters accord's go.mod: nothing
// in accord imports this package. Both servers are generated when the
// benchmark runs (accordapi/ by the freshly built bin/accord, ogenapi/ by
// `go tool ogen`), so the numbers always follow the current generator and
// runtime; neither directory is committed. Run it with scripts/bench-ogen.sh
// (make bench calls it).
package ogenbench
