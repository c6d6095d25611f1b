// Package runtime is accord's resilience runtime: the client engine (retries,
// budgets, idempotency keys, signing, circuit breaker, bulkhead, trace
// propagation) and the server chain (recover, trace id, access log,
// concurrency limit, timeout, signature verification, idempotency).
//
// It is compiled and tested in place and then copied verbatim into every
// generated package, which is why it imports only the standard library, keeps
// no package-level mutable state and prefixes unexported top-level names with
// "rt": anything declared here shares a namespace with types generated from
// users' schemas.
package runtime
