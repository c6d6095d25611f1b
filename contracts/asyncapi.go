package contracts

import "context"

// loadAsyncAPI parses an AsyncAPI 2.6 or 3.0 document into the one model.
func loadAsyncAPI(ctx context.Context, src *sourceFile, org origin, opts LoadOptions) (*AsyncAPI, []*sourceFile, error) {
	return nil, nil, fail(ClassUnsupported, Position{File: src.name}, "unsupported-version", "AsyncAPI loading is not implemented yet", "", nil)
}

// validateAsyncAPI checks AsyncAPI semantics the parser does not enforce.
func validateAsyncAPI(d *Document) []Problem { return nil }
