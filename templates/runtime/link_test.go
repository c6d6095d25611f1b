package runtime

import (
	"net/http"
	"net/url"
	"testing"
)

func TestNextLink(t *testing.T) {
	base, _ := url.Parse("https://api.example.com/v1/items?page=1")
	for _, c := range []struct {
		link string
		want string // "" = none
		bad  bool
	}{
		{`<https://api.example.com/v1/items?page=2>; rel="next", <https://api.example.com/v1/items?page=9>; rel="last"`, "https://api.example.com/v1/items?page=2", false},
		{`</v1/items?page=3&q=a,b>; rel="prev next"`, "https://api.example.com/v1/items?page=3&q=a,b", false},
		{`<?page=4>; title="a, b"; rel=next`, "https://api.example.com/v1/items?page=4", false},
		{`<https://api.example.com/v1/items?page=1>; rel="prev"`, "", false},
		{`<https://evil.example/steal>; rel="next"`, "", true},
		{`<http://api.example.com/v1/items?page=2>; rel="next"`, "", true}, // a downgrade to http
		{`garbage`, "", false},
	} {
		h := http.Header{"Link": {c.link}}
		u, err := NextLink(h, base)
		got := ""
		if u != nil {
			got = u.String()
		}
		if got != c.want || (err != nil) != c.bad {
			t.Errorf("Link %q: next %q (%v), want %q (error %v)", c.link, got, err, c.want, c.bad)
		}
	}
}
