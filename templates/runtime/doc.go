// Package runtime is accord's resilience runtime: the client engine (retries,
// budgets, idempotency keys, signing, circuit breaker, bulkhead, trace
// propagation) and the server chain (recover, trace id, access log,
// concurrency limit, timeout, signature verification, idempotency).
//
// It is compiled and tested in place, then written once into the user's
// module as package accordrt, which every generated integration package
// imports and re-exports. It imports only the standard library outside its
// adapter files (<name>_<adapter>.go) and keeps no package-level mutable
// state. Declarations marked //accord:generated-only serve generated code
// (the validators) and are not re-exported.
package runtime
