package ogenbench

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// TestSameContract holds both servers to the same answers on the requests
// the benchmark relies on, so that neither is measured skipping work: the
// valid request is served, a missing token is refused before the handler,
// and a body or a path parameter that breaks the contract is refused.
func TestSameContract(t *testing.T) {
	servers := map[string]http.Handler{
		"accord":             newAccord(false, true),
		"accord+idempotency": newAccord(true, true),
		"ogen":               newOgen(t),
	}
	cases := []struct {
		name, path, auth, body string
		want                   int
	}{
		{"valid", benchPath, "Bearer " + benchToken, benchBody, http.StatusCreated},
		{"no token", benchPath, "", benchBody, http.StatusUnauthorized},
		{"wrong token", benchPath, "Bearer nope", benchBody, http.StatusUnauthorized},
		{"body breaks the contract", benchPath, "Bearer " + benchToken,
			`{"amount_minor":-5,"currency":"euro","items":[],"shipping":{"line1":"x","city":"y","country":"FR"}}`, http.StatusBadRequest},
		{"nested item breaks the contract", benchPath, "Bearer " + benchToken,
			strings.Replace(benchBody, `"quantity":2`, `"quantity":0`, 1), http.StatusBadRequest},
		{"path parameter breaks its pattern", "/customers/CUS-1/orders", "Bearer " + benchToken, benchBody, http.StatusBadRequest},
	}
	for name, h := range servers {
		for _, c := range cases {
			r := httptest.NewRequest(http.MethodPost, "http://api.orders.example.com"+c.path, strings.NewReader(c.body))
			r.Header.Set("Content-Type", "application/json")
			if c.auth != "" {
				r.Header.Set("Authorization", c.auth)
			}
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code != c.want {
				t.Errorf("%s, %s: status %d, want %d: %s", name, c.name, w.Code, c.want, w.Body)
			}
		}
	}
}
