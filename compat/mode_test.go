package compat

import (
	"fmt"
	"testing"
)

func TestParseModeAndSteps(t *testing.T) {
	for _, tt := range []struct {
		in               string
		back, fwd, trans bool
		steps            string // for a series of 4
	}{
		{"BACKWARD", true, false, false, "[[0 1] [1 2] [2 3]]"},
		{"forward", false, true, false, "[[0 1] [1 2] [2 3]]"},
		{"FULL", true, true, false, "[[0 1] [1 2] [2 3]]"},
		{"FULL_TRANSITIVE", true, true, true, "[[0 1] [0 2] [1 2] [0 3] [1 3] [2 3]]"},
		{" backward_transitive ", true, false, true, "[[0 1] [0 2] [1 2] [0 3] [1 3] [2 3]]"},
	} {
		m, err := ParseMode(tt.in)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if m.Backward != tt.back || m.Forward != tt.fwd || m.Transitive != tt.trans {
			t.Errorf("%q = %+v", tt.in, m)
		}
		if got := fmt.Sprint(m.Steps(4)); got != tt.steps {
			t.Errorf("%q steps = %s, want %s", tt.in, got, tt.steps)
		}
	}
	for _, bad := range []string{"", "NONE", "TRANSITIVE", "FULL_TRANSITIVE_TRANSITIVE"} {
		if _, err := ParseMode(bad); err == nil {
			t.Errorf("ParseMode(%q) accepted it", bad)
		}
	}
}

// TestMessageDirOverridesAction: the case folder's sent message loses a
// property (a response-side break) and its received message gains a
// required one (a request-side break). Judged all as requests, only the
// request break remains, and the other way round.
func TestMessageDirOverridesAction(t *testing.T) {
	dir := casesDir + "/case-asyncapi-26-directions"
	base, head := loadSide(t, dir, "base"), loadSide(t, dir, "head")
	rulesOf := func(d Direction) map[string]bool {
		res, err := Compare(base, head, Options{MessageDir: d})
		if err != nil {
			t.Fatal(err)
		}
		out := map[string]bool{}
		for _, f := range res.Findings {
			out[f.Rule] = true
		}
		return out
	}
	byAction := rulesOf("")
	if !byAction["request-property-required-added"] || !byAction["response-property-removed"] {
		t.Fatalf("by action: %v", byAction)
	}
	if got := rulesOf(DirRequest); !got["request-property-required-added"] || got["response-property-removed"] {
		t.Errorf("all as requests (BACKWARD): %v", got)
	}
	if got := rulesOf(DirResponse); got["request-property-required-added"] || !got["response-property-removed"] {
		t.Errorf("all as responses (FORWARD): %v", got)
	}
}
