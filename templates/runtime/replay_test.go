package runtime

import (
	"context"
	"errors"
	"fmt"
	goruntime "runtime"
	"strings"
	"testing"
	"time"
)

func TestMemoryReplayCacheFailsClosed(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock()
	c := NewMemoryReplayCache(3)
	c.now = clk.Now
	for i, id := range []string{"a", "b", "c"} {
		if seen, err := c.Seen(ctx, id, clk.Now().Add(time.Duration(i+1)*time.Minute)); seen || err != nil {
			t.Fatalf("%s on first use: %v %v", id, seen, err)
		}
	}
	if seen, _ := c.Seen(ctx, "a", clk.Now().Add(time.Minute)); !seen {
		t.Fatal("a not remembered")
	}
	// Full of live ids: a new one is refused and every live one is kept,
	// however many arrive (a flood must not push a captured message out).
	for i := 0; i < 1000; i++ {
		seen, err := c.Seen(ctx, fmt.Sprint("flood-", i), clk.Now().Add(time.Minute))
		var full *StoreFullError
		if seen || !errors.Is(err, ErrStoreFull) || !errors.As(err, &full) || full.Store != "replay" || full.RetryAfter != time.Minute {
			t.Fatalf("flood %d: %v %v", i, seen, err)
		}
	}
	for _, id := range []string{"a", "b", "c"} {
		if seen, err := c.Seen(ctx, id, clk.Now().Add(time.Minute)); !seen || err != nil {
			t.Fatalf("%s forgotten under a flood: %v %v", id, seen, err)
		}
	}
	// a expires: its room is reclaimed and a is accepted again, once,
	// because its message can no longer pass the freshness check anyway.
	clk.Advance(time.Minute)
	if seen, err := c.Seen(ctx, "d", clk.Now().Add(time.Minute)); seen || err != nil {
		t.Fatalf("d after a expired: %v %v", seen, err)
	}
	if n, _ := c.Usage(); n != 3 {
		t.Fatalf("%d entries", n)
	}
	clk.Advance(2 * time.Minute) // b and c expire
	if seen, err := c.Seen(ctx, "a", clk.Now().Add(time.Minute)); seen || err != nil {
		t.Fatalf("expired a: %v %v", seen, err)
	}
	if seen, _ := c.Seen(ctx, "a", clk.Now().Add(time.Minute)); !seen {
		t.Fatal("a accepted twice after expiry")
	}
}

func TestMemoryReplayCacheBoundedByBytes(t *testing.T) {
	ctx := context.Background()
	clk := newTestClock()
	c := NewMemoryReplayCacheLimits(MemoryLimits{Entries: 1 << 20, Bytes: 4 << 10})
	c.now = clk.Now
	n := 0
	for ; n < 1000; n++ {
		seen, err := c.Seen(ctx, fmt.Sprintf("scheme|a|%064d", n), clk.Now().Add(time.Minute))
		if errors.Is(err, ErrStoreFull) {
			break
		}
		if seen || err != nil {
			t.Fatalf("%d: %v %v", n, seen, err)
		}
	}
	if _, used := c.Usage(); n < 10 || n > 25 || used > 4<<10 {
		t.Fatalf("%d ids admitted in %d bytes", n, used)
	}
	// A huge nonce costs no more than a hash of it.
	clk.Advance(time.Minute)
	if seen, err := c.Seen(ctx, strings.Repeat("n", 1<<20), clk.Now().Add(time.Minute)); seen || err != nil {
		t.Fatalf("long id: %v %v", seen, err)
	}
	if _, used := c.Usage(); used > 400 {
		t.Fatalf("a long id accounted %d bytes", used)
	}
}

// TestMemoryReplayCacheBytesPerID compares the heap an id costs with what
// the cache accounts for it.
func TestMemoryReplayCacheBytesPerID(t *testing.T) {
	if testing.Short() {
		t.Skip("allocates ~10 MB")
	}
	const n = 50000
	ctx := context.Background()
	c := NewMemoryReplayCacheLimits(MemoryLimits{Entries: n, Bytes: 1 << 30})
	until := time.Now().Add(time.Hour)
	var before, after goruntime.MemStats
	goruntime.GC()
	goruntime.ReadMemStats(&before)
	for i := 0; i < n; i++ {
		if _, err := c.Seen(ctx, fmt.Sprintf("partner-hmac|a|%032x", i), until); err != nil {
			t.Fatal(err)
		}
	}
	goruntime.GC()
	goruntime.ReadMemStats(&after)
	heapPer := float64(after.HeapAlloc-before.HeapAlloc) / n
	_, used := c.Usage()
	t.Logf("heap %.0f bytes/id, accounted %.0f bytes/id (%d ids)", heapPer, float64(used)/n, n)
	if float64(used)/n < 0.85*heapPer {
		t.Fatalf("the byte limit undercounts: %.0f of %.0f", float64(used)/n, heapPer)
	}
	goruntime.KeepAlive(c)
}
