package contracts

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAsyncAPIRemoteRefsWhenAllowed(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/schemas/user.yaml", func(w http.ResponseWriter, r *http.Request) {
		// A relative $ref inside a remote document resolves against its URL.
		_, _ = w.Write([]byte("User:\n  type: object\n  properties:\n    id: {$ref: 'ids.yaml#/Id'}\n"))
	})
	mux.HandleFunc("/schemas/ids.yaml", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte("Id: {type: string, format: uuid}\n"))
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	src := "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\nchannels:\n  users:\n    address: users\n    messages:\n" +
		"      created: {payload: {$ref: '" + srv.URL + "/schemas/user.yaml#/User'}}\n" +
		"      missing: {payload: {$ref: '" + srv.URL + "/schemas/nope.yaml#/X'}}\n"
	_, err := LoadBytes(context.Background(), "t.yaml", []byte(src), LoadOptions{Dir: t.TempDir(), AllowRemoteRefs: true})
	var ce *Error
	if !errors.As(err, &ce) || ce.Problems[0].Code != "dangling-ref" || ce.Problems[0].Pos.Line != 8 {
		t.Fatalf("a remote 404 must be a dangling ref at its $ref: %v", err)
	}
	src = strings.Replace(src, "      missing: {payload: {$ref: '"+srv.URL+"/schemas/nope.yaml#/X'}}\n", "", 1)
	doc, err := LoadBytes(context.Background(), "t.yaml", []byte(src), LoadOptions{Dir: t.TempDir(), AllowRemoteRefs: true})
	if err != nil {
		t.Fatal(err)
	}
	id := doc.AsyncAPI.Channels[0].Messages[0].Payload.Value.Properties["id"]
	if id.Ref != "ids.yaml#/Id" || id.Value == nil || id.Value.Format != "uuid" {
		t.Fatalf("relative ref in a remote document: %q %+v", id.Ref, id.Value)
	}
	if _, err := LoadBytes(context.Background(), "t.yaml", []byte(src), LoadOptions{Dir: t.TempDir()}); err == nil {
		t.Fatal("remote ref loaded without AllowRemoteRefs")
	}
}

func TestAsyncAPIRefsFromGitRevision(t *testing.T) {
	repo := newTestRepo(t)
	dir, write := repo.dir, repo.write
	write("events/asyncapi.yaml", "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\nchannels:\n  users:\n    address: users\n    messages:\n      created: {$ref: '../common/messages.yaml#/UserCreated'}\n")
	write("common/messages.yaml", "UserCreated:\n  payload: {type: string}\n")
	repo.commit("v1")
	write("common/messages.yaml", "UserCreated:\n  payload: {type: integer}\n")

	doc, err := Load(context.Background(), "HEAD:events/asyncapi.yaml", LoadOptions{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	m := doc.AsyncAPI.Channels[0].Messages[0]
	if !m.Payload.Value.Type.Is("string") {
		t.Errorf("$ref read from the working tree, not the revision: %v", m.Payload.Value.Type)
	}
	if m.Pos.File != "HEAD:common/messages.yaml" || m.Pos.Line != 1 {
		t.Errorf("message position = %v", m.Pos)
	}
	write("events/broken.yaml", "asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\nchannels:\n  users:\n    address: users\n    messages:\n      created: {$ref: '../common/nope.yaml#/X'}\n")
	repo.commit("v2")
	_, err = Load(context.Background(), "HEAD:events/broken.yaml", LoadOptions{Dir: dir})
	var ce *Error
	if !errors.As(err, &ce) || ce.Problems[0].Code != "dangling-ref" || ce.Problems[0].Pos.Line != 7 {
		t.Fatalf("missing file at a revision: %v", err)
	}
}
