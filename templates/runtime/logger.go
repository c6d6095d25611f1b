package runtime

import (
	"context"
	"log/slog"
	"sync/atomic"
)

// WithClientLogger logs the client's calls through l (see LoggerHooks),
// next to any hooks already set.
func WithClientLogger(l *slog.Logger) ClientOption { return AddHooks(LoggerHooks(l)) }

// AddHooks adds h to the client's hooks instead of replacing them (as
// WithHooks does), so a logger, metrics and tracing can all observe calls.
func AddHooks(h Hooks) ClientOption {
	return func(s *ClientSettings) { s.Hooks = MergeHooks(s.Hooks, h) }
}

// MergeHooks returns hooks that call each of hs in order. StartCall hooks
// nest: the first one's context is given to the second, and their ends
// run in reverse, as deferred calls would.
func MergeHooks(hs ...Hooks) Hooks {
	var out Hooks
	for _, h := range hs {
		out.OnAttempt = rtChainHook(out.OnAttempt, h.OnAttempt)
		out.OnCall = rtChainHook(out.OnCall, h.OnCall)
		out.OnRetryDenied = rtChainHook(out.OnRetryDenied, h.OnRetryDenied)
		out.OnBreakerState = rtChainHook(out.OnBreakerState, h.OnBreakerState)
		out.OnDeprecated = rtChainHook(out.OnDeprecated, h.OnDeprecated)
		out.StartCall = rtChainStart(out.StartCall, h.StartCall)
	}
	return out
}

func rtChainHook[T any](a, b func(T)) func(T) {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return func(v T) { a(v); b(v) }
}

func rtChainStart(a, b func(context.Context, Operation) (context.Context, func(CallInfo))) func(context.Context, Operation) (context.Context, func(CallInfo)) {
	if a == nil {
		return b
	}
	if b == nil {
		return a
	}
	return func(ctx context.Context, op Operation) (context.Context, func(CallInfo)) {
		ctx, endA := a(ctx, op)
		ctx, endB := b(ctx, op)
		return ctx, func(ci CallInfo) {
			if endB != nil {
				endB(ci)
			}
			if endA != nil {
				endA(ci)
			}
		}
	}
}

// LoggerHooks log calls through l, in the attributes the server's access
// log uses: one line per call (info, warn when it failed), one per retry
// (debug), when retries stop being made (budget spent or switched off)
// and resume, and breaker changes (warn when a breaker opens). Bodies, headers and credentials are never
// logged; errors are, and carry only what the runtime put in them.
func LoggerHooks(l *slog.Logger) Hooks {
	if l == nil {
		l = slog.Default()
	}
	ctx := context.Background()
	var denying atomic.Bool
	return Hooks{
		OnCall: func(c CallInfo) {
			level := slog.LevelInfo
			if c.Err != nil {
				level = slog.LevelWarn
			}
			if !l.Enabled(ctx, level) {
				return
			}
			attrs := []slog.Attr{
				slog.String("op", c.Operation), slog.String("method", c.Method), slog.Int("status", c.StatusCode),
				slog.Int("attempts", c.Attempts), slog.Duration("duration", c.Duration), slog.String("trace_id", c.TraceID),
			}
			if c.Err != nil {
				attrs = append(attrs, slog.String("error", c.Err.Error()))
			}
			if c.RecordErr != nil {
				attrs = append(attrs, slog.String("record_error", c.RecordErr.Error()))
			}
			l.LogAttrs(ctx, level, "call", attrs...)
		},
		OnAttempt: func(a AttemptInfo) {
			if a.RetryReason == "" {
				return
			}
			if denying.CompareAndSwap(true, false) {
				l.LogAttrs(ctx, slog.LevelInfo, "retries resumed", slog.String("op", a.Operation))
			}
			if !l.Enabled(ctx, slog.LevelDebug) {
				return
			}
			attrs := []slog.Attr{
				slog.String("op", a.Operation), slog.Int("attempt", a.Attempt), slog.Int("status", a.StatusCode),
				slog.Duration("duration", a.Duration), slog.String("reason", a.RetryReason),
			}
			if a.Err != nil {
				attrs = append(attrs, slog.String("error", a.Err.Error()))
			}
			l.LogAttrs(ctx, slog.LevelDebug, "retrying", attrs...)
		},
		// During an outage nearly every call is denied its retry: the log
		// says when that starts and when retries are made again, not each time.
		OnRetryDenied: func(d RetryDeniedInfo) {
			if denying.CompareAndSwap(false, true) {
				l.LogAttrs(ctx, slog.LevelWarn, "retries stopped: calls go once",
					slog.String("op", d.Operation), slog.String("reason", d.Reason))
			}
		},
		OnBreakerState: func(b BreakerStateInfo) {
			level := slog.LevelInfo
			if b.To == BreakerOpen {
				level = slog.LevelWarn
			}
			l.LogAttrs(ctx, level, "circuit breaker",
				slog.String("op", b.Operation), slog.String("from", string(b.From)), slog.String("to", string(b.To)))
		},
		OnDeprecated: func(d DeprecationInfo) {
			l.LogAttrs(ctx, slog.LevelWarn, "calling a deprecated operation",
				slog.String("op", d.Operation), slog.String("deprecation", d.Deprecation), slog.String("sunset", d.Sunset))
		},
	}
}
