package contracts

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// FuzzLoadAsyncAPI is FuzzLoad narrowed to AsyncAPI documents, seeded with
// the AsyncAPI fixtures and the corpus (when present), so fuzzing time goes
// to the AsyncAPI parser rather than to mutations that turn into OpenAPI.
func FuzzLoadAsyncAPI(f *testing.F) {
	var seeds []string
	for _, pattern := range []string{
		"../testdata/contracts/valid/asyncapi-*", "../testdata/contracts/invalid/asyncapi-*",
		"../testdata/contracts/*/parts/asyncapi-*", "../examples/events/asyncapi.yaml",
		asyncCorpusDir + "/*/*.yml", asyncCorpusDir + "/*/social-media/*/*.yaml",
	} {
		files, _ := filepath.Glob(pattern)
		seeds = append(seeds, files...)
	}
	for _, file := range seeds {
		if data, err := os.ReadFile(file); err == nil {
			f.Add(data)
		}
	}
	f.Add([]byte("asyncapi: 2.6.0\ninfo: {title: t, version: '1'}\nchannels:\n  a/{b}:\n    subscribe:\n      message: {oneOf: [{$ref: '#/components/messages/M'}]}\ncomponents:\n  messages:\n    M: {traits: [{headers: {type: object}}], payload: {type: string}}\n"))
	dir := f.TempDir()
	// Relative $refs resolve inside this folder; give them something to find.
	_ = os.WriteFile(filepath.Join(dir, "common.yaml"), []byte("M:\n  payload: {$ref: '#/S'}\nS:\n  type: object\n  properties:\n    self: {$ref: '#/S'}\n"), 0o644)
	f.Fuzz(func(t *testing.T, data []byte) {
		if kind, _, err := detect(&sourceFile{name: "fuzz.yaml", data: data}); err != nil || kind != KindAsyncAPI {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		doc, err := LoadBytes(ctx, "fuzz.yaml", data, LoadOptions{Dir: dir})
		if err != nil {
			var ce *Error
			if !errors.As(err, &ce) || len(ce.Problems) == 0 {
				t.Fatalf("load error is not a positioned *Error: %v", err)
			}
			for _, p := range ce.Problems {
				if p.Pos.File == "" || p.Message == "" || p.Code == "" {
					t.Fatalf("problem without file, message or code: %+v", p)
				}
			}
			return
		}
		for _, p := range Validate(ctx, doc) {
			if p.Pos.File == "" || p.Message == "" {
				t.Fatalf("problem without file or message: %+v", p)
			}
		}
		_, _ = doc.Policies()
	})
}
