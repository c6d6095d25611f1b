package runtime

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// runConsume starts Consume in the background and returns a stop func that
// waits for it to return.
func runConsume(t *testing.T, tr EventTransport, group string, topics []string, h EventHandler) (stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- tr.Consume(ctx, group, topics, h) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				if err != nil {
					t.Errorf("consume: %v", err)
				}
			case <-time.After(10 * time.Second):
				t.Error("consume did not stop")
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

// waitFor polls cond for up to d.
func evWait(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func msgs(topic string, keys, perKey int) []EventMessage {
	var out []EventMessage
	for i := range perKey {
		for k := range keys {
			out = append(out, EventMessage{ID: fmt.Sprintf("k%d-%d", k, i), Topic: topic, Key: "k" + strconv.Itoa(k), Payload: []byte(strconv.Itoa(i))})
		}
	}
	return out
}

func TestMemoryTransportOrderPerKeyAndParallel(t *testing.T) {
	tr := NewMemoryTransport(MemoryTransportOptions{Partitions: 4})
	ctx := context.Background()
	if err := tr.Publish(ctx, msgs("orders", 8, 100)); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	last := map[string]int{}
	var total, inFlight, maxInFlight atomic.Int32
	runConsume(t, tr, "g", []string{"orders"}, func(ctx context.Context, d *EventDelivery) error {
		n := inFlight.Add(1)
		defer inFlight.Add(-1)
		for cur := maxInFlight.Load(); n > cur && !maxInFlight.CompareAndSwap(cur, n); cur = maxInFlight.Load() {
		}
		time.Sleep(50 * time.Microsecond)
		i, _ := strconv.Atoi(string(d.Payload))
		mu.Lock()
		defer mu.Unlock()
		if prev, ok := last[d.Key]; ok && i != prev+1 {
			t.Errorf("key %s: %d after %d", d.Key, i, prev)
		} else if !ok && i != 0 {
			t.Errorf("key %s starts at %d", d.Key, i)
		}
		last[d.Key] = i
		total.Add(1)
		return nil
	})
	evWait(t, 10*time.Second, "800 deliveries", func() bool { return total.Load() == 800 })
	if maxInFlight.Load() < 2 {
		t.Errorf("partitions never ran in parallel (max in flight %d)", maxInFlight.Load())
	}
}

func TestMemoryTransportRedeliversInPlace(t *testing.T) {
	tr := NewMemoryTransport(MemoryTransportOptions{Partitions: 1})
	ctx := context.Background()
	if err := tr.Publish(ctx, []EventMessage{{ID: "a", Topic: "t", Key: "k"}, {ID: "b", Topic: "t", Key: "k"}}); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var seen []string
	runConsume(t, tr, "g", []string{"t"}, func(ctx context.Context, d *EventDelivery) error {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, d.ID+strconv.Itoa(d.Attempt))
		if d.ID == "a" && d.Attempt < 3 {
			return &EventNak{Delay: time.Millisecond, Err: errors.New("not yet")}
		}
		return nil
	})
	evWait(t, 5*time.Second, "b delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		return len(seen) == 4
	})
	if got := strings.Join(seen, ","); got != "a1,a2,a3,b1" {
		t.Fatalf("deliveries %s, want a1,a2,a3,b1 (b held back behind a)", got)
	}
}

func TestMemoryTransportBoundedAndTakeover(t *testing.T) {
	tr := NewMemoryTransport(MemoryTransportOptions{Partitions: 1, Capacity: 3})
	ctx := context.Background()
	if err := tr.Publish(ctx, msgs("t", 1, 3)); err != nil {
		t.Fatal(err)
	}
	if err := tr.Publish(ctx, msgs("t", 1, 1)); !errors.Is(err, ErrEventBufferFull) {
		t.Fatalf("4th message into capacity 3: %v, want ErrEventBufferFull", err)
	}
	// The first consumer stops inside the handler of k0-1, before its
	// commit; the second of the same group takes over and gets it again.
	var got1 []string
	block := make(chan struct{})
	stop1 := runConsume(t, tr, "g", []string{"t"}, func(ctx context.Context, d *EventDelivery) error {
		got1 = append(got1, d.ID)
		if d.ID == "k0-1" {
			close(block)
			<-ctx.Done()
		}
		return nil
	})
	<-block
	stop1()
	var got2 []string
	var n atomic.Int32
	runConsume(t, tr, "g", []string{"t"}, func(ctx context.Context, d *EventDelivery) error {
		got2 = append(got2, d.ID)
		n.Add(1)
		return nil
	})
	evWait(t, 5*time.Second, "takeover", func() bool { return n.Load() == 2 })
	if strings.Join(got1, ",") != "k0-0,k0-1" || strings.Join(got2, ",") != "k0-1,k0-2" {
		t.Fatalf("first consumer %v, second %v", got1, got2)
	}
	// Consumed messages free their room.
	if err := tr.Publish(ctx, msgs("t", 1, 3)); err != nil {
		t.Fatalf("after consumption: %v", err)
	}
}
