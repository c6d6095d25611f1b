package mock

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"reflect"
	"testing"
	"time"
)

func TestParseFault(t *testing.T) {
	cases := []struct {
		in   string
		want Fault
		err  bool
	}{
		{in: "createPayment:status=503,rate=0.5", want: Fault{Operation: "createPayment", Status: 503, Rate: 0.5}},
		{in: "*:latency=200ms", want: Fault{Operation: "*", LatencyMin: 200 * time.Millisecond, LatencyMax: 200 * time.Millisecond}},
		{in: "*:latency=50ms..300ms", want: Fault{Operation: "*", LatencyMin: 50 * time.Millisecond, LatencyMax: 300 * time.Millisecond}},
		{in: "getItem:p50=10ms,p99=80ms", want: Fault{Operation: "getItem", P50: 10 * time.Millisecond, P99: 80 * time.Millisecond}},
		{in: "x:status=429,retry-after=3,times=2", want: Fault{Operation: "x", Status: 429, RetryAfter: "3", Times: 2}},
		{in: "x:reset", want: Fault{Operation: "x", Reset: true}},
		{in: "x:hang,rate=0.1", want: Fault{Operation: "x", Hang: true, Rate: 0.1}},
		{in: "nocolon", err: true},
		{in: "x:status=abc", err: true},
		{in: "x:rate=2,status=500", err: true},
		{in: "x:latency=300ms..50ms", err: true},
		{in: "x:p50=10ms", err: true},
		{in: "x:rate=0.5", err: true}, // no effect
		{in: "x:colour=red", err: true},
	}
	for _, c := range cases {
		got, err := ParseFault(c.in)
		if (err != nil) != c.err {
			t.Errorf("%q: err %v", c.in, err)
			continue
		}
		if !c.err && !reflect.DeepEqual(got, c.want) {
			t.Errorf("%q: %+v, want %+v", c.in, got, c.want)
		}
	}
}

func TestParseFaultFile(t *testing.T) {
	got, err := ParseFaultFile([]byte(`faults:
  - operation: createPayment
    status: 503
    rate: 0.5
  - operation: "*"
    latency: 50ms..300ms
  - operation: getPayment
    p50: 20ms
    p99: 200ms
  - operation: getEvent
    hang: true
    times: 1
`))
	if err != nil {
		t.Fatal(err)
	}
	want := []Fault{
		{Operation: "createPayment", Status: 503, Rate: 0.5},
		{Operation: "*", LatencyMin: 50 * time.Millisecond, LatencyMax: 300 * time.Millisecond},
		{Operation: "getPayment", P50: 20 * time.Millisecond, P99: 200 * time.Millisecond},
		{Operation: "getEvent", Hang: true, Times: 1},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%+v", got)
	}
	if _, err := ParseFaultFile([]byte("faults:\n  - operation: x\n    statsu: 503\n")); err == nil {
		t.Fatal("a misspelt key was accepted")
	}
}

// The same seed and request sequence inject the same faults; the rate is
// roughly honoured; another seed draws differently.
func TestFaultsReproducible(t *testing.T) {
	pattern := func(seed uint64) string {
		fs := newFaultSet([]Fault{{Operation: "op", Status: 503, Rate: 0.3}}, seed)
		b := make([]byte, 400)
		for i := range b {
			b[i] = '.'
			if fs.decide("op", "GET", "/x").status == 503 {
				b[i] = 'x'
			}
		}
		return string(b)
	}
	a, b, c := pattern(42), pattern(42), pattern(43)
	if a != b {
		t.Fatal("same seed, different faults")
	}
	if a == c {
		t.Fatal("seeds 42 and 43 injected the same faults")
	}
	n := 0
	for _, ch := range a {
		if ch == 'x' {
			n++
		}
	}
	if n < 80 || n > 160 {
		t.Fatalf("rate 0.3 gave %d of 400", n)
	}
}

func TestLatencyDistribution(t *testing.T) {
	fs := newFaultSet([]Fault{{Operation: "*", P50: 20 * time.Millisecond, P99: 200 * time.Millisecond}}, 1)
	var below50, above200 int
	for range 2000 {
		d := fs.decide("any", "GET", "/").latency
		if d <= 20*time.Millisecond {
			below50++
		}
		if d > 200*time.Millisecond {
			above200++
		}
	}
	if below50 < 900 || below50 > 1100 || above200 > 50 {
		t.Fatalf("p50 share %d/2000, beyond p99 %d/2000", below50, above200)
	}
	fs = newFaultSet([]Fault{{Operation: "*", LatencyMin: 10 * time.Millisecond, LatencyMax: 30 * time.Millisecond}}, 1)
	for range 200 {
		if d := fs.decide("any", "GET", "/").latency; d < 10*time.Millisecond || d > 30*time.Millisecond {
			t.Fatalf("uniform latency %s outside 10ms..30ms", d)
		}
	}
}

// Over the wire: an injected status comes with Retry-After, times limits a
// fault, latency delays, reset drops the connection, hang holds until the
// client gives up; the log names each fault.
func TestFaultsOverTheWire(t *testing.T) {
	m, srv := start(t, Options{Faults: []Fault{
		{Operation: "listItems", Status: 429, Times: 2},
		{Operation: "getFile", LatencyMin: 150 * time.Millisecond, LatencyMax: 150 * time.Millisecond},
		{Operation: "listTags", Reset: true},
		{Operation: "GET /items/{item_id}", Hang: true},
	}}, shop)
	for i := range 3 {
		a := do(t, "GET", srv.URL+"/items", "")
		want := 429
		if i == 2 {
			want = 200
		}
		if a.status != want || (want == 429 && a.header.Get("Retry-After") != "1") {
			t.Fatalf("request %d: %d Retry-After %q", i+1, a.status, a.header.Get("Retry-After"))
		}
	}
	start := time.Now()
	if a := do(t, "GET", srv.URL+"/files/a.json", ""); a.status != 200 || time.Since(start) < 150*time.Millisecond {
		t.Fatalf("latency: %d after %s", a.status, time.Since(start))
	}
	// A fresh connection: the transport silently retries an idempotent
	// request once when a reused connection breaks.
	fresh := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	_, err := fresh.Get(srv.URL + "/items/x/tags")
	if err == nil || !isConnError(err) {
		t.Fatalf("reset: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", srv.URL+"/items/itm_abcdefghij", nil)
	start = time.Now()
	if _, err := http.DefaultClient.Do(req); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 2*time.Second {
		t.Fatalf("hang: %v after %s", err, time.Since(start))
	}
	deadline := time.Now().Add(2 * time.Second)
	for len(m.Requests()) < 6 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the held request logs when its context ends
	}
	var names []string
	for _, e := range m.Requests() {
		names = append(names, fmt.Sprint(e.Operation, e.Faults))
	}
	want := []string{"listItems[status=429]", "listItems[status=429]", "listItems[]", "getFile[latency]", "listTags[reset]", "getItem[hang]"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("log %v, want %v", names, want)
	}
}

func isConnError(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF)
}

// Serve stops when its context ends, releasing a held request.
func TestServeShutsDownGracefully(t *testing.T) {
	m, err := New(nil, Options{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Serve(ctx, ln, time.Second) }()
	resp, err := http.Get("http://" + ln.Addr().String() + "/__accord/requests")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("Serve did not return")
	}
}
