package contracts

import "testing"

func TestLocatorYAMLAndJSONAgree(t *testing.T) {
	yamlDoc := []byte("openapi: 3.1.0\npaths:\n  /a~b/{id}:\n    get:\n      tags: [x, y]\n  \"/é\":\n    post: {}\n")
	jsonDoc := []byte("{\"openapi\": \"3.1.0\",\n \"paths\": {\n  \"/a~b/{id}\": {\n   \"get\": {\"tags\": [\"x\", \"y\"]}},\n  \"/\\u00e9\": {\"post\": {}}}}\n")
	cases := []struct {
		pointer        string
		yaml, jsonWant Position
	}{
		{"/paths", Position{Line: 2, Col: 1}, Position{Line: 2, Col: 2}},
		{Pointer("paths", "/a~b/{id}", "get"), Position{Line: 4, Col: 5}, Position{Line: 4, Col: 4}},
		{Pointer("paths", "/a~b/{id}", "get", "tags") + "/1", Position{Line: 5, Col: 17}, Position{Line: 4, Col: 26}},
		{Pointer("paths", "/é", "post"), Position{Line: 7, Col: 5}, Position{Line: 5, Col: 15}},
		// A missing element falls back to its nearest ancestor.
		{Pointer("paths", "/a~b/{id}", "delete"), Position{Line: 3, Col: 3}, Position{Line: 3, Col: 3}},
	}
	y, j := newLocator("a.yaml", yamlDoc), newLocator("a.json", jsonDoc)
	for _, c := range cases {
		if got := y.Pos(c.pointer); got.Line != c.yaml.Line || got.Col != c.yaml.Col {
			t.Errorf("yaml %s = %d:%d, want %d:%d", c.pointer, got.Line, got.Col, c.yaml.Line, c.yaml.Col)
		}
		if got := j.Pos(c.pointer); got.Line != c.jsonWant.Line || got.Col != c.jsonWant.Col {
			t.Errorf("json %s = %d:%d, want %d:%d", c.pointer, got.Line, got.Col, c.jsonWant.Line, c.jsonWant.Col)
		}
	}
	if !y.Has("/openapi") || y.Has("/nope") {
		t.Error("Has disagrees with the document")
	}
}

func TestPointerEscaping(t *testing.T) {
	if got := Pointer("paths", "/a~b/{id}"); got != "/paths/~1a~0b~1{id}" {
		t.Fatalf("Pointer = %s", got)
	}
	if got := unescapePointerToken("~1a~0b"); got != "/a~b" {
		t.Fatalf("unescape = %s", got)
	}
}

func TestLocatorSurvivesGarbage(t *testing.T) {
	for _, data := range []string{"", "{", "[[[[", "{\"a\":", "a: [", "\x00\xff", `{"a":"\"}`} {
		l := newLocator("g", []byte(data))
		_ = l.Pos("/a/b")
	}
}
