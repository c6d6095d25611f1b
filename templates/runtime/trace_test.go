package runtime

import (
	"context"
	"regexp"
	"testing"
)

func TestParseTraceparent(t *testing.T) {
	const tid = "4bf92f3577b34da6a3ce929d0e0e4736"
	cases := map[string]string{
		"00-" + tid + "-00f067aa0ba902b7-01":                      tid,
		"00-" + tid + "-00f067aa0ba902b7-00":                      tid,
		"01-" + tid + "-00f067aa0ba902b7-01-future":               tid,
		"00-" + tid + "-00f067aa0ba902b7-01-extra":                "",
		"ff-" + tid + "-00f067aa0ba902b7-01":                      "",
		"00-00000000000000000000000000000000-00f067aa0ba902b7-01": "",
		"00-" + tid + "-0000000000000000-01":                      "",
		"00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01": "",
		"garbage": "",
		"":        "",
	}
	for in, want := range cases {
		if got := rtParseTraceparent(in); got != want {
			t.Errorf("rtParseTraceparent(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestTraceparentFormat(t *testing.T) {
	id := rtNewTraceID()
	if !rtValidTraceID(id) {
		t.Fatalf("generated trace id %q invalid", id)
	}
	tp := rtTraceparent(id)
	if rtParseTraceparent(tp) != id {
		t.Fatalf("traceparent %q does not round-trip", tp)
	}
	if ok, _ := regexp.MatchString(`^00-[0-9a-f]{32}-[0-9a-f]{16}-01$`, tp); !ok {
		t.Fatalf("traceparent %q malformed", tp)
	}
	if rtTraceparent(id)[36:52] == tp[36:52] {
		t.Fatal("span id repeated")
	}
}

func TestUUIDv4(t *testing.T) {
	re := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	seen := map[string]bool{}
	for i := 0; i < 1000; i++ {
		u := rtNewUUID()
		if !re.MatchString(u) {
			t.Fatalf("%q is not a UUID v4", u)
		}
		if seen[u] {
			t.Fatalf("duplicate %q", u)
		}
		seen[u] = true
	}
}

func TestTraceContext(t *testing.T) {
	ctx := context.Background()
	if TraceIDFromContext(ctx) != "" || IdempotencyKeyFromContext(ctx) != "" {
		t.Fatal("empty context has values")
	}
	ctx = ContextWithTraceID(ctx, "abc")
	if TraceIDFromContext(ctx) != "abc" {
		t.Fatal("trace id lost")
	}
}
