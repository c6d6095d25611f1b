package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// The demo is part of the documentation: it must keep telling the truth.
func TestDemoNarrative(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	var out bytes.Buffer
	if err := run(ctx, &out, ""); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	for _, want := range []string{
		"→ 503 Retry-After: 1", "after 3 attempts", "one key for all of them; the handler ran 1 time",
		"→ 201 Idempotent-Replayed: true", "the handler still ran 1 time",
		"the handler not called; switched on again", "verified and decoded by the receiver", "refused: 401", "done",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("the demo no longer says %q:\n%s", want, out.String())
		}
	}
}
