package runtime

import (
	"bytes"
	"errors"
	"io"
	"log/slog"
	"net/http"
)

// rtMaxBody bounds request bodies the chain must read itself (to verify a
// signature or fingerprint an idempotent request).
const rtMaxBody = 10 << 20

// rtReadBody reads the request body once per request, bounded, and puts it
// back so later steps and the handler see it unchanged. It writes the
// problem itself and returns ok=false when the body is unusable.
func rtReadBody(w http.ResponseWriter, r *http.Request, st *rtServerRequest) ([]byte, bool) {
	if st != nil && st.bodyRead {
		r.Body = io.NopCloser(bytes.NewReader(st.body))
		return st.body, true
	}
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, rtMaxBody))
		if err != nil {
			var tooBig *http.MaxBytesError
			if errors.As(err, &tooBig) {
				WriteProblem(w, r, ProblemDetails{Status: http.StatusRequestEntityTooLarge, Detail: "request body exceeds 10 MiB"})
			} else {
				WriteProblem(w, r, ProblemDetails{Status: http.StatusBadRequest, Detail: "request body could not be read"})
			}
			return nil, false
		}
		body = b
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	if st != nil {
		st.body, st.bodyRead = body, true
	}
	return body, true
}

type rtSignatureStep struct {
	next       http.Handler
	verifier   Verifier
	configured bool
	scheme     string
	log        *slog.Logger
	op         string
}

func (s *rtSignatureStep) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.configured {
		WriteProblem(w, r, ProblemDetails{Status: http.StatusInternalServerError, Detail: "signature verification is not configured for this operation"})
		return
	}
	body, ok := rtReadBody(w, r, rtRequestState(r))
	if !ok {
		return
	}
	res, err := s.verifier.Verify(r.Context(), r, body)
	switch {
	case err == nil:
		if st := rtRequestState(r); st != nil {
			st.keyID = res.KeyID
		}
		s.next.ServeHTTP(w, r)
	case errors.Is(err, ErrSignatureMissing), errors.Is(err, ErrSignatureInvalid),
		errors.Is(err, ErrSignatureStale), errors.Is(err, ErrSignatureReplayed):
		WriteProblem(w, r, ProblemDetails{Status: http.StatusUnauthorized, Title: "Invalid signature", Detail: err.Error()})
	case errors.Is(err, ErrKeyTooShort):
		// A key that short would make signatures forgeable: refuse every
		// request until the configuration is fixed, and say so in the log
		// (the client only learns that the server is misconfigured).
		s.log.LogAttrs(r.Context(), slog.LevelError, "signature verification misconfigured",
			slog.String("op", s.op), slog.String("scheme", s.scheme), slog.String("trace_id", TraceIDFromContext(r.Context())), slog.String("error", err.Error()))
		WriteProblem(w, r, ProblemDetails{Status: http.StatusInternalServerError, Detail: "signature verification is misconfigured"})
	default:
		// Keys or replay cache unavailable: the request may be fine, so
		// tell the sender to try again rather than that it is forged.
		s.log.LogAttrs(r.Context(), slog.LevelError, "signature verification unavailable",
			slog.String("op", s.op), slog.String("scheme", s.scheme), slog.String("trace_id", TraceIDFromContext(r.Context())), slog.String("error", err.Error()))
		w.Header().Set("Retry-After", "1")
		WriteProblem(w, r, ProblemDetails{Status: http.StatusServiceUnavailable, Detail: "signature verification is temporarily unavailable"})
	}
}
