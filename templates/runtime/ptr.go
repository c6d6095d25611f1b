package runtime

// Ptr returns a pointer to a copy of v, for the optional fields of
// parameter structs and request bodies, which oapi-codegen types as
// pointers: params := &ListPaymentsParams{Limit: Ptr(20)} instead of a
// variable per field. Go 1.26's new(20) does the same for callers on it.
func Ptr[T any](v T) *T { return &v }
